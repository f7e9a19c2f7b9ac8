// The target types (mean, pNN, failureRatio, rps …): what they are and how their text is read. Imports
// nothing: the schema checks the text with it, types.ts re-exports the type.

/** `pNN` types carry the percentile; every latency type is in milliseconds. */
export type TargetType =
  | { kind: 'mean' | 'median' | 'min' | 'max' }
  | { kind: 'percentile'; percentile: number }
  | { kind: 'failureRatio' }
  | { kind: 'rps' } // a floor: breached when observed < target
  | { kind: 'query' }; // a production target: the value of a Prometheus query, as it is (DESIGN §9)

/** The percentiles Locust reports per request (its PERCENTILES_TO_REPORT): other pNN are refused with its engines. */
export const LOCUST_PERCENTILES = [50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100] as const;

export const TARGET_TYPES_HELP = 'mean, median, min, max, pNN (e.g. p95, p99.9), failureRatio, rps';

export function parseTargetType(text: string): TargetType | undefined {
  if (text === 'mean' || text === 'median' || text === 'min' || text === 'max') return { kind: text };
  if (text === 'failureRatio') return { kind: 'failureRatio' };
  if (text === 'rps') return { kind: 'rps' };
  const m = /^p(\d{1,2}(?:\.\d+)?)$/.exec(text);
  if (m) {
    const percentile = Number(m[1]);
    if (percentile > 0 && percentile < 100) return { kind: 'percentile', percentile };
  }
  return undefined;
}

/** Higher is worse for every type but `rps`, which is a floor. */
export function isFloor(type: TargetType): boolean {
  return type.kind === 'rps';
}

/** ` ms`, ` req/s`; none for a failure ratio (a share: see withUnit) or a query (its value is in its own unit). */
export function unitOf(type: TargetType): string {
  if (type.kind === 'failureRatio' || type.kind === 'query') return '';
  return type.kind === 'rps' ? ' req/s' : ' ms';
}

/**
 * A value as people read it: `12.4 ms`, `40 req/s`, a failure ratio as a share (`2%`); a query's, or a
 * value of no known type, as it is. `format` rounds the number (the failure share's after × 100).
 */
export function withUnit(value: number, type: TargetType | undefined, format: (n: number) => string = String): string {
  if (type?.kind === 'failureRatio') return `${format(Number((value * 100).toPrecision(12)))}%`;
  return `${format(value)}${type ? unitOf(type) : ''}`;
}

/**
 * The type a stored target's name ends with (`GET /x p95` → p95): the records keep only the name. A
 * production target is named as written, so its name is mostly no type (and its value has no unit).
 */
export function typeOfTarget(name: string): TargetType | undefined {
  return parseTargetType(name.slice(name.lastIndexOf(' ') + 1));
}
