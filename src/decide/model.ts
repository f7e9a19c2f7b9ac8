// The model policy (DESIGN §4.12): a small model of the service learned from its own latency. It
// learns the service time s₀, reads from each run the load behind the latency (inverting an M/M/n
// queue, queueing.ts; from the share served when failures clip the latency), sizes the replicas to
// a headroom in one step — for where a rising load is going, one run ahead — and watches whether its
// scale-ups show (model-check.ts). It tells a slower service from a fuller queue by the fastest
// answers: a queue leaves them where they were, a slower downstream moves them with the rest. Pure:
// the stored model, the run's observations and the policy in; the next state and a view out.
import type { ScalerConfig } from '../config/types.ts';
import type { Observations } from '../model/observations.ts';
import { requestStats } from '../model/observations.ts';
import type { ModelState } from '../model/state-record.ts';
import type { FailureSummary, TargetEvaluation } from './evaluate.ts';
import { judge, type Judged } from './model-check.ts';
import {
  emptyModel,
  fastBaseline,
  growthOf,
  learnFrom,
  noiseOf,
  round,
  serviceTime,
  withLoad,
  type Learned,
} from './model-learn.ts';
import { fewestWithin, meanResponse, predictAt, utilizationAt } from './queueing.ts';

export { emptyModel } from './model-learn.ts';

export type ModelPolicy = Pick<ScalerConfig, 'model' | 'targets' | 'replicas' | 'decay' | 'stabilization'>;

/** The most a failing run's load is read as, in capacities: one run grows the replicas at most about this much. */
const MAX_OVERLOAD = 4;
/** Utilization the model reads as saturation: beyond it a latency no longer tells the load. */
const SATURATED = 0.99;
/** A mean of this many service times is a queue past any steady state, whatever the count (one replica: 95%). */
const SATURATED_STRETCH = 20;
/**
 * Beyond this utilization a run is no steady state (within a short test its queue has not settled): it
 * calibrates nothing, nor scales the production rate.
 */
const DEEP_UTILIZATION = 0.95;
/** The growth a saturated run asks for at least (the load is at least the capacity, by how much unknown). */
const SATURATED_GROWTH = 1.5;
/** A latency that fell by this share since the last run: a backlog draining, not a load to size on. */
const MIN_FALL = 0.2;
/** The fastest answers this many times slower than they were (and by SLOWER_BY_MS): the service got slower. */
const SLOWER_FAST = 2;
const SLOWER_BY_MS = 1;
/** … by at least this share of the mean's rise over s₀: the whole distribution moved, not its tail. */
const SLOWER_SHARE = 0.5;
/** Fewer requests than this: the fastest answers (p5) say nothing. */
const MIN_FAST_REQUESTS = 50;
/** Below this utilization the fastest answers are the service's own (what a slower service is told by). */
const FAST_UTILIZATION = 0.9;
/** The weight of a new sample of the production rate's scale (servers per request/s). */
const PER_REQUEST_WEIGHT = 0.2;
/**
 * Runs that taught the rate's scale before the model sizes on it. One: at PER_REQUEST_WEIGHT a second
 * fit moves the scale by a fifth of its difference, so waiting for it only delayed the rate, unchecked.
 */
const RATE_FITS = 1;
/** The relative noise of a load read from the production rate (a counter's rate over a minute). */
const RATE_NOISE = 0.03;
/**
 * The most the latency of settled runs may cut the rate's load by, for a scale-down: a scale read high
 * (from a failing run's share served, or an s₀ fitted a few percent low) would hold its replicas, but at
 * many servers an s₀ a few percent high reads a busy queue as idle, so the latency may only trim it.
 */
const RATE_CUT = 0.8;
/**
 * A latency below this share of s₀ (and three σ of its noise below): the service got faster (s₀ learned
 * afresh).
 */
