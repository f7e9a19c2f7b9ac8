// The limits on a recommendation, kept apart from it as HPA's replica calculator keeps them: the
// bounds, the never-down rules (nothing measured, a failing service), KEDA's paused-scale-in, and a
// target at zero with min 0. Pure.
import type { Context, Draft } from './types.ts';

export interface Limited {
  applied: number;
  /** The bound that decided the count (not named when a never-down rule kept it). */
  limitedBy?: 'min' | 'max';
  /** The scale-down was held by latency-scaler.io/paused-scale-down. */
  scaleDownPaused: boolean;
}

export function applyLimits(ctx: Context, d: Draft): Limited {
  const { input, current } = ctx;
  const { min, max } = input.policy.replicas;
  const bounded = d.exact ? d.desired : Math.min(Math.max(d.desired, min), max);
  let applied = bounded;
  // Nothing measured, or a failing service, is no reason to remove capacity, not even to reach max.
  const failing = ctx.failures !== undefined && ctx.failures.ratio > input.policy.decay.maxFailureRatio;
  if ((d.neverDown || failing) && applied < current) applied = current;
  // KEDA's paused-scale-in: scale-up still works, the count never goes down.
  const scaleDownPaused = input.status.pausedScaleDown === true && applied < current && !d.exact;
  if (scaleDownPaused) applied = current;
  if (d.reason === 'ZeroReplicas' && d.desired === 0) applied = current;
  const limitedBy =
    applied !== bounded ? undefined : bounded < d.desired ? 'max' : bounded > d.desired ? 'min' : undefined;
  return { applied, scaleDownPaused, ...(limitedBy ? { limitedBy } : {}) };
}
