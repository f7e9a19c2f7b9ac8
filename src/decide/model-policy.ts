// The model policy's branches of the decision (DESIGN §4.12): the model run for this decision, how
// it sizes and says so, stopping when scaling does not help, and its scale-down. Pure.
import { MATERIAL_LAG_SHARE, round } from './evaluate.ts';
import { runModel, type ModelView } from './model.ts';
import { neededWithin, runs } from './stabilization.ts';
import type { Context, Draft } from './types.ts';

/** The model policy's learning and recommendation for this run, when a mode uses it. */
export function modelOf(ctx: Context): Context['model'] {
  const { input, prior, current, generator, failures } = ctx;
  const { policy, status } = input;
  if (policy.scaleUp.mode !== 'model' && policy.decay.mode !== 'model') return undefined;
  // Learn and size only on what can be trusted: settled, measured, reachable, the generator not in the way.
  const trusted =
    !status.notSettled &&
    input.probeError === undefined &&
    !failures?.unreachable &&
    !(generator && (generator.explained.length > 0 || generator.share >= MATERIAL_LAG_SHARE));
  return runModel({
    policy,
    prior: prior.model,
    observations: input.observations,
    evaluations: ctx.evaluations,
    failures,
    ready: status.readyReplicas ?? current,
    current,
    trusted,
    revision: status.revision,
    now: input.now,
    lastRunAt: prior.lastRunAt,
  });
}

/** `the model predicts 17.2 ms at 3 replicas > 16 ms; 5 replicas keep within it (s₀ 10 ms, utilization 72% …)` */
export function sizedBy(view: ModelView, current: number): string {
  if (view.need === undefined) return `the model cannot size it (${view.text})`;
  const to = view.need;
  const at = view.clipped
    ? 'sized from the requests served'
    : `the model predicts ${round(view.predict(current))} ms at ${current}`;
  return `${at}; ${to} ${to === 1 ? 'replica keeps' : 'replicas keep'} within headroom (${view.text})`;
}

/**
 * Adding pods to a service bound elsewhere only costs money: no scale-up, and back to the count
 * before the scale-ups that did not help — but never lower while the service fails.
 */
export function notScalable(
  current: number,
  stuck: NonNullable<ModelView['notScalable']>,
  what: string,
  failing: boolean,
): Draft {
  const why = `${what}; not scaling up: ${stuck.why}`;
  if (failing) return { reason: 'NotScalable', desired: current, why, calm: false, neverDown: true };
  return { reason: 'NotScalable', desired: stuck.back, why: `${why}; back to ${stuck.back}`, calm: false };
}

/**
 * Model decay: down to the count the model predicts within the headroom band — at most halving a
 * run, and no lower than it needed over the last unchangedRuns runs (one noisy run never drops the
 * count). Until a change has calibrated s₀ (and the service is not idle), one decay.replicas step at a time.
 */
export function modelDecay(ctx: Context, view: ModelView, within: string): Draft {
  const { current, calmBefore, input, prior } = ctx;
  const { decay, replicas, stabilization } = input.policy;
  if (view.needDown === undefined) {
    return { reason: 'WithinTargets', desired: current, why: `${within} within target (${view.text})`, calm: true };
  }
  const needed = Math.max(view.needDown, replicas.min);
  const calm = (why: string): Draft => ({ reason: 'WithinTargets', desired: current, why, calm: true, needed });
  if (view.stable) return calm(`${within} within target; sized from goodput recently, so no scale-down yet`);
  const recent = prior.history.slice(-(decay.unchangedRuns - 1) || prior.history.length);
  const lately = Math.max(needed, ...recent.map((h) => h.needed ?? h.applied));
  if (lately >= current) return calm(`${within} within target; the model needs ${current} (${view.text})`);
  if (calmBefore + 1 < decay.unchangedRuns) {
    const left = `${calmBefore + 1} of ${decay.unchangedRuns} calm ${runs(decay.unchangedRuns)}`;
    return calm(`${within} within target; the model needs ${lately}; ${left} before a scale-down`);
  }
  const step = view.calibrated ? Math.ceil(current / 2) : current - decay.replicas;
  const desired = Math.max(lately, step);
  const floor = neededWithin(prior, stabilization.downscaleWindow, input.now);
  if (floor !== undefined && floor > desired) {
    const to = Math.min(floor, current);
    const why = `${within}; but ${floor} replicas were needed within the stabilization window`;
    return { reason: 'Stabilizing', desired: to, why, calm: true, needed };
  }
  const predicted = `the model predicts ${round(view.predictDown(desired))} ms at ${desired}`;
  return { reason: 'Decay', desired, why: `${within}; ${predicted} (${view.text})`, calm: true, needed };
}
