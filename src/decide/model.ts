// The model policy (DESIGN §4.12): a small model of the service learned from its own latency. It
// learns the service time s₀, infers from the observed latency the load behind it (inverting an
// M/M/n queue, queueing.ts), and sizes the replicas to a headroom in one step; it sizes from the
// share of requests served when failures clip the latency, and it watches whether its scale-ups
// move the latency as predicted (a downstream bottleneck: they do not). Pure: the stored model
// state, the run's observations and the policy in; the next state and a recommendation out.
import type { ScalerConfig } from '../config/types.ts';
import type { Observations } from '../model/observations.ts';
import { requestStats } from '../model/observations.ts';
import type { ModelState } from '../model/state-record.ts';
import type { FailureSummary, TargetEvaluation } from './evaluate.ts';
import { fewestWithin, meanResponse, predictAt, serviceTimeFrom, utilizationAt } from './queueing.ts';

export type ModelPolicy = Pick<ScalerConfig, 'model' | 'targets' | 'replicas' | 'decay' | 'stabilization'>;

/** How long a learned service time stands without a lower one before it is learned afresh. */
const S0_WINDOW_MS = 24 * 3600_000;
/** Two runs this close apart see one load: a change between them calibrates s₀. */
const PAIR_GAP_MS = 10 * 60_000;
/** The most a failing run's load is read as, in capacities: one run grows the replicas at most about this much. */
const MAX_OVERLOAD = 4;
/** Two latencies closer than this say too little about s₀ to calibrate it (their noise dominates). */
const MIN_PAIR_STRETCH = 1.15;
/** The weight of a new run-to-run difference in the noise estimate. */
const NOISE_WEIGHT = 0.2;
/** The most noise the model believes in: beyond it, the latency's changes are read as load. */
const MAX_NOISE = 0.25;
/** The trusted latencies kept to bound s₀ from above. */
const RECENT_RUNS = 10;
/** The weight of a new calibration against the running estimate. */
const FIT_WEIGHT = 0.3;
/** After sizing from goodput, no scale-down for the stabilization window, or this long without one. */
const STABLE_AFTER_CLIP_MS = 5 * 60_000;
/** A scale-up that delivered less than this share of its predicted improvement (log scale) missed. */
const HELPED_SHARE = 0.3;
/** A latency that fell by this share after a scale-up: the scaling helped. */
const MIN_FALL = 0.2;
/** Scale-ups in a row that missed before the model stops adding replicas. */
const MISSES_TO_STOP = 2;
/** Utilization the model reads as saturation: beyond it a latency no longer tells the load. */
const SATURATED = 0.99;
/** The growth a saturated run asks for at least (the load is at least the capacity, by how much unknown). */
const SATURATED_GROWTH = 1.5;
/** z of a one-sided 90% bound: a shortfall in the share served beyond this many errors is real. */
const ONE_SIDED_90 = 1.2816;
/** Fewer requests than this in a run: its share served is not compared at all. */
const MIN_REQUESTS_TO_JUDGE = 30;
/** A stopped model tries one scale-up again after this long. */
const RETRY_AFTER_MS = 30 * 60_000;

export interface ModelInput {
  policy: ModelPolicy;
  prior: ModelState | null;
  observations: Observations | undefined;
  evaluations: readonly TargetEvaluation[];
  failures: FailureSummary | undefined;
  /** Replicas serving now (ready), and in the spec. */
  ready: number;
  current: number;
  /** The load test can be trusted for the model: settled, measured, the generator not saturated. */
  trusted: boolean;
  revision: string | undefined;
  now: number;
  lastRunAt: string | null;
}

export interface ModelView {
  /**
   * The fewest replicas predicted to keep every latency target within headroom × its limit;
   * undefined when the model cannot size (the latency is no higher than s₀: nothing to remove).
   */
  need: number | undefined;
  /** The same with a 10% band below the headroom: what a scale-down must reach (no flapping). */
  needDown: number | undefined;
  /** What a scale-up within target must reach: the need with the latency less its noise (no noise-driven ups). */
  needEarly: number | undefined;
  /** Failures clipped the latency: the load was inferred from the share of requests served. */
  clipped: boolean;
  /** Scaling has stopped helping: the count to return to, and why, in words. */
  notScalable?: { since: number; back: number; why: string };
  /** A scale-up that did not help was seen: the next one is a single step, a test. */
  doubting: boolean;
  /** No scale-down before this time (after sizing from goodput). */
  stable: boolean;
  /** The queue is saturated: the latency no longer tells the load (it is at least the capacity). */
  saturated: boolean;
  /** The latency fell by a fifth since our scale-up from an overloaded run: the backlog draining. */
  draining: boolean;
  /**
   * The model may halve: s₀ calibrated by at least one change, or the latency within its run-to-run
   * noise of s₀ (the service idle: nothing queues, whatever s₀'s error).
   */
  calibrated: boolean;
  /**
   * The latency's relative run-to-run noise (σ, 0–25%): learned from close runs at one count, else the
   * spread of the recent runs.
   */
  noise: number;
  /** What the previous run's latency, less its noise, asked for (a scale-up within target needs two). */
  earlier: number | undefined;
  text: string; // `s₀ 10.2 ms, utilization 72% at 3 replicas`
  /** Predicts the primary latency at c replicas (the mean, ms). */
  predict: (c: number) => number;
  /** The same from the load a scale-down is sized on (the latency less its noise). */
  predictDown: (c: number) => number;
}

