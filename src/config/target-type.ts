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

export function unitOf(type: TargetType): string {
  if (type.kind === 'failureRatio' || type.kind === 'query') return ''; // a query's value is in its own unit
  return type.kind === 'rps' ? ' req/s' : ' ms';
}
