// The queueing maths of the model policy (DESIGN §4.12): an M/M/n queue, n = replicas × slots, each
// slot serving one request at a time with mean service time s₀. Pure numbers in, numbers out.
// Latencies in ms, rates in requests per ms.

/**
 * Erlang C: the probability that an arrival waits, for n servers at offered load a = λ·s₀ (< n).
 * Through the Erlang B recursion B(k) = a·B(k−1) / (k + a·B(k−1)), which stays finite for any n.
 */
export function erlangC(n: number, a: number): number {
  if (a <= 0) return 0;
  if (a >= n) return 1;
  let b = 1;
  for (let k = 1; k <= n; k++) b = (a * b) / (k + a * b);
  const rho = a / n;
  return b / (1 - rho * (1 - b));
}

/** Mean response time (ms) at arrival rate λ (per ms), n servers of mean service time s₀; ∞ at capacity. */
export function meanResponse(lambda: number, n: number, s0: number): number {
  const a = lambda * s0;
  if (a >= n) return Infinity;
  return s0 + (erlangC(n, a) * s0) / (n - a);
}

/** The mean response time relative to s₀ at utilization ρ (0 ≤ ρ < 1) with n servers: 1 + C / (n (1 − ρ)). */
export function stretch(rho: number, n: number): number {
  if (rho >= 1) return Infinity;
  return 1 + erlangC(n, rho * n) / (n * (1 - rho));
}

/**
 * The utilization at which n servers stretch the response time to `x` × s₀ (the inverse of stretch),
 * by bisection: stretch is increasing in ρ. x ≤ 1 → 0; the answer is always below 1.
 */
export function utilizationAt(x: number, n: number): number {
  if (!(x > 1)) return 0;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (stretch(mid, n) < x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The fewest replicas (from `from` to `max`) whose predicted latency stays within `limit`: the
 * prediction is the observed latency scaled by the model's stretch at that count against the
 * stretch now (`now`), so a statistic other than the mean (a percentile) scales alike.
 * Returns max + 1 when none does.
 */
export function fewestWithin(opts: {
  lambda: number;
  s0: number;
  slots: number;
  observed: number;
  now: number; // the model's mean response at the current count
  limit: number;
  from: number;
  max: number;
}): number {
  for (let c = Math.max(1, opts.from); c <= opts.max; c++) {
    if (predictAt(opts, c) <= opts.limit) return c;
  }
  return opts.max + 1;
}

/** The observed latency carried to `c` replicas by the model. */
export function predictAt(
  opts: { lambda: number; s0: number; slots: number; observed: number; now: number },
  c: number,
): number {
  const there = meanResponse(opts.lambda, c * opts.slots, opts.s0);
  return opts.now > 0 ? opts.observed * (there / opts.now) : there;
}

/**
 * The service time that makes two observations of one load agree — (c₁ replicas, mean t₁) and
 * (c₂, t₂) — with λ the same in both: found by bisection on s₀ ∈ (0, min(t₁, t₂)). Undefined when
 * they do not pin it down (equal counts, or latencies the model cannot join).
 */
export function serviceTimeFrom(
  a: { c: number; t: number },
  b: { c: number; t: number },
  slots: number,
): number | undefined {
  if (a.c === b.c) return undefined;
  const [few, many] = a.c < b.c ? [a, b] : [b, a];
  if (!(few.t > many.t)) return undefined; // more replicas must not be slower under the same load
  const rateGap = (s0: number): number => {
    const lFew = (utilizationAt(few.t / s0, few.c * slots) * few.c * slots) / s0;
    const lMany = (utilizationAt(many.t / s0, many.c * slots) * many.c * slots) / s0;
    return lFew - lMany;
  };
  // As s₀ falls, the same latencies mean ever more queueing; the fewer replicas' load estimate
  // grows faster than the others'. The root is where both see one load.
  let lo = Math.min(few.t, many.t) * 1e-3;
  let hi = Math.min(few.t, many.t);
  if (rateGap(lo) * rateGap(hi * (1 - 1e-9)) > 0) return undefined;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (rateGap(mid) * rateGap(lo) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