const FASTER = 0.7;
/** A test step: this much more capacity, at least one replica. */
export const TEST_STEP = 1.25;
/** Where the target is out of reach, the model sizes for a latency within this share of s₀ (little queueing). */
const REACH_MARGIN = 1.25;
/** Within this share of s₀ (or three σ of the noise, at most TRIAL_MAX) the latency reads no load. */
const TRIAL_BAND = 0.1;
const TRIAL_MAX = 0.2;

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
  s0: number;
  /**
   * The fewest replicas predicted to keep every latency target within headroom × its limit, at the
   * load one run ahead; undefined when the model cannot size (the latency is no higher than s₀).
   */
  need: number | undefined;
  /** The same with a 10% band below the headroom, at the most load today's latency allows: a scale-down's floor. */
  needDown: number | undefined;
  /** What a scale-up within target must reach: the need with the latency less its noise (no noise-driven ups). */
  needEarly: number | undefined;
  /**
   * The runs at this count read within the noise of s₀ on a target with no room above it (many servers:
   * idle and busy look alike): one decay step may try the count below, as LPA does.
   */
  trialDue: boolean;
  /** The load's growth a run that the sizing looks ahead by (1: none). */
  growth: number;
  /** Failures clipped the latency: the load was inferred from the share of requests served. */
  clipped: boolean;
  /** The queue is saturated: the latency no longer tells the load (it is at least the capacity). */
  saturated: boolean;
  /** The latency fell by a fifth since our scale-up from an overloaded run: the backlog draining. */
  draining: boolean;
  /** No scale-down before this time (after sizing from goodput). */
  stable: boolean;
  /**
   * How far the model may trust a scale-down: s₀ calibrated by a change, a step up that moved nothing, or
   * neither.
   */
  calibration: 'fitted' | 'idle' | 'none';
  /** The latency's relative run-to-run noise (σ, 0–25%). */
  noise: number;
  /** What the previous run within target asked for (a scale-up within target needs two, unless the load rises). */
  earlier: number | undefined;
  /**
   * Why the next scale-up is only a test step (TEST_STEP): the fastest answers rose with the rest (the
   * service itself may have got slower), or the latency is at s₀ and above the target.
   */
  suspect?: { kind: 'slower' | 'reach'; why: string };
  /** This run holds at its count to tell a bottleneck from a growing load (the last scale-up did not show). */
  control?: string;
  /** Scaling stopped: a bottleneck, or a target out of reach; `now`: decided this run (go back to `back`). */
  stuck?: { kind: 'bottleneck' | 'reach'; back: number; why: string; now: boolean };
  /** A stop lifted this run, and why; `retry`: by time alone, so the scale-up is one test step. */
  released?: string;
  retry?: boolean;
  text: string; // `s₀ 10.2 ms, utilization 72% at 3 ready`
  /** Predicts the primary latency at c replicas (the mean, ms), at the load one run ahead. */
  predict: (c: number) => number;
  /** The same from the load a scale-down is sized on (the most today's latency could be, within its noise). */
  predictDown: (c: number) => number;
  /** This run's reading, for the check a scale-up stores. */
  reading: { t: number; clipped: boolean; failShare: number; requests: number; lower: boolean; a: number };
}

/** A latency target of the probe's (not a failure ratio, a rate floor, or a production query). */
function isProbeLatency(t: ModelPolicy['targets'][number]): boolean {
  return t.type.kind !== 'failureRatio' && t.type.kind !== 'rps' && t.type.kind !== 'query';
}

/** The latency the model reads: the mean of the request the first latency target names. */
export function primaryMean(policy: ModelPolicy, observations: Observations | undefined): number | undefined {
  const stats = primaryStats(policy, observations);
  return stats && stats.count > 0 && stats.mean > 0 ? stats.mean : undefined;
}

function primaryStats(policy: ModelPolicy, observations: Observations | undefined) {
  const target = policy.targets.find(isProbeLatency);
  return target ? requestStats(observations, target.request) : undefined;
}

/**
 * Learns from this run and recommends. Returns the next model state (always) and a view (when the
 * model can say something: a trusted measurement of a latency target, with s₀ known before it).
 */
