// The one place that picks a scale target implementation.
import { isHttpTarget, type ScalerConfig } from '../config/types.ts';
import { HttpScaleTarget } from './http.ts';
import type { ScaleTarget } from './types.ts';

export type Env = Record<string, string | undefined>;

export async function createScaleTarget(
  config: Pick<ScalerConfig, 'target' | 'api'>,
  env: Env = process.env,
): Promise<ScaleTarget> {
  const limits = { callTimeoutMs: config.api.timeout, deadlineMs: config.api.retryFor };
  if (isHttpTarget(config.target)) return new HttpScaleTarget(config.target, limits.callTimeoutMs);
  const [{ KubernetesScaleTarget }, { kubeClients }] = await Promise.all([
    import('./kubernetes.ts'),
    import('../kube/client.ts'),
  ]);
  const instance = env['HOSTNAME'] || 'latency-scaler';
  return new KubernetesScaleTarget(config.target, await kubeClients(env), limits, instance);
}
