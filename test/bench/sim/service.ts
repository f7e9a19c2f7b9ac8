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