export function emptyModel(s0: number, now: number, revision: string | undefined): ModelState {
  return {
    s0,
    s0At: new Date(now).toISOString(),
    fits: 0,
    recent: [],
    rev: revision ?? null,
    last: null,
    early: null,
    pred: null,
    misses: 0,
    missedFrom: null,
    stableUntil: null,
    stuck: null,
  };
}

/** The latency the model reads: the mean of the request the first latency target names. */
function primaryMean(policy: ModelPolicy, observations: Observations | undefined): number | undefined {
  const target = policy.targets.find((t) => t.type.kind !== 'failureRatio' && t.type.kind !== 'rps');
  const stats = target ? requestStats(observations, target.request) : undefined;
  return stats && stats.count > 0 && stats.mean > 0 ? stats.mean : undefined;
}

/**
 * Learns from this run and recommends. Returns the next model state (always) and a view (when the
 * model can say something: a trusted measurement of a latency target).
 */
export function runModel(input: ModelInput): { state: ModelState | null; view?: ModelView } {
  const { policy, now, ready } = input;
  const t = primaryMean(policy, input.observations);
  if (t === undefined || ready <= 0) return { state: input.prior };
  const slots = policy.model.concurrency;
  const clipped = input.failures !== undefined && input.failures.ratio > policy.decay.maxFailureRatio;
  // s₀ from what was known before this run: a run cannot vouch for itself (its own noise would
  // read as an idle service). A fresh model has only this run: it learns, and cannot size yet.
  const before = input.prior && !isNewRevision(input) ? serviceTime(input.prior) : undefined;
  let state = learn(input, t, clipped);
  if (!input.trusted || before === undefined) return { state };

  const n = ready * slots;
  const s0 = Math.min(before, state.s0);
  const loadAt = (x: number): number => (clipped ? overload(input.failures!) : utilizationAt(x / s0, n));
  const rho = loadAt(t);
  const lambda = (rho * n) / s0;
  const modelNow = meanResponse(lambda, n, s0);
  const limits = latencyLimits(policy, input.evaluations);
  const size = (share: number, load: number, quiet = 1): number => {
    const rate = (load * n) / s0;
    const there = meanResponse(rate, n, s0);
    const usable = !clipped && Number.isFinite(there);
    return Math.max(
      ...limits.map(({ limit, value }) =>
        fewestWithin({
          lambda: rate,
          s0,
          slots,
          observed: usable ? value / quiet : 0,
          now: usable ? there : 0,
          limit: limit * share,
          from: 1,
          max: policy.replicas.max,
        }),
      ),
    );
  };
  const headroom = policy.model.headroom;
  // None within reach and no overload seen: the latency is not queueing the model can remove.
  const sized = (share: number, load: number, quiet = 1): number | undefined => {
    // At or below s₀ the run says nothing of the load (noise, or s₀ learned high): no sizing on it.
    if (!clipped && t <= s0) return undefined;
    const c = size(share, load, quiet);
    return c > policy.replicas.max && !clipped ? undefined : c;
  };
  // A queue at saturation (a mean of many service times, no failure in the probe) says only that the
  // load is at least the capacity: at least half again as many replicas, as Knative's panic mode does —
  // unless its latency fell by a fifth since the last run (a backlog draining after a scale-up).
  const saturated = !clipped && rho >= SATURATED;
  // After our scale-up from an overloaded or saturated run, the backlog it built drains over the next
  // run: a latency that fell by a fifth since is the drain, not the load (no sizing on it).
  const pred = input.prior?.pred;
  const overloadedBefore = pred && ready >= pred.c && (pred.fromClipped || pred.fromSaturated === true);
  const backlogDraining = overloadedBefore === true && !clipped && t <= pred.from * (1 - MIN_FALL);
  const previous = input.prior?.last?.t;
  const falling = backlogDraining || (previous !== undefined && t <= previous * (1 - MIN_FALL));
  const atLeast = saturated && !falling ? Math.min(policy.replicas.max, Math.ceil(ready * SATURATED_GROWTH)) : 0;
  const need = saturated ? Math.max(atLeast, sized(headroom, rho) ?? 0) : sized(headroom, rho);
  // Down: the latency less its run-to-run noise. Near s₀ with many servers a few percent of noise
  // reads as a load near the knee, and would hold every replica; a wrong guess costs one breach.
  const noise = noiseOf(state.recent);
  const quieter = loadAt(t / (1 + noise));
  const needDown = sized(headroom * 0.9, quieter);
  // Within target, a scale-up acts when two runs in a row ask for it, each read as its latency less
  // the noise between runs at one count (a drifting load or a scale change is no noise; see learn).
  const jitter = state.noise ?? noise;
  const early = sized(headroom, loadAt(t / (1 + jitter)), 1 + jitter);
  const earlier = state.early ?? undefined;
  const needEarly = early !== undefined && earlier !== undefined ? Math.min(early, earlier) : undefined;
  state = { ...state, early: early ?? null };
  const predict = (c: number): number => predictAt({ lambda, s0, slots, observed: t, now: modelNow }, c);
  const quietRate = (quieter * n) / s0;
  const quietNow = meanResponse(quietRate, n, s0);
  const predictDown = (c: number): number =>
    predictAt({ lambda: quietRate, s0, slots, observed: t / (1 + noise), now: quietNow }, c);

  state = checkScaling(state, input, t, clipped, saturated);
  if (clipped) {
    const window = policy.stabilization.downscaleWindow;
    const hold = window > 0 ? window : STABLE_AFTER_CLIP_MS;
    state = { ...state, stableUntil: new Date(now + hold).toISOString() };
  }
  const stable = state.stableUntil !== null && Date.parse(state.stableUntil) > now;
  const utilization = clipped
    ? `over capacity ×${round(rho)}`
    : saturated
      ? falling
        ? 'saturated, draining (the latency fell by a fifth since the last run)'
        : `saturated (the latency no longer tells the load: ×${SATURATED_GROWTH} at least)`
      : `utilization ${Math.round(rho * 100)}%`;
  const text = `s₀ ${round(s0)} ms, ${utilization} at ${ready} ready`;
  const calibrated = state.fits > 0 || t <= s0 * (1 + noise);
  const doubting = state.misses > 0;
  const view: ModelView = {
    need,
    needDown,
    needEarly,
    clipped,
    stable,
    calibrated,
    doubting,
    noise: jitter,
    earlier,
    saturated,
    draining: backlogDraining,
    text,
    predict,
    predictDown,
  };
  if (state.stuck) view.notScalable = { since: state.stuck.since, back: state.stuck.back, why: stuckWhy(state) };
  return { state, view };
}