export function runModel(input: ModelInput): { state: ModelState | null; view?: ModelView } {
  const { policy, now, ready } = input;
  const stats = primaryStats(policy, input.observations);
  const t = primaryMean(policy, input.observations);
  if (t === undefined || ready <= 0) return { state: input.prior };
  const clipped = input.failures !== undefined && input.failures.ratio > policy.decay.maxFailureRatio;
  // A fresh model knows only this run: s₀ is at most its latency (it can size an overload from the
  // share served, and test whether a latency above the target is the service's own time).
  // A latency well below s₀ is impossible for the service s₀ was learned on: it got faster (a
  // downstream recovered, a better release), and is learned afresh — a lower s₀ only adds replicas.
  const priorNoise = input.prior ? (input.prior.noise ?? noiseOf(input.prior.recent)) : 0;
  // (At no more replicas than the last run: more replicas explain a lower latency by themselves.)
  const sameOrFewer = input.prior?.last !== null && input.prior?.last !== undefined && ready <= input.prior.last.c;
  const faster =
    input.prior &&
    sameOrFewer &&
    !clipped &&
    input.trusted &&
    t < serviceTime(input.prior) * Math.min(FASTER, 1 - 3 * priorNoise);
  const fresh = !input.prior || isNewRevision(input) || faster === true;
  const prior: ModelState = fresh
    ? emptyModel(t, now, input.revision ?? input.prior?.rev ?? undefined)
    : { ...input.prior!, rev: input.revision ?? input.prior!.rev };
  if (!input.trusted) return { state: fresh ? prior : { ...prior, last: null } };

  const before = serviceTime(prior);
  const n = ready * policy.model.concurrency;
  const noise = noiseOf(prior.recent);
  const jitter = prior.noise ?? noise;
  // The fastest answers against what they were: a queue leaves them, a slower service moves them.
  const fast = fastOf(stats);
  const baseline = fastBaseline(prior);
  // The fastest answers moved with the mean — most of the way (a queue's wait barely reaches them; a
  // slower downstream adds its time to every answer): the service itself may be slower.
  // A queue past saturation climbs during the test; a slower service stays flat (DESIGN §4.12 (b)).
  const climb = timelineOf(stats, before);
  const slower =
    !clipped &&
    climb?.growing !== true &&
    fast !== undefined &&
    baseline !== undefined &&
    fast >= SLOWER_FAST * baseline &&
    fast - baseline >= SLOWER_BY_MS &&
    fast - baseline >= SLOWER_SHARE * (t - before);
  const rhoBefore = utilizationAt(t / before, n);
  const climbing = climb?.growing === true;
  const deep = climbing || rhoBefore >= DEEP_UTILIZATION || t >= SATURATED_STRETCH * before;
  // A suspect run teaches neither the noise nor a calibration (its change is not the queue's).
  const learning = learned(input, t, !slower && rhoBefore < FAST_UTILIZATION ? fast : undefined, slower, deep);
  let state = clipped ? { ...prior, last: null } : learnFrom(prior, learning);
  if (state.probe?.idle === null && ready >= state.probe.c) {
    // The calibration step serves: it moved the latency (a fit) or nothing (the service is not busy).
    state = { ...state, probe: { ...state.probe, idle: state.fits === prior.fits } };
  }
  let s0 = Math.min(before, state.s0);
  let read = readLoad(t, s0, n, clipped ? overload(input.failures!) : undefined, climbing);
  const loadEntry = (r: typeof read, s: number) => ({
    at: now,
    a: r.a,
    noise: loadNoise(t, s, n, r, jitter),
    ...(r.lower ? { lower: true } : {}),
  });
  // The production rate (req/s), where a signal measured it: learned against the probe's reading of
  // the utilization (only where the latency tells it), then read as load directly (DESIGN §9).
  const rate = productionRate(input.observations);
  // Informative: a queue the latency shows well beyond its noise, short of saturation (near s₀ with
  // many servers the latency cannot tell 10% busy from 70%).
  const informative =
    !clipped && !read.saturated && read.rho <= DEEP_UTILIZATION && t >= s0 * (1 + Math.max(0.3, 4 * jitter));
  // A failing run's load is its share served (a sampling error of a few percent): it scales the rate as
  // a queue does, where it was no lower bound.
  // Where a stop holds (or was just lifted to try a step), the latency and failures are a bottleneck's or
  // out of reach, not the replicas' queue: they teach the rate nothing.
  const stopped = prior.stuck !== null || prior.again !== null;
  const scales = !stopped && (informative || (clipped && !read.lower));
  if (rate !== undefined && rate > 0 && scales) {
    const sample = read.a / rate;
    const known = state.perRequest;
    const perRequest = known === undefined ? sample : (1 - PER_REQUEST_WEIGHT) * known + PER_REQUEST_WEIGHT * sample;
    state = { ...state, perRequest: Number(perRequest.toPrecision(4)), rateFits: (state.rateFits ?? 0) + 1 };
  }
  const learnedRate = state.perRequest !== undefined && (state.rateFits ?? 0) >= RATE_FITS;
  const fromRate = rate !== undefined && learnedRate ? rate * state.perRequest! : undefined;
  const rateEntry = (a: number) => ({ at: now, a, noise: RATE_NOISE });
  state = withLoad(state, fromRate !== undefined ? rateEntry(fromRate) : loadEntry(read, s0));

  const failShare = input.failures?.ratio ?? 0;
  const requests = input.failures?.requests ?? stats?.count ?? 0;
  const within = input.evaluations.every((e) => !e.breached) && !clipped;
  const atServiceTime = (s: number): boolean => t <= s * (1 + Math.max(0.05, 2 * jitter));
  const judged: Judged = judge(state, {
    ready,
    t,
    clipped,
    failShare,
    requests,
    lowerBound: read.lower,
    within,
    maxFailureRatio: policy.decay.maxFailureRatio,
    noise: jitter,
    now,
    atServiceTime: atServiceTime(s0),
    a: read.a,
    climbing,
  });
  state = judged.state;
  if (judged.confirmed === 'slower' && state.stuck) {
    // A slower service is a new service: s₀ learned afresh from what it does now (as after a rollout);
    // out of reach only if that s₀ is above the target.
    const was = round(s0);
    const relearned = learnFrom(emptyModel(state.stuck.s0, now, input.revision), learning);
    s0 = serviceTime(relearned);
    read = readLoad(t, s0, n, clipped ? overload(input.failures!) : undefined, climbing);
    const stop = unreachable(policy, input.evaluations, t, s0)
      ? { ...state.stuck, kind: 'reach' as const, s0, was }
      : null;
    state = { ...withLoad(relearned, loadEntry(read, s0)), stuck: stop };
  }
  const { rho, saturated, lower } = read;
  // The load the sizing reads: the rate's where there is one (it knows a load the latency cannot tell,
  // near idle or past saturation), else the latency's.
  const rated = fromRate !== undefined;
  // Failing or saturated, the probe's "at least" stands beside it (a rate of served requests caps at
  // the capacity; a concurrency limit sheds below it).
  const load = fromRate === undefined ? read.a : clipped || saturated ? Math.max(fromRate, read.a) : fromRate;

  const stuck = state.stuck;
  // Sizing an overload, or where the target is out of reach, aims no lower than the reachable: a limit
  // below the service time would ask for every replica there is.
  const reachOnly = stuck?.kind === 'reach' || clipped || read.saturated;
  const limits = reachOnly ? reachLimits(policy, input.evaluations, t, s0) : latencyLimits(policy, input.evaluations);
  // A trend sizes ahead only where this run tells the load (a queue well beyond the latency's noise,
  // failing, or a production rate): near s₀ at many servers a reading follows the count itself (a
  // little noise reads as a busy queue), and would feed a trend of its own.
  const queueing = t >= s0 * (1 + Math.max(0.3, 4 * jitter));
  const telling = fromRate !== undefined || clipped || read.lower || queueing;
  const growth = telling ? growthOf(state.loads) : 1;
  const usable = !clipped && !saturated;
  // With a rate, an idle-looking latency still sizes (the rate says how far the load is from the knee).
  const slots = policy.model.concurrency;
  /** The latency at c replicas: the observed one carried by the model from today's load to `ahead`. */
  const carry = (aNow: number, ahead: number, observed: number) => {
    const modelNow = usable ? meanResponse(aNow / s0, n, s0) : 0;
    return (c: number): number => predictAt({ lambda: ahead / s0, s0, slots, observed, now: modelNow }, c);
  };
  const size = (share: number, aNow: number, ahead: number, quiet = 1): number =>
    Math.max(
      ...limits.map(({ limit, value }) =>
        fewestWithin({
          lambda: ahead / s0,
          s0,
          slots,
          observed: usable ? value / quiet : 0,
          now: usable ? meanResponse(aNow / s0, n, s0) : 0,
          limit: limit * share,
          from: 1,
          max: policy.replicas.max,
        }),
      ),
    );
  const headroom = policy.model.headroom;
  // None within reach and no overload seen: the latency is not queueing the model can remove.
  const sized = (share: number, aNow: number, ahead: number, quiet = 1): number | undefined => {
    // At or below s₀ the run says nothing of the load (noise, or s₀ learned high): no sizing on it.
    if (usable && t <= s0 && !rated) return undefined;
    const c = size(share, aNow, ahead, quiet);
    return c > policy.replicas.max && usable ? undefined : c;
  };
  // After our scale-up from an overloaded or saturated run, the backlog it built drains over the next
  // run: a latency that fell by a fifth since is the drain, not the load (no sizing on it).
  const previous = prior.last?.t;
  const check = prior.check;
  const overloadedBefore = check !== null && ready >= check.c && (check.clipped || check.lower);
  const backlogDraining = overloadedBefore && !clipped && t <= check.t * (1 - MIN_FALL);
  const falling = backlogDraining || (previous !== undefined && t <= previous * (1 - MIN_FALL));
  const ahead = load * growth;
  // At least half again as many; as many as the queue's climb says where it climbed more.
  const growthNow = Math.min(MAX_OVERLOAD, Math.max(SATURATED_GROWTH, climb?.overload ?? 1));
  const atLeast = saturated && !falling ? Math.min(policy.replicas.max, Math.ceil(ready * growthNow)) : 0;
  const need = saturated ? Math.max(atLeast, sized(headroom, load, ahead) ?? 0) : sized(headroom, load, ahead);
  // Down: the most load this latency could be, within its run-to-run noise. With many servers the
  // latency stays near s₀ until close to the knee, so it cannot tell 10% busy from 70%: the step down
  // is as large as the worst of those allows — small at many servers, where the knee is sharp.
  // Read as the mean of the last few runs at this count: the noise of a mean of k falls by √k.
  const same = state.same?.c === ready && state.same.t.length > 0 ? state.same.t : [t];
  const settled = same.reduce((x, y) => x + y, 0) / same.length;
  const worst = settled * (1 + jitter / Math.sqrt(same.length));
  const latencyWorst = utilizationAt(Math.max(t, worst) / s0, n) * n;
  // With a rate, the latency still bounds the load from above where the runs at this count settled
  // (trimming it by at most RATE_CUT): a scale read high must not hold the replicas it asked for.
  const bounded = usable && !climbing && !informative && same.length >= 2;
  const rateWorst = load * (1 + RATE_NOISE);
  const trimmed = bounded ? Math.min(rateWorst, Math.max(latencyWorst, rateWorst * RATE_CUT)) : rateWorst;
  const heavier = clipped ? load : rated ? trimmed : latencyWorst;
  // At or below s₀ too: an idle service is where a scale-down is surest (sized on that worst load,
  // one run ahead where it rises: no scale-down into a rising load).
  const downward = size(headroom * 0.9, heavier, heavier * growth);
  const needDown = downward > policy.replicas.max && usable ? undefined : downward;
  // A target whose scale-down band lies within the latency's noise of s₀ leaves the worst reading no
  // room: at many servers a few percent of latency reads as 10% busy or 70%, and an idle service would
  // hold its replicas forever. There, where the runs at this count settle within that noise and the
  // load is not rising, one decay step may try the count their mean sizes (LPA's trial: a breach after
  // it scales up and sets a floor; each step lower makes the latency more telling, and a count that
  // does not move it raises s₀ towards the truth). A target with room is sized as above. No sizing
  // floors the trial: at these readings any load up to the knee fits, so it would never step.
  const band = 1 + Math.min(TRIAL_MAX, Math.max(TRIAL_BAND, 3 * jitter));
  const tightest = Math.min(...limits.map((l) => l.limit));
  const roomless = tightest * headroom * 0.9 <= s0 * band;
  const steadyIdle = !climbing && growth === 1 && same.length >= 2 && settled <= s0 * band;
  const trialDue = usable && !rated && roomless && steadyIdle;
  // Within target, a scale-up acts when two runs in a row ask for it (each read as its latency less
  // the noise between runs at one count) — at once when the load is rising.
  const calmer = utilizationAt(t / (1 + jitter) / s0, n) * n;
  const early = sized(headroom, calmer, calmer * growth, 1 + jitter);
  const earlier = prior.early ?? undefined;
  // One run is enough where even the latency less twice its noise asks for it.
  const sure = utilizationAt(t / (1 + 2 * jitter) / s0, n) * n;
  const surely = sized(headroom, sure, sure * growth, 1 + 2 * jitter);
  let needEarly: number | undefined;
  // A rate is no noisy latency, and a saturated queue no steady state (it breaches within the run if it
  // is not yet): either asks for a scale-up within target at once.
  if (rated || (saturated && !falling)) needEarly = need;
  else if (early !== undefined && growth > 1) needEarly = early;
  else if (surely !== undefined && surely > ready) needEarly = surely;
  else if (early !== undefined && earlier !== undefined) needEarly = Math.min(early, earlier);
  state = { ...state, early: early ?? null };
  // After sizing from goodput, no scale-down for the stabilization window (Knative's panic mode); with
  // none, the calm runs a scale-down waits for (decay.unchangedRuns) and its worst-case load are the guard.
  const window = policy.stabilization.downscaleWindow;
  if (clipped && window > 0) state = { ...state, stableUntil: new Date(now + window).toISOString() };
  const stable = state.stableUntil !== null && Date.parse(state.stableUntil) > now;
  const view: ModelView = {
    s0,
    need,
    needDown,
    needEarly,
    trialDue,
    growth,
    clipped,
    saturated,
    draining: backlogDraining,
    stable,
    calibration: state.fits > 0 ? 'fitted' : state.probe?.idle === true ? 'idle' : 'none',
    noise: jitter,
    earlier,
    text:
      describe(s0, clipped, saturated, falling, rated ? load / n : rho, ready, growth) +
      (rated ? ` (${round(rate!)} req/s)` : ''),
    predict: carry(load, ahead, t),
    predictDown: carry(heavier, heavier, Math.max(t, worst)),
    reading: { t, clipped, failShare, requests, lower, a: load },
  };
  if (judged.control) view.control = judged.control;
  if (judged.released) view.released = judged.released;
  if (judged.retry) view.retry = true;
  if (stuck) {
    view.stuck = {
      kind: stuck.kind,
      back: stuck.back,
      why: stuckWhy(stuck, policy),
      now: judged.confirmed !== undefined,
    };
  } else if (slower) {
    const p5 = `p5 ${round(fast!)} ms, was ${round(baseline!)} ms`;
    view.suspect = {
      kind: 'slower',
      why: `the fastest answers are slower too (${p5}): the service itself may be slower`,
    };
  } else if (usable && atServiceTime(s0) && unreachable(policy, input.evaluations, t, s0)) {
    const why = `the latency is at the service time (s₀ ${round(s0)} ms), above the target`;
    view.suspect = { kind: 'reach', why };
  }
  return { state, view };
}

