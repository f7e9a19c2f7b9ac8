// The decision: a pure function of (observations, target status, stored state, policy, now).
// No I/O, no clock: `now` is passed in, the new state is returned, nothing is mutated.
// DESIGN §4 is the contract; the LPA defaults reproduce the Locust Pod Autoscaler where only the
// scaler changes the replicas and the service answers.
import type { ScalerConfig } from '../config/types.ts';
import type { Observations } from '../model/observations.ts';
import { appendHistory, emptyRecord, type ModelState, type StateRecord } from '../model/state-record.ts';
import type { TargetStatus } from '../model/target-status.ts';
import { primaryMean, runModel, withPrediction, type ModelView } from './model.ts';
import {
  evaluateTargets,
  failureSummary,
  generatorEffect,
  MATERIAL_LAG_SHARE,
  round,
  type FailureSummary,
  type GeneratorEffect,
  type TargetEvaluation,
} from './evaluate.ts';

export type Reason =
  | 'TargetBreached' // scale up: a measured target is missed
  | 'Decay' // scale down: enough calm runs
  | 'WithinTargets' // hold: a calm run
  | 'DecayGuarded' // hold: within target, but above decay.maxLoad: not calm
  | 'Stabilizing' // hold or smaller step down: a higher need within the window
  | 'FailingService' // hold: failures above decay.maxFailureRatio: never down
  | 'ProbeFailed' // a target could not be measured: never down
  | 'Paused'
  | 'ZeroReplicas' // scaled to zero by someone: no load sent
  | 'NotSettled' // a change in flight, or replicas not ready
  | 'GeneratorSaturated' // hold: the load generator's own delay could explain the breach
  | 'Headroom' // model policy, scale up: within target, but the model predicts beyond the headroom
  | 'NotScalable'; // model policy, hold: scale-ups stopped moving the latency as predicted

export type Policy = Pick<
  ScalerConfig,
  'replicas' | 'targets' | 'scaleUp' | 'decay' | 'model' | 'onProbeFailure' | 'stabilization' | 'settle' | 'history'
>;

export interface DecideInput {
  targetKey: string;
  status: TargetStatus;
  record: StateRecord | null;
  observations?: Observations | undefined;
  probeError?: string | undefined; // the load test itself failed
  policy: Policy;
  now: number; // epoch ms
}

export interface Decision {
  action: 'up' | 'down' | 'hold';
  reason: Reason;
  message: string; // `scale up 2→3: GET /x mean 12.4 ms > 7 ms`
  current: number;
  desired: number; // before bounds
  applied: number; // after bounds: what is set
  limitedBy?: 'min' | 'max';
  manualChange: boolean; // someone else changed the replicas since our last run
  probeFailed: boolean;
  /** Calm (DESIGN §4.3): every target measured and within, failures at most the ratio, settled. */
  calm: boolean;
  evaluations: TargetEvaluation[];
  failures?: FailureSummary | undefined;
  /** Why the measurement cannot be fully trusted (the generator's own delay), in words; never scaled up on. */
  unreliable?: string;
  state: StateRecord; // the record to store
}

/** What one branch of the decision wants, before bounds and the new state are applied. */
interface Draft {
  reason: Reason;
  desired: number;
  why: string;
  calm: boolean;
  /** Never lower the count, not even to reach max (nothing measured, a failing service). */
  neverDown?: boolean;
  probeFailed?: boolean;
  /** Apply `desired` as it is, outside min..max (paused-replicas: the operator's own number). */
  exact?: boolean;
  /** The replica count this run needed, when not the usual (the model's recommendation). */
  needed?: number;
}

interface Context {
  input: DecideInput;
  prior: StateRecord;
  current: number;
  manualChange: boolean;
  /** Calm runs before this one that still count (0 after a change by someone else). */
  calmBefore: number;
  evaluations: TargetEvaluation[];
  failures: FailureSummary | undefined;
  generator: GeneratorEffect | undefined;
  unsettledSince: string | null;
  /** The change in flight, if any: ours, or someone else's from the run that first saw it. */
  changeInFlightSince: string | null;
  /** The model policy's state after this run, and what it recommends (DESIGN §4.12). */
  model?: { state: ModelState | null; view?: ModelView | undefined } | undefined;
}

