// Observations × targets → one evaluation per target (pure).
import { isFloor, withUnit } from '../config/target-type.ts';
import type { TargetSpec } from '../config/types.ts';
import {
  percentileKey,
  requestStats,
  type Observations,
  type ProductionReading,
  type RequestStats,
} from '../model/observations.ts';

export interface TargetEvaluation {
  target: string; // `GET /x mean`
  limit: number;
  value: number | null; // null: nothing measured (probe failure)
  /** How far past the target: observed/target for latencies, target/observed for the rps floor. */
  load: number | null;
  breached: boolean;
  text: string; // `GET /x mean 12.4 ms > 7 ms`, `GET /x failureRatio 2% ≤ 5%`
  /** A production target (DESIGN §9): its value is a Prometheus query's, not the probe's. */
  production?: true;
}

/**
 * Each target judged alike, a probe's or a production one's: breach, tolerance, calm. A production
 * target is unmeasured when its signal could not be read (the reading says why).
 */
export function evaluateTargets(
  targets: readonly TargetSpec[],
  observations: Observations | undefined,
): TargetEvaluation[] {
  return targets.map((t) =>
    t.query !== undefined
      ? evaluateProduction(t, observations?.production?.targets[t.request])
      : evaluateTarget(t, requestStats(observations, t.request)),
  );
}

function evaluateProduction(t: TargetSpec, reading: ProductionReading | undefined): TargetEvaluation {
  const why = reading?.unmeasured ?? 'not read (no production signals this run)';
  const value = reading?.value ?? null;
  const e = value === null ? unmeasured(t.request, t, why) : judged(t.request, t, value);
  return { ...e, production: true };
}

function evaluateTarget(t: TargetSpec, stats: RequestStats | undefined): TargetEvaluation {
  const name = `${t.request} ${t.label}`;
  const value = stats ? valueOf(t, stats) : null;
  if (value === null) {
    const why = !stats || stats.count === 0 ? 'no request completed' : `none of ${stats.count} requests was timed`;
    return unmeasured(name, t, why);
  }
  return judged(name, t, value);
}

function unmeasured(name: string, t: TargetSpec, why: string): TargetEvaluation {
  const text = `${name}: not measured (${why})`;
  return { target: name, limit: t.target, value: null, load: null, breached: false, text };
}

function judged(name: string, t: TargetSpec, value: number): TargetEvaluation {
  const floor = isFloor(t.type);
  const load = floor
    ? value === 0
      ? Infinity
      : t.target / value
    : t.target === 0
      ? value > 0
        ? Infinity
        : 0
      : value / t.target;
  // Strictly beyond the tolerance band: LPA compares with `>`, tolerance 0 by default.
  const breached = floor ? value < t.target * (1 - t.tolerance) : value > t.target * (1 + t.tolerance);
  const op = breached ? (floor ? '<' : '>') : floor ? '≥' : '≤';
  return {
    target: name,
    limit: t.target,
    value,
    load,
    breached,
    text: `${name} ${withUnit(value, t.type, (n) => String(round(n)))} ${op} ${withUnit(t.target, t.type)}`,
  };
}

/**
 * Any completed request measures a target: latencies count failed requests' times too (a timeout
 * at least its timeout), as Locust does. Only untimed outcomes (a script's exception) measure none.
 */
function valueOf(t: TargetSpec, s: RequestStats): number | null {
  if (s.count === 0) return null;
  switch (t.type.kind) {
    case 'failureRatio':
      return s.failures / s.count;
    case 'rps':
      return s.rps;
    default:
      break;
  }
  if ((s.timed ?? s.count) <= 0) return null;
  switch (t.type.kind) {
    case 'mean':
      return s.mean;
    case 'median':
      return s.median;
    case 'min':
      return s.min;
    case 'max':
      return s.max;
    case 'percentile':
      return s.percentiles[percentileKey(t.type.percentile)] ?? null;
    case 'query':
      return null; // read from Prometheus, never from the load test (evaluateProduction)
  }
}

