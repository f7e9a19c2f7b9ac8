// What the model policy learns from each run (DESIGN §4.12): the service time s₀, the latency's
// run-to-run noise, the fastest answers of a service that is not queueing hard, and the recent
// offered load. Pure: the stored state and one run's reading in, the next state out.
import type { ModelLoad, ModelState } from '../model/model-state.ts';
import { serviceTimeFrom } from './queueing.ts';

/** How long a learned service time stands without a lower one before it is learned afresh. */
const S0_WINDOW_MS = 24 * 3600_000;
/** Two runs this close apart see one load: a change between them calibrates s₀. */
export const PAIR_GAP_MS = 10 * 60_000;
/** Two latencies closer than this say too little about s₀ to calibrate it (their noise dominates). */
const MIN_PAIR_STRETCH = 1.15;
/** The run-to-run differences kept: their median is the latency's noise. */
const SPREAD_RUNS = 7;
/** The most noise the model believes in: beyond it, the latency's changes are read as load. */
export const MAX_NOISE = 0.25;
/** The trusted latencies kept to bound s₀ from above. */
const RECENT_RUNS = 10;
/** The weight of a new calibration against the running estimate. */
const FIT_WEIGHT = 0.3;
/** The fastest-answer readings kept: their median is what a slower service is told against. */
const FAST_RUNS = 5;
/** The runs in a row at one count whose mean latency a scale-down reads. */
const SAME_RUNS = 3;
/** A slope beyond this many standard errors of the fit: a trend. */
const TREND_SIGMAS = 2;
/** Residuals this many times their noise (χ² per degree of freedom): the estimates lie along no line. */
const LINE_CHI2 = 4;
/** The load estimates kept for the trend. */
const LOAD_RUNS = 6;
/** A growth beyond this a run is steep: each of the last two rises must bear it out. */
const STEEP = 1.2;
/** The fewest estimates a trend is fitted on. */
const MIN_TREND_RUNS = 4;

/** One trusted run as the model learns from it. */
export interface Learned {
  ready: number;
  t: number; // the primary latency's mean (ms)
  /** The fastest answers (p5, ms) where the run was not queueing hard and not suspect; else undefined. */
  fast: number | undefined;
  at: number; // epoch ms
  lastRunAt: string | null;
  slots: number;
  /** The load was not trending: two close runs saw one load (else a change between them calibrates nothing). */
  steady: boolean;
  /** It queued too deep for a steady state: near saturation, its queue climbing during the test. */
  deep: boolean;
}

export function emptyModel(s0: number, now: number, revision: string | undefined): ModelState {
  return {
    v: 2,
    s0,
    s0At: new Date(now).toISOString(),
    fits: 0,
    recent: [],
    rev: revision ?? null,
    last: null,
    early: null,
    fast: [],
    loads: [],
    check: null,
    misses: 0,
    missedFrom: null,
    doubt: null,
    stuck: null,
    again: null,
    stableUntil: null,
    probe: null,
  };
}

/**
 * s₀, the service time. Until a change has calibrated it, the lowest mean latency seen (an upper
 * bound: every response takes at least its service). Each change of the replicas between two close
 * runs of one load gives two equations for s₀ and λ (serviceTimeFrom); s₀ then follows those fits
 * (a moving average: one pair is noisy), and the lowest latency only bounds it. The minimum of noisy
 * runs drifts low with their number, the fits do not.
 */
