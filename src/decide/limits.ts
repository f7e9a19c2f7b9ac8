// The limits on a recommendation, kept apart from it as HPA's replica calculator keeps them: the
// bounds, the never-down rules (nothing measured, a failing service), KEDA's paused-scale-in, a
// target at zero with min 0, and the cluster's capacity (pods it cannot place). Pure.
import type { PendingPods } from '../model/target-status.ts';
import type { Context, Draft } from './types.ts';

export interface Limited {
  applied: number;
  /** The bound that decided the count (not named when a never-down rule kept it). */
  limitedBy?: 'min' | 'max';
  /** The scale-down was held by latency-scaler.io/paused-scale-down. */
  scaleDownPaused: boolean;
  /** Not to 0, and why: the production rate says there is traffic, or could not be read. */
  keptAtOne?: string;
  /**
   * A scale-up held at the current count because pods cannot be placed (DESIGN §4.13): `waiting`
   * while a node is likely on its way, `unschedulable` otherwise.
   */
  capacity?: Capacity;
}

export type Capacity = 'unschedulable' | 'waiting';

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
  // To 0 only on a measured production rate of 0: otherwise the next run could not see the demand.
  const rate = input.observations?.production?.rate?.value ?? null;
  const keptForTraffic = applied === 0 && current > 0 && rate !== 0;
  if (keptForTraffic) applied = 1;
  // Pods the cluster cannot place are no capacity: add none beyond them (never a limit on going down).
  const pending = input.status.pending;
  const full = pending !== undefined && pending.unschedulable > 0 && applied > current && !d.exact;
  if (full) applied = current;
  const limitedBy =
    applied !== bounded ? undefined : bounded < d.desired ? 'max' : bounded > d.desired ? 'min' : undefined;
  const capacity = full ? capacityOf(pending, ctx) : undefined;
  const kept = keptForTraffic
    ? { keptAtOne: rate === null ? 'the production rate is unmeasured' : `production traffic ${rate} req/s` }
    : {};
  return {
    applied,
    scaleDownPaused,
    ...(limitedBy ? { limitedBy } : {}),
    ...(capacity ? { capacity } : {}),
    ...kept,
  };
}

/**
 * `waiting` while a node is likely coming: a cluster autoscaler said it is adding one, or the pods
 * have been unschedulable for less than settle.timeout (one may still be on its way).
 */
export function capacityOf(pending: PendingPods, ctx: Context): Capacity {
  const { now, policy } = ctx.input;
  const since = pending.since === undefined ? Number.NaN : Date.parse(pending.since);
  const recent = Number.isFinite(since) && now - since < policy.settle.timeout;
  return pending.scalingUp || recent ? 'waiting' : 'unschedulable';
}