/**
 * How much the latency's run-to-run noise moves this run's load estimate (relative, one σ): near s₀
 * a few percent of latency is a large share of the load; near saturation, a small one. A failing
 * run's estimate is its share served (a sampling error of a few percent over hundreds of requests).
 */
function loadNoise(
  t: number,
  s0: number,
  n: number,
  read: { a: number; lower: boolean },
  latencyNoise: number,
): number {
  if (read.lower || read.a <= 0) return 0.05;
  // Until the noise is learned (three runs at one count), a probe's few percent.
  const noise = Math.max(latencyNoise, 0.03);
  const at = (x: number): number => utilizationAt(x / s0, n) * n;
  return Math.min(1, (at(t * (1 + noise)) - at(t / (1 + noise))) / (2 * read.a));
}

/** The load behind a run, in servers (λ·s₀): from the share served when failing, else from the latency. */
function readLoad(t: number, s0: number, n: number, over: number | undefined, climbing = false) {
  if (over !== undefined) return { rho: over, saturated: false, a: over * n, lower: over >= MAX_OVERLOAD };
  const rho = utilizationAt(t / s0, n);
  // A saturated queue (or one that climbed during the test) says only "at least the capacity".
  const saturated = climbing || rho >= SATURATED || t >= SATURATED_STRETCH * s0;
  return { rho, saturated, a: saturated ? n : rho * n, lower: saturated };
}

