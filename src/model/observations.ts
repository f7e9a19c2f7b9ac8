// What a load test observed, per request name: the input of the decision, whatever engine
// measured it (the local engine, a Locust master, headless Locust). Latencies in milliseconds.

export interface FailureKind {
  count: number;
  sample: string; // one message, for the operator
}

export interface RequestStats {
  name: string;
  count: number; // all completed requests, failures included
  failures: number;
  /** Requests with a time (all but untimed script errors): the latency statistics cover these. */
  timed?: number;
  /** Failures that never reached the service (connection refused, unknown host): if all are, nothing was measured. */
  unreachable?: number;
  rps: number; // completed requests per second of the measured window
  /** Latencies in ms over every timed request, failures included (a timeout counts its timeout). */
  min: number;
  max: number;
  mean: number;
  median: number;
  /** Keyed `p50`, `p90`, `p95`, `p99`, `p99.9` … (see percentileKey). */
  percentiles: Record<string, number>;
  failuresByKind: Record<string, FailureKind>;
  /**
   * The timed requests by when they started, in the measured window's first and second half: a queue
   * past saturation grows during the test (its latency climbs), a slower service stays flat.
   */
  halves?: { spanMs: number; first: { count: number; mean: number }; second: { count: number; mean: number } };
}

/** How late the load generator's event loop ran while it measured (ms beyond its schedule). */
export interface GeneratorDelay {
  meanMs: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}

export interface Observations {
  engine: 'local' | 'locust';
  startedAt: string; // ISO time
  measuredMs: number; // the window the statistics cover (warm-up excluded)
  /** Each request once, by its name: sums over these values count every request once. */
  requests: Record<string, RequestStats>;
  /** Other names a request is found by (a locustfile's `name=` without its method) → its key in `requests`. */
  aliases?: Record<string, string>;
  aggregated: RequestStats;
  /** Set when values are rounded by the engine (Locust's buckets): said in the decision record. */
  precision?: string;
  /** The local engine's own event-loop delay over the measured window (DESIGN §4.1). */
  generator?: GeneratorDelay;
  /** The probe was widened after it saw saturation: how many users it added, and when (ms into the test). */
  widened?: { users: number; atMs: number; aboveMs: number };
}

/** A request's statistics by its name or an alias (what a target names). */
export function requestStats(observations: Observations | undefined, name: string): RequestStats | undefined {
  if (!observations) return undefined;
  const key = Object.hasOwn(observations.requests, name) ? name : observations.aliases?.[name];
  return key === undefined ? undefined : observations.requests[key];
}

export function percentileKey(percentile: number): string {
  return `p${percentile}`;
}