/**
 * How far past capacity a failing service is: capacity ÷ the share served, at most ×4 in one run. An
 * overloaded run completes few requests (each near its timeout): the share is taken as (failed + ½) ÷
 * (requests + 1), so 6 of 6 failing is ×14, not infinity, and a probe of a thousand is as it was; and a
 * few requests cannot tell ×5 from ×50, so one run grows at most fourfold and the next one looks again.
 */
function overload(failures: FailureSummary): number {
  const failed = (failures.failures + 0.5) / (failures.requests + 1);
  return Math.min(MAX_OVERLOAD, 1 / Math.max(1e-6, 1 - failed));
}

/** The latency targets' limits with their observed values (failure ratios and rates are not sized). */
function latencyLimits(
  policy: ModelPolicy,
  evaluations: readonly TargetEvaluation[],
): { limit: number; value: number }[] {
  const out: { limit: number; value: number }[] = [];
  for (const [i, t] of policy.targets.entries()) {
    if (t.type.kind === 'failureRatio' || t.type.kind === 'rps') continue;
    const e = evaluations[i];
    if (e?.value !== null && e?.value !== undefined) out.push({ limit: t.target, value: e.value });
  }
  return out.length > 0 ? out : [{ limit: Infinity, value: 0 }];
}

/**
 * s₀, the service time. Until a change has calibrated it, the lowest mean latency seen (an upper
 * bound: every response takes at least its service). Each change of the replicas between two close
 * runs of one load gives two equations for s₀ and λ (serviceTimeFrom); s₀ then follows those fits
 * (a moving average: one pair is noisy), and the lowest latency only bounds it. The minimum of noisy
 * runs drifts low with their number, the fits do not. A new revision (a rollout) learns it afresh.
 */
