// A deterministic model of a service whose latency depends on load per replica: an M/M/(c·slots)
// queue (c replicas of `slots` servers each, every server taking `serviceMs` on average), optionally
// in series with a shared downstream (a database) that serves at most `downstreamCapRps` in total,
// observed through a seeded multiplicative noise. The defaults (1 slot, 10 ms, CPU = busy, no
// downstream) are the M/M/c service of the first profiles.

/** What a profile's service is: how it serves, what CPU it burns, and what it waits on. */
export interface ServiceModel {
  /** Servers per replica: threads, connections, a worker pool (1: one request at a time). */
  slots: number;
  /** Mean service time of one request in one slot, ms (its own work and its I/O waits). */
  serviceMs: number;
  /** CPU per request, ms: what an HPA on CPU sees. Equal to serviceMs: the slot is busy on CPU. */
  cpuMs: number;
  /**
   * A downstream shared by every replica (a database) serving at most this many requests/s in
   * total: above it, the excess waits and fails whatever the replica count.
   */
  downstreamCapRps?: number;
  /**
   * A slow downstream answered asynchronously: every answer takes this much longer, whatever the
   * replica count, holding no slot and burning no CPU (a database that got slower, not fuller).
   */
  extraMs?: number;
}

export const DEFAULT_SERVICE: ServiceModel = { slots: 1, serviceMs: 10, cpuMs: 10 };
export const SERVICE_RATE = 1000 / DEFAULT_SERVICE.serviceMs; // requests/s per replica (10 ms each)
export const TIMEOUT_MS = 10_000; // an overloaded service answers at the timeout

/** A service model from a profile's partial one: the defaults, CPU equal to the service time. */
export function serviceModel(partial: Partial<ServiceModel> = {}): ServiceModel {
  const serviceMs = partial.serviceMs ?? DEFAULT_SERVICE.serviceMs;
  return { ...partial, slots: partial.slots ?? DEFAULT_SERVICE.slots, serviceMs, cpuMs: partial.cpuMs ?? serviceMs };
}

/** Requests/s one slot serves. */
function slotRate(s: ServiceModel): number {
  return 1000 / s.serviceMs;
}

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

/**
 * The downstream as an M/M/1 queue of rate `cap` in series with the replicas (independent, as in a
 * Jackson network): its mean wait in s, ρ/(cap − λ), its service time counted within serviceMs.
 */
function downstreamWaitS(lambda: number, cap: number): number {
  return lambda / cap / (cap - lambda);
}

/** Mean response time in ms at arrival rate `lambda` (requests/s) on c replicas. */
export function meanLatencyMs(lambda: number, c: number, service: ServiceModel = DEFAULT_SERVICE): number {
  const servers = c * service.slots;
  if (servers <= 0) return TIMEOUT_MS;
  const mu = slotRate(service);
  const a = lambda / mu;
  if (a >= servers) return TIMEOUT_MS;
  const cap = service.downstreamCapRps;
  if (cap !== undefined && lambda >= cap) return TIMEOUT_MS;
  const wq = erlangC(servers, a) / (servers * mu - lambda);
  const extra = (service.extraMs ?? 0) / 1000;
  if (cap === undefined) return Math.min(TIMEOUT_MS, (wq + 1 / mu + extra) * 1000);
  return Math.min(TIMEOUT_MS, (wq + 1 / mu + extra + downstreamWaitS(lambda, cap)) * 1000);
}

/**
 * The fewest replicas that meet the target at this load: what an oracle that knows the load runs.
 * Where no count meets it (a downstream limit: more replicas do not lower the latency), the fewest
 * that reach the best any count achieves (`max` replicas): no more failures (within 0.1 point) and
 * the answered requests' mean within 1%. (Not the mean over all requests: past a limit, fewer
 * replicas shed more fast 503s and so lower it.)
 */