/**
 * The probe's latency by when its requests started (the first half of the test, the second): climbing
 * by more than a quarter and a service time is a queue that grows — in a FIFO queue the wait grows
 * at (λ − capacity)/capacity per unit of time, so 1 + that slope is the overload. Undefined where the
 * engine kept no timeline (Locust) or either half has fewer than three requests.
 */
function timelineOf(stats: ReturnType<typeof primaryStats>, s0: number) {
  const h = stats?.halves;
  if (!h || h.first.count < 3 || h.second.count < 3) return undefined;
  const rise = h.second.mean - h.first.mean;
  const growing = rise > Math.max(0.25 * h.first.mean, s0);
  return { growing, overload: growing ? 1 + rise / (h.spanMs / 2) : 1 };
}

/** The production request rate (req/s) a load signal measured this run; undefined where none did. */
function productionRate(observations: Observations | undefined): number | undefined {
  const value = observations?.production?.rate?.value;
  return value === null || value === undefined || !Number.isFinite(value) || value < 0 ? undefined : value;
}

/** This run as the model learns from it; a suspect run is kept from pairing with the last (no noise, no fit). */
function learned(input: ModelInput, t: number, fast: number | undefined, suspect: boolean, deep: boolean): Learned {
  return {
    ready: input.ready,
    t,
    fast,
    at: input.now,
    lastRunAt: suspect ? null : input.lastRunAt,
    slots: input.policy.model.concurrency,
    steady: growthOf(input.prior?.loads ?? []) === 1,
    deep,
  };
}