/** The generator's delay is a material share of a latency when it is at least this fraction of it… */
export const MATERIAL_LAG_SHARE = 0.25;
/** … and at least this long: an event loop sampled every 10 ms is late by a millisecond or two for nothing. */
export const MATERIAL_LAG_MS = 5;

/** What the load generator's own delay does to a run's evaluations (DESIGN §4.1). */
export interface GeneratorEffect {
  /** The largest share of a measured latency that the generator's delay could account for (0–1). */
  share: number;
  /** Breaches not to act on: the delay is a material share of their value, or they vanish without it. */
  explained: TargetEvaluation[];
  text: string; // `event-loop delay mean 20 ms, p99 48 ms`
}

/**
 * A starved generator answers its sockets late and adds that delay to every latency it records. The
 * delay that matches a statistic — the mean delay for mean and median, the p99 delay for percentiles
 * and max — is compared with the value: a breach where it is a material share, or that does not
 * survive taking it off, is not known to be the service's.
 */
export function generatorEffect(
  targets: readonly TargetSpec[],
  evaluations: readonly TargetEvaluation[],
  observations: Observations | undefined,
): GeneratorEffect | undefined {
  const g = observations?.generator;
  if (!g || g.samples === 0) return undefined;
  let share = 0;
  const explained: TargetEvaluation[] = [];
  for (const [i, t] of targets.entries()) {
    const e = evaluations[i]!;
    const lag = lagFor(t, g);
    if (lag === undefined || e.value === null || e.value <= 0) continue;
    const part = lag >= MATERIAL_LAG_MS ? Math.min(1, lag / e.value) : 0;
    share = Math.max(share, part);
    const vanishes = e.value - lag <= t.target * (1 + t.tolerance);
    if (e.breached && (part >= MATERIAL_LAG_SHARE || vanishes)) explained.push(e);
  }
  const text = `event-loop delay mean ${round(g.meanMs)} ms, p99 ${round(g.p99Ms)} ms`;
  return { share, explained, text };
}

function lagFor(t: TargetSpec, g: NonNullable<Observations['generator']>): number | undefined {
  switch (t.type.kind) {
    case 'mean':
    case 'median':
      return g.meanMs;
    case 'percentile':
    case 'max':
      return g.p99Ms;
    default:
      return undefined; // min: the fastest answer; failures and rates are not times; a query is not ours
  }
}

export function round(n: number): number {
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100;
}

/** The failures of a run, over every request of the load test (DESIGN §4.11). */
export interface FailureSummary {
  requests: number;
  failures: number;
  ratio: number; // 0–1
  /** Every request failed without reaching the service: nothing was measured (a probe failure). */
  unreachable: boolean;
  /** Failed requests by kind: `{ timeout: 45, 'HTTP 503': 3 }`. */
  kinds: Record<string, number>;
  text: string; // `48% of requests failed (timeout 45, HTTP 503 3)`
}

export function failureSummary(observations: Observations | undefined): FailureSummary | undefined {
  const all = observations?.aggregated;
  if (!observations || !all || all.count === 0) return undefined;
  const kinds = new Map<string, number>();
  // `requests` holds each request once (aliases are apart, in `observations.aliases`): no double count.
  for (const r of Object.values(observations.requests)) {
    for (const [kind, f] of Object.entries(r.failuresByKind)) kinds.set(kind, (kinds.get(kind) ?? 0) + f.count);
  }
  const ratio = all.failures / all.count;
  const byKind = [...kinds]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const text = `${round(ratio * 100)}% of requests failed${byKind ? ` (${byKind})` : ''}`;
  const unreachable = Object.values(observations.requests).reduce((n, r) => n + (r.unreachable ?? 0), 0);
  return {
    requests: all.count,
    failures: all.failures,
    ratio,
    unreachable: unreachable >= all.count,
    kinds: Object.fromEntries(kinds),
    text,
  };
}
