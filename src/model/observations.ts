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

/**
 * One production signal's reading (DESIGN §9): the value of an instant PromQL query, or why there is
 * none. Unmeasured (value null) is never a reason to scale down.
 */
export interface ProductionReading {
  query: string;
  value: number | null;
  /** The sample's time (ISO), as the server stamped the answer. */
  at?: string;
  /** The age of the newest raw sample behind the value (ms), where the server could tell it. */
  ageMs?: number;
  /** Why there is no value, in words: `Prometheus at http://prom:9090: connection refused`. */
  unmeasured?: string;
}

/** What the production signals read this run, from one server. */
export interface ProductionObservations {
  server: string; // its base URL, credentials masked
  /** Each production target's reading, by the target's name. */
  targets: Record<string, ProductionReading>;
  /** The production request rate (req/s): the load signal, read at 0 replicas too. */
  rate?: ProductionReading;
}

export interface Observations {
  /** `none`: no synthetic load was sent (probe-less mode, or 0 replicas): only production signals. */
  engine: 'local' | 'locust' | 'none';
  startedAt: string; // ISO time
  measuredMs: number; // the window the statistics cover (warm-up excluded)
  /** Each request once, by its name: sums over these values count every request once. */
  requests: Record<string, RequestStats>;
  /** Other names a request is found by (a locustfile's `name=` without its method) → its key in `requests`. */
  aliases?: Record<string, string>;
  aggregated: RequestStats;
  /** Set when values are rounded by the engine (Locust's buckets): said in the decision record. */
  precision?: string;
  /** Request names past the engine's limit shared one row: the first such name, and their requests. */
  folded?: { first: string; requests: number; limit: number };
  /** The local engine's own event-loop delay over the measured window (DESIGN §4.1). */
  generator?: GeneratorDelay;
  /** The probe was widened after it saw saturation: how many users it added, and when (ms into the test). */
  widened?: { users: number; atMs: number; aboveMs: number };
  /** The production signals read from Prometheus this run, beside the probe (DESIGN §9). */
  production?: ProductionObservations;
}

/** Whether the observations include a probe (a load test ran), not only production signals. */
export function probed(o: Observations | undefined): o is Observations {
  return o !== undefined && o.engine !== 'none';
}

/** The observations of a run that sent no synthetic load: its production signals alone. */
export function productionOnly(production: ProductionObservations, startedAt: string): Observations {
  const none: RequestStats = {
    name: 'Aggregated',
    count: 0,
    failures: 0,
    rps: 0,
    min: 0,
    max: 0,
    mean: 0,
    median: 0,
    percentiles: {},
    failuresByKind: {},
  };
  return { engine: 'none', startedAt, measuredMs: 0, requests: {}, aggregated: none, production };
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