/** The p5 of the primary request, where the run had enough requests for it to mean something. */
function fastOf(stats: ReturnType<typeof primaryStats>): number | undefined {
  const p5 = stats?.percentiles['p5'];
  return stats && stats.count >= MIN_FAST_REQUESTS && p5 !== undefined && p5 > 0 ? p5 : undefined;
}

function describe(
  s0: number,
  clipped: boolean,
  saturated: boolean,
  falling: boolean,
  rho: number,
  ready: number,
  growth: number,
): string {
  const utilization = clipped
    ? `over capacity ×${round(rho)}`
    : saturated
      ? falling
        ? 'saturated, draining (the latency fell by a fifth since the last run)'
        : `saturated (the latency no longer tells the load: ×${SATURATED_GROWTH} at least)`
      : `utilization ${Math.round(rho * 100)}%`;
  const rising = growth > 1 ? `, the load rising ×${round(growth)} a run` : '';
  return `s₀ ${round(s0)} ms, ${utilization} at ${ready} ready${rising}`;
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
): { limit: number; value: number; tolerance: number }[] {
  const out: { limit: number; value: number; tolerance: number }[] = [];
  for (const [i, t] of policy.targets.entries()) {
    if (!isProbeLatency(t)) continue;
    const e = evaluations[i];
    if (e?.value !== null && e?.value !== undefined)
      out.push({ limit: t.target, value: e.value, tolerance: t.tolerance });
  }
  return out.length > 0 ? out : [{ limit: Infinity, value: 0, tolerance: 0 }];
}

