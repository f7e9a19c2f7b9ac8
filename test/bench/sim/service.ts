// A deterministic model of a service whose latency depends on load per replica: an M/M/c queue
// (c replicas, each serving mu requests/s), observed through a seeded multiplicative noise.

export const SERVICE_RATE = 100; // requests/s per replica (10 ms each)
export const TIMEOUT_MS = 10_000; // an overloaded service answers at the timeout

/** Erlang C: the probability an arrival waits, for c servers at offered load a = λ/μ. */
function erlangC(c: number, a: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const last = (term * a) / c;
  const rho = a / c;
  const top = last / (1 - rho);
  return top / (sum + top);
}

/** Mean response time in ms of M/M/c at arrival rate `lambda` (requests/s). */
export function meanLatencyMs(lambda: number, c: number): number {
  if (c <= 0) return TIMEOUT_MS;
  const a = lambda / SERVICE_RATE;
  if (a >= c) return TIMEOUT_MS;
  const wq = erlangC(c, a) / (c * SERVICE_RATE - lambda);
  return Math.min(TIMEOUT_MS, (wq + 1 / SERVICE_RATE) * 1000);
}

/** The fewest replicas that meet the target at this load: what an oracle that knows the load runs. */
export function oracleReplicas(lambda: number, targetMs: number, max = 1000): number {
  for (let c = 1; c <= max; c++) if (meanLatencyMs(lambda, c) <= targetMs) return c;
  return max;
}

/** mulberry32: a small seeded PRNG, so every run of the benchmark is the same. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A normal sample (Box–Muller) from a uniform source. */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** The load test's per-request timeout in the model: an answer later than this is a timeout. */
export const REQUEST_TIMEOUT_MS = 1_000;

/** What one load test sees: the mean over all requests (failures included) and the failure shares. */
export interface Seen {
  meanMs: number; // as the engine now reports it: timeouts at the timeout, shed 503s at ~1 ms
  servedMs: number; // the answered requests alone (what 0.1 reported: failures left out)
  timeoutShare: number;
  shedShare: number;
}

/**
 * The service past saturation fails, as real ones do: beyond capacity (λ > cμ) the excess is half
 * shed with fast 503s (a full queue, a load balancer's limit) and half left to time out; below
 * capacity, the M/M/c waits longer than the timeout become timeouts (P(W > t) = C·e^{−(cμ−λ)t}).
 */
export function seenAt(lambda: number, c: number, shedding = false): Seen {
  const capacity = c * SERVICE_RATE;
  if (c <= 0) return { meanMs: REQUEST_TIMEOUT_MS, servedMs: REQUEST_TIMEOUT_MS, timeoutShare: 1, shedShare: 0 };
  if (shedding && lambda > 0.9 * capacity) {
    // A concurrency limit in front: the excess is refused at once (503 in ~1 ms), the rest served
    // at 90% utilization — fast answers and fast errors, so latency alone looks healthy.
    const servedMs = meanLatencyMs(0.9 * capacity, c);
    const shedShare = 1 - (0.9 * capacity) / lambda;
    return { meanMs: (1 - shedShare) * servedMs + shedShare * 1, servedMs, timeoutShare: 0, shedShare };
  }
  if (lambda >= capacity) {
    const excess = 1 - capacity / lambda;
    const shedShare = excess / 2;
    const timeoutShare = excess / 2;
    // The served share waits in a full queue: close to the timeout.
    const served = 1 - shedShare - timeoutShare;
    const servedMs = 0.8 * REQUEST_TIMEOUT_MS;
    const meanMs = served * servedMs + timeoutShare * REQUEST_TIMEOUT_MS + shedShare * 1;
    return { meanMs, servedMs, timeoutShare, shedShare };
  }
  const a = lambda / SERVICE_RATE;
  const waiting = erlangCOf(c, a);
  const timeoutShare = Math.min(1, waiting * Math.exp(-(capacity - lambda) * (REQUEST_TIMEOUT_MS / 1000)));
  const w = meanLatencyMs(lambda, c);
  const servedMs = Math.min(w, REQUEST_TIMEOUT_MS);
  const meanMs = (1 - timeoutShare) * servedMs + timeoutShare * REQUEST_TIMEOUT_MS;
  return { meanMs, servedMs, timeoutShare, shedShare: 0 };
}

function erlangCOf(c: number, a: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const top = (term * a) / c / (1 - a / c);
  return top / (sum + top);
}
