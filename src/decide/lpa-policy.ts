// LPA's policy (DESIGN §4.2–4.3), the default: a breach adds scaleUp.step replicas (or, opt-in,
// proportionally), a failing service holds, and unchangedRuns calm runs decay by decay.replicas. Pure;
// composed with the safety rules by decide.ts, as the model policy is.
import { round, type TargetEvaluation } from './evaluate.ts';
import { plural, word } from '../plural.ts';
import { neededWithin } from './stabilization.ts';
import type { Context, Draft, Policy, PolicyRun, Recommend } from './types.ts';

export const lpaRecommendation: Recommend = (ctx, run) => {
  const { current, input } = ctx;
  const { policy } = input;
  if (run.situation === 'breached') {
    return { reason: 'TargetBreached', desired: stepUp(current, run.measured, policy), why: run.why, calm: false };
  }
  if (run.situation === 'failing') return failingHold(ctx, run);
  const maxLoad = policy.decay.maxLoad;
  const heaviest = Math.max(...run.measured.map((e) => e.load ?? 0));
  if (maxLoad !== undefined && heaviest > maxLoad) {
    const why = `${run.why}; load ${round(heaviest)} of target above decay.maxLoad ${maxLoad}: not calm`;
    return { reason: 'DecayGuarded', desired: current, why, calm: false };
  }
  return calmRun(ctx, run.why);
};

/** Failures above decay.maxFailureRatio: hold, and never lower the count (DESIGN §4.11). */
export function failingHold(ctx: Context, run: PolicyRun): Draft {
  return { reason: 'FailingService', desired: ctx.current, why: run.why, calm: false, neverDown: true };
}

/** A breach: scaleUp.step more, or (proportional, as HPA) enough to bring the worst ratio back to 1. */
export function stepUp(current: number, evaluations: TargetEvaluation[], policy: Policy): number {
  const { mode, step, maxStep } = policy.scaleUp;
  if (mode !== 'proportional') return current + step;
  const worst = Math.max(...evaluations.map((e) => e.load ?? 0));
  const wanted = Number.isFinite(worst) ? Math.ceil(current * worst) : current + maxStep;
  return Math.min(Math.max(wanted, current + 1), current + maxStep);
}

/** A calm run: count it, and decay by decay.replicas once unchangedRuns calm runs came before. */
export function calmRun(ctx: Context, within: string): Draft {
  const { current, calmBefore, input } = ctx;
  const { decay, replicas, stabilization } = input.policy;
  const due = calmBefore >= decay.unchangedRuns && decay.replicas > 0;
  if (!due) {
    // This run counted, as the record stores it (`state show`'s calm runs): "1 of 3" after the first.
    const counted = calmBefore + 1;
    const left =
      decay.replicas > 0
        ? `; ${counted} of ${decay.unchangedRuns} calm ${word(decay.unchangedRuns, 'run')} before decay`
        : '';
    return { reason: 'WithinTargets', desired: current, why: `${within} within target${left}`, calm: true };
  }
  if (current <= replicas.min) {
    // Nothing to decay at the floor: say so, and keep counting (LPA reset its counter here).
    const why = `${within} within target; at replicas.min ${replicas.min}, nothing to decay`;
    return { reason: 'WithinTargets', desired: current, why, calm: true };
  }
  const desired = current - decay.replicas;
  const floor = neededWithin(ctx.prior, stabilization.downscaleWindow, input.now);
  if (floor !== undefined && floor > desired) {
    const to = Math.min(floor, current);
    const window = `${plural(floor, 'replica')} ${word(floor, 'was', 'were')} needed within the stabilization window`;
    const why = `${within}; ${plural(calmBefore, 'calm run')}, but ${window}`;
    return { reason: 'Stabilizing', desired: to, why, calm: true };
  }
  return { reason: 'Decay', desired, why: plural(calmBefore, 'calm run'), calm: true };
}