export function learnFrom(prior: ModelState, run: Learned): ModelState {
  const { t, at: now } = run;
  let state: ModelState = prior;
  const at = new Date(now).toISOString();
  const aged = now - Date.parse(state.s0At) > S0_WINDOW_MS;
  // The lowest latency seen bounds s₀ from above — less the noise it was seen through: the lowest of
  // many noisy runs lies below the service time itself (and a low s₀ reads an idle service as busy).
  const lowest = t * (1 + (state.noise ?? 0));
  if (aged) state = { ...state, s0: t, s0At: at, fits: 0 };
  else if (state.fits === 0 && lowest < state.s0) state = { ...state, s0: lowest, s0At: at };
  const last = state.last;
  // A run queued too deep for a steady state, or the run after one (the backlog drains into it): its
  // latency is the queue's passing state, so it neither calibrates s₀ nor teaches the noise. (A surge
  // paired with its drain fitted s₀ twice its truth, and an idle-looking service was halved.)
  const unsteady = run.deep || last?.deep === true;
  const close = run.lastRunAt !== null && now - Date.parse(run.lastRunAt) <= PAIR_GAP_MS;
  const row = !unsteady && state.same?.c === run.ready && close ? state.same.t : [];
  if (row.length >= 2) {
    // Three close runs in a row at one count: the second difference t₁ − 2t₂ + t₃ cancels a load that
    // moves steadily (a ramp, a daily cycle) and leaves the measurement's noise (σ√6 apart, on average
    // σ√6·√(2/π)). The median of the last few: a step or a surge between two runs is one outlier.
    const [t1, t2] = row.slice(-2) as [number, number];
    const level = (t1 + t2 + t) / 3;
    const sample = Math.abs(t1 - 2 * t2 + t) / level / (Math.sqrt(6) * Math.sqrt(2 / Math.PI));
    const spreads = [...(state.spreads ?? []), round3(sample)].slice(-SPREAD_RUNS);
    state = { ...state, spreads, noise: round3(Math.min(MAX_NOISE, median(spreads))) };
  }
  const apart = last && Math.max(last.t, t) / Math.min(last.t, t) >= MIN_PAIR_STRETCH;
  const pairs = !unsteady && last && close && run.steady && last.c !== run.ready;
  if (pairs && apart) {
    const fit = serviceTimeFrom(last, { c: run.ready, t }, run.slots);
    if (fit !== undefined) {
      // The first fit replaces the lowest latency seen, but never above it (that bound is hard).
      const s0 = state.fits === 0 ? Math.min(fit, state.s0) : (1 - FIT_WEIGHT) * state.s0 + FIT_WEIGHT * fit;
      state = { ...state, s0: Math.min(s0, t, last.t), s0At: at, fits: state.fits + 1 };
    }
  } else if (pairs) {
    state = boundedBelow(state, last, { c: run.ready, t }, run.slots, at);
  }
  const fast = run.fast === undefined ? state.fast : [...state.fast, round(run.fast)].slice(-FAST_RUNS);
  return {
    ...state,
    same: { c: run.ready, t: unsteady ? [] : [...row, round(t)].slice(-SAME_RUNS) },
    last: { c: run.ready, t, ...(run.deep ? { deep: true as const } : {}) },
    recent: [...state.recent, round(t)].slice(-RECENT_RUNS),
    fast,
  };
}

/**
 * The count changed between two close runs and the latency did not (within twice its noise): little
 * queues at either count, so s₀ is at least what makes the fewer replicas' latency that close — a
 * lower bound that corrects the lowest latency seen, which noise drags low run after run (and a low
 * s₀ reads an idle service as a busy one). Counted as a calibration.
 */
function boundedBelow(
  state: ModelState,
  last: { c: number; t: number },
  run: { c: number; t: number },
  slots: number,
  at: string,
): ModelState {
  const [few, many] = last.c < run.c ? [last, run] : [run, last];
  const band = 1 + 2 * Math.max(0.02, state.noise ?? noiseOf(state.recent));
  if (few.t > many.t * band) return state;
  const bound = serviceTimeFrom({ c: few.c, t: many.t * band }, many, slots);
  if (bound === undefined) return state;
  const s0 = Math.min(Math.max(state.s0, bound), Math.min(few.t, many.t) * (1 + (state.noise ?? 0)));
  return { ...state, s0, s0At: at, fits: state.fits + 1 };
}

/** A run's offered load joins the recent ones (a run too far from the last starts the trend afresh). */
export function withLoad(state: ModelState, load: ModelLoad): ModelState {
  const previous = state.loads.at(-1);
  const kept = previous && load.at - previous.at <= 2 * PAIR_GAP_MS ? state.loads : [];
  const entry = { ...load, a: round(load.a), ...(load.noise !== undefined ? { noise: round(load.noise) } : {}) };
  return { ...state, loads: [...kept, entry].slice(-LOAD_RUNS) };
}

