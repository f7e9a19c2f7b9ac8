// The one place that picks a scale target implementation.
import { isHttpTarget, type ScalerConfig } from '../config/types.ts';
import { HttpScaleTarget } from './http.ts';
import type { ScaleTarget } from './types.ts';

export type Env = Record<string, string | undefined>;

export async function createScaleTarget(
  config: Pick<ScalerConfig, 'target'>,
  env: Env = process.env,
): Promise<ScaleTarget> {
  if (isHttpTarget(config.target)) return new HttpScaleTarget(config.target);
  const [{ KubernetesScaleTarget }, { kubeClients }] = await Promise.all([
    import('./kubernetes.ts'),
    import('../kube/client.ts'),
  ]);
  return new KubernetesScaleTarget(config.target, await kubeClients(env));
}