/** Some latency target cannot be met even with nothing queueing: its value carried to s₀ is above it. */
function unreachable(policy: ModelPolicy, evaluations: readonly TargetEvaluation[], t: number, s0: number): boolean {
  return latencyLimits(policy, evaluations).some((l) => l.value * (s0 / t) > l.limit * (1 + l.tolerance));
}

/** Where a target is out of reach: size for the best reachable (within REACH_MARGIN of its value at s₀). */
function reachLimits(policy: ModelPolicy, evaluations: readonly TargetEvaluation[], t: number, s0: number) {
  return latencyLimits(policy, evaluations).map((l) => ({
    ...l,
    limit: Math.max(l.limit, (l.value * (s0 / t) * REACH_MARGIN) / policy.model.headroom),
  }));
}

function stuckWhy(stuck: NonNullable<ModelState['stuck']>, policy: ModelPolicy): string {
  if (stuck.kind === 'bottleneck') {
    const what = `scale-ups did not move the latency (${stuck.t} ms) beyond what the load's own growth explains`;
    return `${what}: a bottleneck more replicas do not relieve`;
  }
  const target = policy.targets.find(isProbeLatency);
  const limit = target ? `${target.target} ms` : 'the target';
  const was = stuck.was !== undefined ? ` (it was ${stuck.was} ms: the service itself got slower)` : '';
  return `the service time s₀ ${stuck.s0} ms${was} is above the target ${limit}: no count of replicas meets it`;
}

/** The target was rolled out since the model learned: a new template, a new service time. */
function isNewRevision(input: ModelInput): boolean {
  const rev = input.prior?.rev;
  return input.revision !== undefined && rev !== null && rev !== undefined && rev !== input.revision;
}
