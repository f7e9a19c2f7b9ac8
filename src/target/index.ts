// The one place that picks a scale target implementation.
import { isAwsTarget, isHttpTarget, type AwsTargetRef, type ScalerConfig } from '../config/types.ts';
import { HttpScaleTarget } from './http.ts';
import type { ScaleTarget } from './types.ts';

export type Env = Record<string, string | undefined>;

export async function createScaleTarget(
  config: Pick<ScalerConfig, 'target' | 'api'>,
  env: Env = process.env,
): Promise<ScaleTarget> {
  const limits = { callTimeoutMs: config.api.timeout, deadlineMs: config.api.retryFor };
  if (isHttpTarget(config.target)) return new HttpScaleTarget(config.target, limits.callTimeoutMs);
  if (isAwsTarget(config.target)) return awsTarget(config.target, limits, env);
  const [{ KubernetesScaleTarget }, { kubeClients }] = await Promise.all([
    import('./kubernetes.ts'),
    import('../kube/client.ts'),
  ]);
  const instance = env['HOSTNAME'] || 'latency-scaler';
  return new KubernetesScaleTarget(config.target, await kubeClients(env), limits, instance);
}

/** An ECS service or an Auto Scaling group: only that target's SDK client is loaded. */
async function awsTarget(
  ref: AwsTargetRef,
  limits: { callTimeoutMs: number; deadlineMs: number },
  env: Env,
): Promise<ScaleTarget> {
  const { whereOf } = await import('../aws/calls.ts');
  const awsLimits = { callTimeoutMs: limits.callTimeoutMs, retryForMs: limits.deadlineMs };
  const where = whereOf(ref, env);
  if (ref.kind === 'ecs-service') {
    const { EcsServiceTarget, ecsClients } = await import('./ecs-service.ts');
    return new EcsServiceTarget(ref, ecsClients(ref), awsLimits, where);
  }
  const { AutoScalingGroupTarget, autoScalingClient } = await import('./autoscaling-group.ts');
  return new AutoScalingGroupTarget(ref, autoScalingClient(ref), awsLimits, where);
}