export function decide(input: DecideInput): Decision {
  const { status, policy, now } = input;
  const prior = input.record ?? emptyRecord(input.targetKey);
  const current = status.replicas;
  const manualChange = prior.lastReplicas !== null && prior.lastReplicas !== current;
  const settling = status.notSettled && policy.settle.timeout > 0 ? status.notSettled : undefined;
  const evaluations = evaluateTargets(policy.targets, input.observations);
  const ctx: Context = {
    input,
    prior,
    current,
    manualChange,
    // A change by someone else restarts the count of calm runs (DESIGN §4.5).
    calmBefore: manualChange ? 0 : prior.calmRuns,
    evaluations,
    failures: failureSummary(input.observations),
    generator: generatorEffect(policy.targets, evaluations, input.observations),
    unsettledSince: settling ? (prior.unsettledSince ?? new Date(now).toISOString()) : null,
    changeInFlightSince: manualChange ? new Date(now).toISOString() : prior.changeInFlightSince,
  };
  ctx.model = modelOf(ctx);
  if (status.paused) return paused(ctx, 'paused by annotation latency-scaler.io/paused');
  const pinned = status.pausedReplicas;
  if (pinned !== undefined && pinned === ctx.current)
    return paused(ctx, `paused at ${pinned} by annotation latency-scaler.io/paused-replicas`);
  if (pinned !== undefined) {
    // KEDA's paused-replicas: go to exactly that count (the operator's explicit number), then hold.
    const why = `paused at ${pinned} by annotation latency-scaler.io/paused-replicas`;
    return finish(ctx, { reason: 'Paused', desired: pinned, why, calm: false, exact: true });
  }
  return finish(ctx, draft(ctx));
}

function draft(ctx: Context): Draft {
  const { input, current, evaluations, failures } = ctx;
  const { policy, status } = input;
  const hold = (reason: Reason, why: string, extra: Partial<Draft> = {}): Draft => ({
    reason,
    desired: current,
    why,
    calm: false,
    ...extra,
  });

  if (current === 0) {
    const min = Math.max(policy.replicas.min, 0);
    const why = min > 0 ? `target has 0 replicas, below min ${min}` : 'target has 0 replicas; no load sent';
    return { reason: 'ZeroReplicas', desired: min, why, calm: false };
  }
  const settle = settleState(ctx);
  if (settle === 'wait') return hold('NotSettled', `not settled: ${status.notSettled!.reason}`);

  const measured = evaluations.filter((e) => e.value !== null);
  const unmeasured = evaluations.filter((e) => e.value === null);
  if (input.probeError !== undefined || measured.length === 0) {
    return probeFailed(ctx, input.probeError ?? unmeasured.map((e) => e.text).join('; '));
  }
  if (failures?.unreachable) return probeFailed(ctx, `the service could not be reached: ${failures.text}`);
  const breached = measured.filter((e) => e.breached);
  const generator = ctx.generator;
  if (breached.length > 0 && generator && breached.every((e) => generator.explained.includes(e))) {
    // Our own lateness is no reason to add replicas; nor is the run calm (DESIGN §4.1).
    const what = breached.map((e) => e.text).join('; ');
    const delay = `the load generator's own delay (${generator.text})`;
    return hold(
      'GeneratorSaturated',
      `${delay} is a material part of ${what}: not scaling up on it; give the scaler more CPU`,
    );
  }
  const view = policy.scaleUp.mode === 'model' ? ctx.model?.view : undefined;
  const failing = failures !== undefined && failures.ratio > policy.decay.maxFailureRatio;
  if (breached.length > 0) {
    // A measured breach wins over unmeasured targets (DESIGN §4.2).
    const missing = unmeasured.length > 0 ? `; ${unmeasured.map((e) => e.text).join('; ')}` : '';
    const why = breached.map((e) => e.text).join('; ') + missing;
    if (view?.notScalable) return notScalable(current, view.notScalable, why, failing);
    return {
      reason: 'TargetBreached',
      desired: scaleUpTo(current, measured, policy, view),
      why: view ? `${why}; ${sizedBy(view, current)}` : why,
      calm: false,
    };
  }
  if (unmeasured.length > 0) return probeFailed(ctx, unmeasured.map((e) => e.text).join('; '));

  const within = measured.map((e) => e.text).join('; ');
  if (failing) {
    const why = `${failures.text} > ${round(policy.decay.maxFailureRatio * 100)}%`;
    if (view?.notScalable) return notScalable(current, view.notScalable, why, true);
    // The model sizes a service failing under load from the share it still serves (goodput).
    if (view?.need !== undefined && view.need > current) {
      const desired = view.doubting ? current + policy.scaleUp.step : view.need;
      return { reason: 'FailingService', desired, why: `${why}; ${sizedBy(view, current)}`, calm: false };
    }
    return hold('FailingService', why, { neverDown: true });
  }
  if (settle === 'no-decay') {
    return hold('NotSettled', `${within} within target; not settled: ${status.notSettled!.reason}, so no decay`);
  }
  if (view?.needEarly !== undefined && view.needEarly > current) {
    const why = `${within} within target, but ${sizedBy(view, current)}`;
    return { reason: 'Headroom', desired: view.needEarly, why, calm: false };
  }
  if (policy.decay.mode === 'model' && ctx.model?.view) return modelDecay(ctx, ctx.model.view, within);
  const maxLoad = policy.decay.maxLoad;
  const heaviest = Math.max(...measured.map((e) => e.load ?? 0));
  if (maxLoad !== undefined && heaviest > maxLoad) {
    return hold(
      'DecayGuarded',
      `${within}; load ${round(heaviest)} of target above decay.maxLoad ${maxLoad}: not calm`,
    );
  }
  return calmRun(ctx, within);
}