function learn(input: ModelInput, t: number, clipped: boolean): ModelState {
  const { now, revision } = input;
  const prior = input.prior;
  const fresh = !prior || isNewRevision(input);
  if (fresh) {
    const start = emptyModel(t, now, revision);
    return input.trusted && !clipped ? { ...start, last: { c: input.ready, t }, recent: [round(t)] } : start;
  }
  let state: ModelState = { ...prior, rev: revision ?? prior.rev };
  if (!input.trusted || clipped) return { ...state, last: null };
  const at = new Date(now).toISOString();
  const aged = now - Date.parse(state.s0At) > S0_WINDOW_MS;
  if (aged) state = { ...state, s0: t, s0At: at, fits: 0 };
  else if (state.fits === 0 && t < state.s0) state = { ...state, s0: t, s0At: at };
  const last = state.last;
  const close = input.lastRunAt !== null && now - Date.parse(input.lastRunAt) <= PAIR_GAP_MS;
  if (last && close && last.c === input.ready) {
    // Two close runs at one count: their difference is the measurement's noise (σ√2 apart, on average
    // σ·2/√π); a moving average of it, which forgets a load that has since settled.
    const apartBy = Math.abs(t - last.t) / ((t + last.t) / 2);
    const sample = Math.min(MAX_NOISE, apartBy / (2 / Math.sqrt(Math.PI)));
    const noise = state.noise === undefined ? sample : (1 - NOISE_WEIGHT) * state.noise + NOISE_WEIGHT * sample;
    state = { ...state, noise: Math.round(noise * 1000) / 1000 };
  }
  const apart = last && Math.max(last.t, t) / Math.min(last.t, t) >= MIN_PAIR_STRETCH;
  if (last && close && apart && last.c !== input.ready) {
    const fit = serviceTimeFrom(last, { c: input.ready, t }, input.policy.model.concurrency);
    if (fit !== undefined) {
      // The first fit replaces the lowest latency seen, but never above it (that bound is hard).
      const s0 = state.fits === 0 ? Math.min(fit, state.s0) : (1 - FIT_WEIGHT) * state.s0 + FIT_WEIGHT * fit;
      state = { ...state, s0: Math.min(s0, t, last.t), s0At: at, fits: state.fits + 1 };
    }
  }
  return { ...state, last: { c: input.ready, t }, recent: [...state.recent, round(t)].slice(-RECENT_RUNS) };
}

/** The target was rolled out since the model learned: a new template, a new service time. */
function isNewRevision(input: ModelInput): boolean {
  const rev = input.prior?.rev;
  return input.revision !== undefined && rev !== null && rev !== undefined && rev !== input.revision;
}

/** The relative run-to-run spread of the recent latencies (a robust σ: 1.48 × MAD / median), 0–25%. */
export function noiseOf(recent: readonly number[]): number {
  if (recent.length < 3) return 0;
  const median = (xs: number[]): number => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const m = median([...recent]);
  const mad = median(recent.map((x) => Math.abs(x - m)));
  return Math.min(0.25, (1.4826 * mad) / m);
}

/**
 * The service time the model uses: the learned s₀, never above the lowest of the last few trusted
 * latencies (a fit thrown high by noise is caught at once; noise only lowers this, which is safe).
 */
export function serviceTime(state: ModelState): number {
  return Math.min(state.s0, ...state.recent);
}

/**
 * After our scale-up took effect: did the latency move as predicted? Two misses in a row stop
 * further scale-ups (NotScalable) until the latency is within target again, a rollout, or a retry.
 */
