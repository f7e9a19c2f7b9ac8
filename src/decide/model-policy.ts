// The model policy's seam (DESIGN §4.12): from the run and the model's view to one recommendation
// and its reasons; decide.ts wraps it in the safety rules, limits.ts bounds it. A signal the model
// learns from (a production rate) changes the view, not this file's callers. Pure.
import type { ModelDoubtKind, ModelState } from '../model/model-state.ts';
import { MATERIAL_LAG_SHARE, round } from './evaluate.ts';
import { calmRun, failingHold, lpaRecommendation, stepUp } from './lpa-policy.ts';
import { primaryMean, runModel, TEST_STEP, type ModelView } from './model.ts';
import { plural, word } from '../plural.ts';
import { neededWithin } from './stabilization.ts';
import type { Context, Draft, PolicyRun, Recommend } from './types.ts';

/** The model policy's learning and view for this run, when a mode uses it. */
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
  const model = runModel({
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
  return model.state ? { ...model, state: withFloor(ctx, model.state) } : model;
}

/** How long a scale-down that failed keeps the model from going that low again. */
const FLOOR_MS = 30 * 60_000;

/**
 * The last run scaled down and this one breached or failed: that count was too few, whatever the model
 * predicted (a limit it cannot see, such as a concurrency cap shedding 503s): no lower for a while.
 */
function withFloor(ctx: Context, state: ModelState): ModelState {
  const last = ctx.prior.history.at(-1);
  const { policy, now } = ctx.input;
  const failing = ctx.failures !== undefined && ctx.failures.ratio > policy.decay.maxFailureRatio;
  const hurt = failing || ctx.evaluations.some((e) => e.breached);
  // A stop's step back (a bottleneck, a target out of reach) is no scale-down the model sized: the
  // count it left was no better.
  const stoppedBefore = ctx.prior.model?.stuck !== null && ctx.prior.model?.stuck !== undefined;
  if (last && last.action === 'down' && last.applied === ctx.current && hurt && !stoppedBefore) {
    return { ...state, floor: { c: last.current, until: now + FLOOR_MS } };
  }
  return state;
}

export const modelRecommendation: Recommend = (ctx, run) => {
  const { policy } = ctx.input;
  const view = ctx.model?.view;
  const up = policy.scaleUp.mode === 'model';
  if (!view) return lpaRecommendation(ctx, run);
  if (run.situation === 'breached') return up ? onBreach(ctx, run, view) : lpaRecommendation(ctx, run);
  if (run.situation === 'failing') return up ? onFailing(ctx, run, view) : failingHold(ctx, run);
  if (up && view.needEarly !== undefined && view.needEarly > ctx.current) {
    const why = `${run.why} within target, but ${sizedBy(view, ctx.current)}`;
    return { reason: 'Headroom', desired: view.needEarly, why, calm: false };
  }
  if (up && view.calibration === 'none' && ctx.model?.state?.last && ctx.current < policy.replicas.max) {
    // The lowest latency seen is all the model knows of s₀ so far, and a busy service never shows it:
    // one replica more for a run tells (the change calibrates s₀), and costs less than a breach.
    const why = `${run.why} within target; learning the service time (${view.text})`;
    return { reason: 'Calibrating', desired: ctx.current + 1, why, calm: false, needed: ctx.current, test: 'probe' };
  }
  return policy.decay.mode === 'model' ? modelDecay(ctx, view, run.why) : calmRun(ctx, run.why);
};

function onBreach(ctx: Context, run: PolicyRun, view: ModelView): Draft {
  const { current } = ctx;
  const { policy } = ctx.input;
  const hold = (why: string): Draft => ({ reason: 'TargetBreached', desired: current, why, calm: false });
  const released = view.released ? `; ${view.released}` : '';
  if (view.stuck) return stopped(ctx, view, view.stuck, run.why, run.failing);
  if (view.control) return hold(`${run.why}; ${view.control}`);
  if (view.draining && !run.failing) {
    const drain = 'the latency fell by a fifth since the scale-up from an overloaded run: its backlog draining';
    return hold(`${run.why}; ${drain}, not more load (acting if the next run is no better)`);
  }
  if (view.suspect) {
    const desired = testStep(current);
    const why = `${run.why}; ${view.suspect.why}: one test step, ${current}→${desired}, before sizing on it`;
    return { reason: 'TargetBreached', desired, why: why + released, calm: false, test: view.suspect.kind };
  }
  const sized = view.need !== undefined ? Math.max(view.need, current + 1) : stepUp(current, run.measured, policy);
  const desired = view.retry ? Math.min(sized, testStep(current)) : sized;
  return { reason: 'TargetBreached', desired, why: `${run.why}; ${sizedBy(view, current)}${released}`, calm: false };
}

/** Failures above decay.maxFailureRatio and no latency breached (fast errors): sized from goodput. */
function onFailing(ctx: Context, run: PolicyRun, view: ModelView): Draft {
  if (view.stuck) return stopped(ctx, view, view.stuck, run.why, true);
  if (view.control) return { ...failingHold(ctx, run), why: `${run.why}; ${view.control}` };
  if (view.need !== undefined && view.need > ctx.current) {
    const released = view.released ? `; ${view.released}` : '';
    const why = `${run.why}; ${sizedBy(view, ctx.current)}${released}`;
    const desired = view.retry ? Math.min(view.need, testStep(ctx.current)) : view.need;
    return { reason: 'FailingService', desired, why, calm: false };
  }
  return failingHold(ctx, run);
}

/**
 * Scaling stopped. A bottleneck more pods do not relieve only costs money: back to the count before
 * the scale-ups that did not show — never lower while the service fails, nor where the probe saw any
 * failure (a small probe can miss a production failure rate of a few percent). A target out of reach:
 * back to the count before the test step, and held there. Either stop is lifted by a load that grows
 * (model-check.ts): a growing load is never frozen.
 */
function stopped(
  ctx: Context,
  view: ModelView,
  stuck: NonNullable<ModelView['stuck']>,
  what: string,
  failing: boolean,
): Draft {
  const { current } = ctx;
  const anyFailure = (ctx.failures?.failures ?? 0) > 0;
  const mayGoBack = !failing && !anyFailure && stuck.back < current;
  if (stuck.kind === 'bottleneck') {
    const why = `${what}; not scaling up: ${stuck.why}`;
    if (!mayGoBack) return { reason: 'NotScalable', desired: current, why, calm: false, neverDown: true };
    return { reason: 'NotScalable', desired: stuck.back, why: `${why}; back to ${stuck.back}`, calm: false };
  }
  // Out of reach the latency sizes nothing (its noise would read as queueing); a load that grows
  // lifts the stop (model-check.ts), and is sized then.
  const desired = stuck.now && mayGoBack ? stuck.back : current;
  const to = desired < current ? `; back to ${desired}` : '';
  return {
    reason: 'TargetUnreachable',
    desired,
    why: `${what}; ${stuck.why}${to}`,
    calm: false,
    neverDown: !mayGoBack,
  };
}

/** `the model predicts 17.2 ms at 3 replicas > 16 ms; 5 replicas keep within it (s₀ 10 ms, utilization 72% …)` */
export function sizedBy(view: ModelView, current: number): string {
  if (view.need === undefined) return `the model cannot size it (${view.text})`;
  const to = view.need;
  const predicted = view.predict(current);
  const ahead = view.growth > 1 ? ' (the load one run ahead)' : '';
  const at = view.clipped
    ? 'sized from the requests served'
    : view.saturated
      ? 'sized from a saturated queue'
      : Number.isFinite(predicted)
        ? `the model predicts ${round(predicted)} ms at ${current}${ahead}`
        : `the model predicts ${current} past capacity${ahead}`;
  return `${at}; ${plural(to, 'replica')} ${word(to, 'keeps', 'keep')} within headroom (${view.text})`;
}

/**
 * Model decay: down to the count the model predicts within the headroom band — at most halving a
 * run, and no lower than it needed over the last unchangedRuns runs (one noisy run never drops the
 * count). Until a change has calibrated s₀, the model cannot tell an idle service from a busy one at
 * a steady load: its first move is one step *up* (a replica for a few runs is cheaper than a breach),
 * and where that moved nothing, one decay.replicas step at a time. Where the runs at a count read
 * within the noise of s₀, the worst reading would hold forever: one decay.replicas step is tried
 * (LPA's way), and the latency at the count below tells more.
 */
export function modelDecay(ctx: Context, view: ModelView, within: string): Draft {
  const { current, calmBefore, input, prior } = ctx;
  const { decay, replicas, stabilization } = input.policy;
  const trial = trialStep(ctx, view);
  if (view.needDown === undefined && trial === undefined) {
    return { reason: 'WithinTargets', desired: current, why: `${within} within target (${view.text})`, calm: true };
  }
  const needed = Math.max(view.needDown ?? current, replicas.min);
  const calm = (why: string): Draft => ({ reason: 'WithinTargets', desired: current, why, calm: true, needed });
  if (view.stable) return calm(`${within} within target; sized from goodput recently, so no scale-down yet`);
  const recent = prior.history.slice(-(decay.unchangedRuns - 1) || prior.history.length);
  const lately = Math.max(needed, ...recent.map((h) => h.needed ?? h.applied));
  if (lately >= current && trial === undefined) {
    return calm(`${within} within target; the model needs ${current} (${view.text})`);
  }
  if (calmBefore + 1 < decay.unchangedRuns) {
    const left = `${calmBefore + 1} of ${decay.unchangedRuns} calm ${word(decay.unchangedRuns, 'run')}`;
    const what = lately >= current ? `the latency is at s₀, a step down tells more` : `the model needs ${lately}`;
    return calm(`${within} within target; ${what}; ${left} before a scale-down`);
  }
  const step = view.calibration === 'fitted' ? Math.ceil(current / 2) : current - decay.replicas;
  const floor = ctx.model?.state?.floor;
  const hurt = floor !== undefined && floor.until > input.now ? floor.c : 0;
  if (hurt >= current) return calm(`${within} within target; a scale-down below ${hurt} failed lately, so no lower`);
  const trying = lately >= current;
  const desired = trying ? Math.max(trial!, hurt) : Math.max(lately, step, hurt);
  const window = neededWithin(prior, stabilization.downscaleWindow, input.now);
  if (window !== undefined && window > desired) {
    const to = Math.min(window, current);
    const were = `${plural(window, 'replica')} ${word(window, 'was', 'were')} needed`;
    const why = `${within}; but ${were} within the stabilization window`;
    return { reason: 'Stabilizing', desired: to, why, calm: true, needed };
  }
  if (trying) {
    const predicted = `the model predicts ${round(view.predict(desired))} ms at ${desired}`;
    const why = `${within}; the latency is at the service time, where idle and busy look alike: one step down to see`;
    return { reason: 'Decay', desired, why: `${why}; ${predicted} (${view.text})`, calm: true, needed: desired };
  }
  const predicted = `the model predicts ${round(view.predictDown(desired))} ms at ${desired}`;
  return { reason: 'Decay', desired, why: `${within}; ${predicted} (${view.text})`, calm: true, needed };
}

/**
 * The count a trial step down goes to where the latency cannot read the load (model.ts: trialDue): one
 * decay.replicas step, once s₀ was calibrated or a step up moved nothing; undefined where none is due.
 */
function trialStep(ctx: Context, view: ModelView): number | undefined {
  const { current, input } = ctx;
  const { decay, replicas } = input.policy;
  if (!view.trialDue || view.calibration === 'none') return undefined;
  const to = Math.max(current - decay.replicas, replicas.min, 1);
  return to < current ? to : undefined;
}

/** This much more capacity, at least one replica. */
function testStep(current: number): number {
  return Math.max(current + 1, Math.ceil(current * TEST_STEP));
}

/**
 * The model's state to store once the limits set the count: a scale-up carries what it expects,
 * checked on the first run where its replicas serve (model-check.ts); a calibration step, its mark.
 */
export function modelStateAfter(ctx: Context, d: Draft, applied: number): ModelState | null {
  const model = ctx.model;
  if (!model?.state || !model.view || applied <= ctx.current) return model?.state ?? null;
  const { state, view } = model;
  if (d.test === 'probe') return { ...state, probe: { c: applied, idle: null }, check: null };
  const t = primaryMean(ctx.input.policy, ctx.input.observations) ?? view.reading.t;
  const predicted = view.predict(applied);
  const kind: ModelDoubtKind = d.test === 'slower' || d.test === 'reach' ? d.test : 'size';
  const chain = state.check?.first ?? state.missedFrom ?? { c: ctx.current, t: round(t) };
  return {
    ...state,
    check: {
      c: applied,
      before: ctx.current,
      t: round(t),
      predicted: Number.isFinite(predicted) && predicted > 0 ? round(predicted) : null,
      clipped: view.reading.clipped,
      failShare: view.reading.failShare,
      requests: view.reading.requests,
      lower: view.reading.lower,
      kind,
      first: chain,
      a: round(view.reading.a),
      growth: round(view.growth),
    },
  };
}