/**
 * A change in flight (a rollout; new replicas starting after a change by us or by someone else, until
 * a run sees the target settled) is waited for, so a slow start-up is not answered with a second
 * scale-up (overshoot). Replicas that stop being ready with no change in flight (overload failing
 * readiness probes) are not waited for: a breach still scales up, only decay waits. After
 * settle.timeout — from the first unsettled run, or from the change — neither.
 */
function settleState(ctx: Context): 'settled' | 'wait' | 'no-decay' {
  const { input, unsettledSince, changeInFlightSince } = ctx;
  const notSettled = input.status.notSettled;
  const timeout = input.policy.settle.timeout;
  if (!notSettled || timeout <= 0 || unsettledSince === null) return 'settled';
  if (input.now - Date.parse(unsettledSince) >= timeout) return 'settled';
  const recentChange = changeInFlightSince !== null && input.now - Date.parse(changeInFlightSince) < timeout;
  return notSettled.kind === 'rollout' || recentChange ? 'wait' : 'no-decay';
}

function probeFailed(ctx: Context, what: string): Draft {
  const { policy } = ctx.input;
  const up = policy.onProbeFailure === 'scaleUp';
  const desired = up ? ctx.current + policy.scaleUp.step : ctx.current;
  return {
    reason: 'ProbeFailed',
    desired,
    why: `probe failed: ${what}`,
    calm: false,
    neverDown: true,
    probeFailed: true,
  };
}

function calmRun(ctx: Context, within: string): Draft {
  const { current, calmBefore, input } = ctx;
  const { decay, replicas, stabilization } = input.policy;
  const due = calmBefore >= decay.unchangedRuns && decay.replicas > 0;
  if (!due) {
    const left =
      decay.replicas > 0
        ? `; ${calmBefore} of ${decay.unchangedRuns} calm ${runs(decay.unchangedRuns)} before decay`
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
    const window = `${floor} replicas were needed within the stabilization window`;
    const why = `${within}; ${calmBefore} calm ${runs(calmBefore)}, but ${window}`;
    return { reason: 'Stabilizing', desired: to, why, calm: true };
  }
  return { reason: 'Decay', desired, why: `${calmBefore} calm ${runs(calmBefore)}`, calm: true };
}

const runs = (n: number): string => (n === 1 ? 'run' : 'runs');

function scaleUpTo(
  current: number,
  evaluations: TargetEvaluation[],
  policy: Policy,
  view: ModelView | undefined,
): number {
  const { mode, step, maxStep } = policy.scaleUp;
  if (mode === 'step') return current + step;
  // The model: its count in one step, at least one more; until it can tell, a step.
  // After a scale-up that did not help, one step: a test whether more replicas help at all.
  if (mode === 'model') {
    return view?.need !== undefined && !view.doubting ? Math.max(view.need, current + 1) : current + step;
  }
  // Proportional, as HPA: enough replicas to bring the worst ratio back to 1, at least one more.
  const worst = Math.max(...evaluations.map((e) => e.load ?? 0));
  const wanted = Number.isFinite(worst) ? Math.ceil(current * worst) : current + maxStep;
  return Math.min(Math.max(wanted, current + 1), current + maxStep);
}

/**
 * The highest replica count needed within the downscale window (HPA's stabilization). Each run
 * stores what it needed — a calm run fewer than it had — so under steady calm load the maximum
 * falls and a window delays decay, never blocks it. Entries stamped in the future (a clock that
 * went back) are ignored rather than trusted to block.
 */
function neededWithin(prior: StateRecord, windowMs: number, now: number): number | undefined {
  if (windowMs <= 0) return undefined;
  const recent = prior.history.filter((h) => {
    const at = Date.parse(h.at);
    return at <= now && now - at <= windowMs;
  });
  return recent.length > 0 ? Math.max(...recent.map((h) => h.needed ?? h.desired)) : undefined;
}

