// The one place that picks a load-test engine, and the plan it is given.
import type { ScalerConfig } from '../config/types.ts';
import { ScalerError } from '../errors.ts';
import { LocalEngine, type LocalEngineOptions } from './local.ts';
import type { LoadTestEngine } from './types.ts';

export { planFor } from './plan.ts';

export async function createEngine(config: ScalerConfig, options: { onProgress?: LocalEngineOptions['onProgress'] } = {}): Promise<LoadTestEngine> {
  if (config.loadTest.engine === 'local') {
    const scenario = config.loadTest.script ? await (await import('./scenario.ts')).loadScenario(config.loadTest.script) : undefined;
    return new LocalEngine({ scenario, onProgress: options.onProgress });
  }
  const locust = config.loadTest.locust;
  if (!locust) throw new ScalerError('loadTest.engine locust needs loadTest.locust.url');
  const { LocustEngine } = await import('./locust.ts');
  const workerTarget = locust.workers?.target;
  if (!workerTarget) return new LocustEngine(locust);
  // The worker Deployment is scaled through the same /scale code as any target.
  const [{ KubernetesScaleTarget }, { kubeClients }] = await Promise.all([import('../target/kubernetes.ts'), import('../kube/client.ts')]);
  const workers = new KubernetesScaleTarget(workerTarget, await kubeClients());
  return new LocustEngine(locust, {
    scaleWorkers: async (replicas, signal) => {
      const { replicas: current } = await workers.read(signal);
      if (current !== replicas) await workers.apply(replicas, current, signal);
    },
  });
}

