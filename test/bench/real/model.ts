// The load profiles of the real closed-loop benchmark (real-loop.ts), and the oracle it is measured
// against: the fewest replicas whose M/M/(c·slots) mean (Erlang C) meets the target at the run's load.

export interface RealProfile {
  id: string; // for --profiles
  name: string;
  runs: number;
  /** Production arrivals in requests/s during run `run`. */
  load: (run: number) => number;
  /** The run of the step, for the recovery figure. */
  stepAt: number;
  /** Runs a new replica waits beyond the next run before it serves (0: ready at the next run). */
  readyAfter: number;
}

/** 400 → 1600 req/s: the oracle goes from 3 to 9 replicas of 2 slots at 10 ms and a 25 ms mean target. */
const step = (id: string, name: string, runs: number, stepAt: number, readyAfter = 0): RealProfile => ({
  id,
  name,
  runs,
  load: (r) => (r < stepAt ? 400 : 1600),
  stepAt,
  readyAfter,
});

/** Production ×1.3 a run from run `from`, 200 → 3000 requests/s (a launch, a retry storm; oracle 2 → 17). */
const surge = (id: string, name: string, runs: number, from: number): RealProfile => ({
  id,
  name,
  runs,
  load: (r) => Math.round(Math.min(3000, 200 * 1.3 ** Math.max(0, r - from))),
  stepAt: from,
  readyAfter: 0,
});

/** 400 → 1600 requests/s over `over` runs from run `from` (the shape of most real traffic), then steady. */
const ramp = (id: string, name: string, runs: number, from: number, over: number): RealProfile => ({
  id,
  name,
  runs,
  load: (r) => Math.round(400 + 1200 * Math.min(1, Math.max(0, (r - from) / over))),
  stepAt: from,
  readyAfter: 0,
});

export const PROFILES: RealProfile[] = [
  step('step', 'step ×4 up', 24, 6),
  step('slow-ready', 'step ×4, slow ready', 24, 6, 2), // new replicas serve two runs later
  surge('surge', 'surge ×1.3 a run', 24, 4),
  ramp('ramp', 'ramp ×4 over 12 runs', 24, 4, 12),
];
/** --quick: the same shapes, shortened. */
export const QUICK_PROFILES: RealProfile[] = [
  step('step', 'step ×4 up (quick)', 12, 3),
  step('slow-ready', 'step ×4, slow ready (quick)', 12, 3, 2),
  surge('surge', 'surge ×1.3 a run (quick)', 14, 2),
  ramp('ramp', 'ramp ×4 over 6 runs (quick)', 12, 2, 6),
];

/** Erlang C: the probability an arrival waits, for `servers` at offered load a = λ/μ. */
function erlangC(servers: number, a: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < servers; k++) {
    term *= a / k;
    sum += term;
  }
  const top = (term * a) / servers / (1 - a / servers);
  return top / (sum + top);
}

/** Mean response time (ms) of M/M/`servers` at `lambda` req/s, `serviceMs` per request; Infinity past saturation. */
export function meanLatencyMs(lambda: number, servers: number, serviceMs: number): number {
  const mu = 1000 / serviceMs;
  const a = lambda / mu;
  if (servers <= 0 || a >= servers) return Infinity;
  return (erlangC(servers, a) / (servers * mu - lambda)) * 1000 + serviceMs;
}

/** The fewest replicas of `slots` slots whose mean meets `targetMs` at `lambda`. */
export function oracleReplicas(lambda: number, slots: number, serviceMs: number, targetMs: number, max = 1000): number {
  for (let c = 1; c <= max; c++) if (meanLatencyMs(lambda, c * slots, serviceMs) <= targetMs) return c;
  return max;
}

export { reversals } from '../../../examples/demo/policy.ts';