export function oracleReplicas(
  lambda: number,
  targetMs: number,
  service: ServiceModel = DEFAULT_SERVICE,
  max = 1000,
): number {
  if (meanLatencyMs(lambda, max, service) <= targetMs) {
    for (let c = 1; c <= max; c++) if (meanLatencyMs(lambda, c, service) <= targetMs) return c;
  }
  const failed = (s: Seen): number => s.timeoutShare + s.shedShare;
  const best = seenAt(lambda, max, false, service);
  for (let c = 1; c <= max; c++) {
    const seen = seenAt(lambda, c, false, service);
    if (failed(seen) <= failed(best) + 0.001 && seen.servedMs <= best.servedMs * 1.01) return c;
  }
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

/** Requests/s c replicas can complete: their servers', or the downstream's limit if lower. */
export function capacityRps(c: number, service: ServiceModel = DEFAULT_SERVICE): number {
  const pool = c * service.slots * slotRate(service);
  return service.downstreamCapRps === undefined ? pool : Math.min(pool, service.downstreamCapRps);
}

/**
 * CPU utilization of the ready replicas as metrics-server reports it to an HPA: the CPU the
 * completed requests burn over the CPU the replicas request, each replica requesting one core per
 * slot (one core for today's one-slot replica): min(λ, capacity)·cpuMs / (ready·slots·1000), at
 * most 1. With cpuMs = serviceMs and one slot this is λ/(ready·μ), CPU = busy; a pool-bound service
 * (cpuMs ≪ serviceMs) tops out at cpuMs/serviceMs when every slot is busy, below any HPA target.
 */
export function cpuUtilization(lambda: number, ready: number, service: ServiceModel = DEFAULT_SERVICE): number {
  const r = Math.max(ready, 1);
  const served = Math.min(lambda, capacityRps(r, service));
  return Math.min(1, served / (r * service.slots * (1000 / service.cpuMs)));
}

/**
 * The service past saturation fails, as real ones do: beyond capacity (λ > c·slots·μ, or the
 * downstream's limit) the excess is half shed with fast 503s (a full queue, a load balancer's limit)
 * and half left to time out; below capacity, the M/M/c waits longer than the timeout become
 * timeouts (P(W > t) = C·e^{−(cμ−λ)t}), and so do the downstream's (M/M/1: ρ·e^{−(cap−λ)t}).
 */
export function seenAt(lambda: number, c: number, shedding = false, service: ServiceModel = DEFAULT_SERVICE): Seen {
  const capacity = capacityRps(c, service);
  if (c <= 0) return { meanMs: REQUEST_TIMEOUT_MS, servedMs: REQUEST_TIMEOUT_MS, timeoutShare: 1, shedShare: 0 };
  if (shedding && lambda > 0.9 * capacity) {
    // A concurrency limit in front: the excess is refused at once (503 in ~1 ms), the rest served
    // at 90% utilization — fast answers and fast errors, so latency alone looks healthy.
    const servedMs = meanLatencyMs(0.9 * capacity, c, service);
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
  const mu = slotRate(service);
  const servers = c * service.slots;
  const a = lambda / mu;
  const waiting = erlangCOf(servers, a);
  let timeoutShare = Math.min(1, waiting * Math.exp(-(servers * mu - lambda) * (REQUEST_TIMEOUT_MS / 1000)));
  const cap = service.downstreamCapRps;
  if (cap !== undefined) {
    const downstream = (lambda / cap) * Math.exp(-(cap - lambda) * (REQUEST_TIMEOUT_MS / 1000));
    timeoutShare = Math.min(1, 1 - (1 - timeoutShare) * (1 - downstream));
  }
  const w = meanLatencyMs(lambda, c, service);
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

/** A few points of the latency distribution one load test sees (ms): what tells a slower service from a queue. */
export interface Quantiles {
  min: number;
  p5: number;
  p50: number;
  p95: number;
}

const quantileCache = new Map<string, Quantiles>();
const QUANTILE_DRAWS = 4000;

/**
 * The distribution of the answers' times at `lambda` on c replicas, failures at their times (a
 * timeout at the timeout, a shed 503 at 1 ms), as the engine records them: below capacity by drawing
 * each answer's service (exponential, mean serviceMs), its wait in the replicas' queue (with the
 * Erlang C probability, exponential at rate c·slots·μ − λ), its wait at a capped downstream (M/M/1)
 * and the downstream's extra time; past capacity from the shares. Deterministic: each (load, count,
 * service) draws from its own seeded stream, and is cached.
 */
export function quantilesAt(
  lambda: number,
  c: number,
  shedding = false,
  service: ServiceModel = DEFAULT_SERVICE,
): Quantiles {
  const key = JSON.stringify([lambda, c, shedding, service]);
  const known = quantileCache.get(key);
  if (known) return known;
  const seen = seenAt(lambda, c, shedding, service);
  const draws = drawAnswers(lambda, c, shedding, service, seen);
  const sorted = Float64Array.from(draws).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const out = { min: sorted[0]!, p5: at(0.05), p50: at(0.5), p95: at(0.95) };
  quantileCache.set(key, out);
  return out;
}

function drawAnswers(lambda: number, c: number, shedding: boolean, service: ServiceModel, seen: Seen): number[] {
  const random = seeded(hashOf(JSON.stringify([lambda, c, shedding, service])));
  const exp = (meanMs: number): number => -meanMs * Math.log(1 - random());
  const out: number[] = [];
  const capacity = capacityRps(c, service);
  const overloaded = c <= 0 || (!shedding && lambda >= capacity);
  for (let i = 0; i < QUANTILE_DRAWS; i++) {
    const u = random();
    if (u < seen.shedShare) {
      out.push(1);
      continue;
    }
    if (overloaded) {
      out.push(u < seen.shedShare + seen.timeoutShare ? REQUEST_TIMEOUT_MS : 0.8 * REQUEST_TIMEOUT_MS);
      continue;
    }
    const rate = shedding && lambda > 0.9 * capacity ? 0.9 * capacity : lambda;
    const servers = c * service.slots;
    const mu = slotRate(service);
    let ms = exp(service.serviceMs) + (service.extraMs ?? 0);
    if (random() < erlangCOf(servers, rate / mu)) ms += exp(1000 / (servers * mu - rate));
    const cap = service.downstreamCapRps;
    if (cap !== undefined && random() < rate / cap) ms += exp(1000 / (cap - rate));
    out.push(Math.min(ms, REQUEST_TIMEOUT_MS));
  }
  return out;
}

/** FNV-1a of a string: a seed per key. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