/** The model policy's learning and recommendation for this run, when a mode uses it. */
function modelOf(ctx: Context): Context['model'] {
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
function sizedBy(view: ModelView, current: number): string {
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
function notScalable(
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
 * count). Until a change has calibrated s₀, one decay.replicas step at a time.
 */
function modelDecay(ctx: Context, view: ModelView, within: string): Draft {
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

function paused(ctx: Context, why: string): Decision {
  const { current } = ctx;
  const message = `hold at ${current}: ${why}`;
  return {
    action: 'hold',
    reason: 'Paused',
    message,
    current,
    desired: current,
    applied: current,
    manualChange: ctx.manualChange,
    probeFailed: false,
    calm: false,
    evaluations: ctx.evaluations,
    failures: ctx.failures,
    state: ctx.prior, // a paused target's state is left as it was
  };
}

function finish(ctx: Context, d: Draft): Decision {
  const { input, prior, current } = ctx;
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
  // Named only when the bound is what was applied (not when a never-down rule kept the count).
  const limitedBy =
    applied !== bounded ? undefined : bounded < d.desired ? 'max' : bounded > d.desired ? 'min' : undefined;
  const action = applied > current ? 'up' : applied < current ? 'down' : 'hold';
  const paused = scaleDownPaused ? ' (scale-down paused by annotation latency-scaler.io/paused-scale-down)' : '';
  const message = describe(ctx, d, action, applied, limitedBy) + paused;
  const at = new Date(input.now).toISOString();
  const changed = applied !== current;
  // A calm run needs fewer replicas than it has; a run that could not tell needs what it has.
  const needed = changed ? applied : (d.needed ?? (d.calm ? current - input.policy.decay.replicas : current));
  const observations = ctx.evaluations.map((e) => ({ target: e.target, value: e.value, limit: e.limit }));
  const entry = { at, current, desired: d.desired, applied, needed, action, reason: message, observations };
  const state: StateRecord = {
    ...prior,
    calmRuns: changed || !d.calm ? 0 : ctx.calmBefore + 1,
    lastReplicas: applied,
    lastRunAt: at,
    lastScaleAt: changed ? at : prior.lastScaleAt,
    unsettledSince: changed ? null : ctx.unsettledSince,
    // In flight from our change; over once a run sees the target settled.
    changeInFlightSince: changed ? at : input.status.notSettled ? ctx.changeInFlightSince : null,
    ...modelAfter(ctx, applied),
    history: appendHistory(prior.history, entry, input.policy.history.limit),
  };
  return {
    action,
    reason: d.reason,
    message,
    current,
    desired: d.desired,
    applied,
    ...(limitedBy ? { limitedBy } : {}),
    manualChange: ctx.manualChange,
    probeFailed: d.probeFailed ?? false,
    calm: d.calm,
    evaluations: ctx.evaluations,
    failures: ctx.failures,
    ...unreliable(ctx),
    state,
  };
}

/** The model's state to store; a scale-up carries the model's prediction, checked once it serves. */
function modelAfter(ctx: Context, applied: number): Partial<StateRecord> {
  if (!ctx.model) return {};
  const { state, view } = ctx.model;
  if (!state || !view || applied <= ctx.current) return { model: state };
  const t = primaryMean(ctx.input.policy, ctx.input.observations);
  const from = { replicas: ctx.current, t, failures: ctx.failures?.ratio ?? 0 };
  return { model: withPrediction(state, view, applied, from) };
}

/** The generator's delay as a material share of a measured latency: said in the record. */
function unreliable(ctx: Context): { unreliable?: string } {
  const g = ctx.generator;
  if (!g || g.share < MATERIAL_LAG_SHARE) return {};
  return { unreliable: `the load generator's own delay was ${Math.round(g.share * 100)}% of a latency (${g.text})` };
}

function describe(ctx: Context, d: Draft, action: Decision['action'], applied: number, limitedBy?: string): string {
  const { policy } = ctx.input;
  const verb =
    action === 'up' ? 'scale up' : action === 'down' ? (d.reason === 'Decay' ? 'decay' : 'scale down') : 'hold';
  const arrow = action === 'hold' ? ` at ${applied}` : ` ${ctx.current}→${applied}`;
  const bound =
    limitedBy === 'max'
      ? ` (limited by max ${policy.replicas.max})`
      : limitedBy === 'min'
        ? ` (limited by min ${policy.replicas.min})`
        : '';
  const manual = ctx.manualChange ? ' [replicas changed by someone else since the last run]' : '';
  return `${verb}${arrow}: ${d.why}${bound}${manual}`;
}