/**
 * The load's growth a run: the slope of the recent estimates' logarithm, fitted by least squares (each
 * weighted by its own noise) over the longest run of the last few that lies along a line (a step, flat
 * then a jump, does not: its residuals are beyond their noise; a surge that set in lately does, over its
 * own runs), where the slope beats its standard error TREND_SIGMAS times. The factor one run ahead (1
 * when there is no such trend), at most 2. Only ever used to add replicas (a forecast never removes
 * one, as predictive autoscalers rule it).
 */
export function growthOf(loads: readonly ModelLoad[]): number {
  // A lower bound (a saturated or far-overloaded run) only as the newest: before it, it would read as
  // a rise that is only the true level showing.
  const lastLower = loads.slice(0, -1).findLastIndex((l) => l.lower === true);
  const kept = loads.slice(lastLower + 1).filter((l) => l.a > 0);
  for (let length = kept.length; length >= MIN_TREND_RUNS; length--) {
    const fit = lineOf(kept.slice(-length));
    if (fit.chi2 > LINE_CHI2) continue;
    if (fit.slope <= TREND_SIGMAS * fit.error) return 1;
    // A steep forecast must be borne out by each of the last two rises (half its slope at least): a
    // step past noisy estimates near s₀ fits a line too, and the jump alone would size it twice.
    const rises = kept.slice(-3).map((l, i, xs) => (i > 0 ? Math.log(l.a / xs[i - 1]!.a) : Infinity));
    if (fit.slope > Math.log(STEEP) && Math.min(...rises) < fit.slope / 2) return 1;
    return Math.min(2, Math.exp(fit.slope));
  }
  return 1;
}

/** The weighted least-squares line through the estimates' logarithm: slope a run, its error, χ² a degree. */
function lineOf(loads: readonly ModelLoad[]): { slope: number; error: number; chi2: number } {
  const points = loads.map((l, i) => ({ x: i, y: Math.log(l.a), w: 1 / Math.max(0.02, l.noise ?? 0.05) ** 2 }));
  const sum = (f: (p: (typeof points)[number]) => number): number => points.reduce((s, p) => s + f(p), 0);
  const sw = sum((p) => p.w);
  const mx = sum((p) => p.w * p.x) / sw;
  const my = sum((p) => p.w * p.y) / sw;
  const sxx = sum((p) => p.w * (p.x - mx) ** 2);
  const slope = sum((p) => p.w * (p.x - mx) * (p.y - my)) / sxx;
  const chi2 = sum((p) => p.w * (p.y - my - slope * (p.x - mx)) ** 2) / (points.length - 2);
  // Residuals beyond the estimates' own noise widen the slope's error with them.
  return { slope, error: Math.sqrt(Math.max(1, chi2) / sxx), chi2 };
}

/** The relative run-to-run spread of the recent latencies (a robust σ: 1.48 × MAD / median), 0–25%. */
export function noiseOf(recent: readonly number[]): number {
  if (recent.length < 3) return 0;
  const m = median(recent);
  const mad = median(recent.map((x) => Math.abs(x - m)));
  return Math.min(MAX_NOISE, (1.4826 * mad) / m);
}

/**
 * The service time the model uses: the learned s₀, never above the lowest of the last few trusted
 * latencies beyond their noise (a fit thrown high by noise is caught at once).
 */
export function serviceTime(state: ModelState): number {
  // Two σ of slack: of ten noisy runs the lowest is often 1.5σ below its truth.
  const slack = 1 + 2 * (state.noise ?? noiseOf(state.recent));
  return Math.min(state.s0, Math.min(...state.recent) * slack);
}

/** The fastest answers as they were while the service did not queue hard (the median of the last few). */
export function fastBaseline(state: ModelState): number | undefined {
  return state.fast.length >= 2 ? median(state.fast) : undefined;
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;