function checkScaling(
  state: ModelState,
  input: ModelInput,
  t: number,
  clipped: boolean,
  saturated: boolean,
): ModelState {
  const { now } = input;
  const within = input.evaluations.every((e) => !e.breached) && !clipped;
  if (within) return { ...state, misses: 0, missedFrom: null, stuck: null, pred: null };
  if (state.stuck && now - state.stuck.since >= RETRY_AFTER_MS) {
    // Try once more (one step: see scaleUpTo's doubting): one miss from stopping again.
    return { ...state, stuck: null, misses: MISSES_TO_STOP - 1, missedFrom: { c: state.stuck.back, t: state.stuck.t } };
  }
  const pred = state.pred;
  if (!pred || input.ready < pred.c) return state;
  // Across a change of regime (failing before, not now, or the other way) the load itself changed:
  // nothing can be told, and nothing is held against the scaling.
  if (pred.fromClipped !== clipped) return { ...state, pred: null };
  // Still saturated: the latency is pinned by the queue (at its timeout), not by a bottleneck that more
  // replicas cannot relieve; whether they help shows once the queue drains.
  if (saturated) return { ...state, pred: null };
  const first = state.missedFrom ?? { c: pred.before, t: pred.from };
  // Failing: the requests served must grow with the replicas (a bottleneck keeps their share). Not
  // failing: the latency fell by a fifth, or by a good share of what the model predicted (a queue
  // built up before the change drains over more than one run, so a fall short of the prediction
  // alone is no proof) — from this change, or since the first change that did not help.
  const fell = (from: number): boolean => t <= from * (1 - MIN_FALL);
  const served = clipped ? servedMore(pred, input) : undefined;
  // Too few requests to tell whether the share served grew: no help, no miss (a probe of six requests
  // failing one, then two, says nothing of a bottleneck).
  if (served === 'unknown') return { ...state, pred: null };
  const helped = clipped
    ? served === 'yes'
    : fell(pred.from) || fell(first.t) || (pred.t !== null && asPredicted(pred.from, t, pred.t));
  if (helped) return { ...state, misses: 0, missedFrom: null, pred: null };
  const misses = state.misses + 1;
  // Back to the count before the scale-ups that did not help (the latency there was no worse: it
  // has not fallen by a fifth since, or this would have counted as help).
  const stuck = misses >= MISSES_TO_STOP ? { since: now, back: first.c, t: round(t) } : state.stuck;
  return { ...state, misses, missedFrom: first, pred: null, stuck };
}

/**
 * A failing service scaled up: did the share of requests served grow with the replicas, by a good
 * share of their growth? 'no' only when it fell short by more than its sampling error allows (one-sided
 * 90%, over the requests of both runs), each run of at least 30 requests; 'unknown' otherwise: a probe of
 * six requests, one then two failing, says nothing of a bottleneck.
 */
function servedMore(pred: NonNullable<ModelState['pred']>, input: ModelInput): 'yes' | 'no' | 'unknown' {
  const requests = input.failures?.requests ?? 0;
  const share = 1 - (input.failures?.ratio ?? 0);
  const wanted = 1 + HELPED_SHARE * (input.ready / pred.before - 1);
  const before = 1 - pred.fromFailures;
  const goal = before * wanted;
  if (share >= goal) return 'yes';
  // Stored before the request counts were (an older record): as many as this run.
  const beforeRequests = pred.fromRequests ?? requests;
  if (Math.min(requests, beforeRequests) < MIN_REQUESTS_TO_JUDGE) return 'unknown';
  const error = Math.sqrt(shareVariance(share, requests) + shareVariance(before, beforeRequests) * wanted ** 2);
  return goal - share > ONE_SIDED_90 * error ? 'no' : 'unknown';
}

/** The variance of a share measured over n requests (Agresti–Coull: never 0 at 0% or 100%). */
function shareVariance(share: number, n: number): number {
  const trials = Math.max(0, n) + 4;
  const p = (share * Math.max(0, n) + 2) / trials;
  return (p * (1 - p)) / trials;
}

/** The latency moved from `from` to `t` by a good share of the predicted move to `predicted` (log scale). */
function asPredicted(from: number, t: number, predicted: number): boolean {
  return Math.log(from / t) >= HELPED_SHARE * Math.log(from / predicted);
}

function stuckWhy(state: ModelState): string {
  const s = state.stuck!;
  const what = `${MISSES_TO_STOP} scale-ups in a row did not move the latency as predicted (${s.t} ms)`;
  return `${what}: a bottleneck more replicas do not relieve`;
}

/** The prediction a scale-up stores, checked on the first run where the new replicas serve. */
export function withPrediction(
  state: ModelState,
  view: ModelView,
  to: number,
  from: { replicas: number; t: number | undefined; failures: number; requests: number },
): ModelState {
  // Still past capacity at `to` (one step of a failing service), the model predicts no latency: none
  // is stored (a NaN would be written as null and fail the record's decoding, losing the model).
  const predicted = view.predict(to);
  return {
    ...state,
    pred: {
      c: to,
      t: Number.isFinite(predicted) ? round(predicted) : null,
      from: round(from.t ?? 0),
      fromClipped: view.clipped,
      ...(view.saturated ? { fromSaturated: true } : {}),
      fromFailures: from.failures,
      fromRequests: from.requests,
      before: from.replicas,
    },
  };
}

export { primaryMean };

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
