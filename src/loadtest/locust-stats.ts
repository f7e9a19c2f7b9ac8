// Locust's CSV statistics → the same Observations the local engine produces (pure).
import { percentileKey, type FailureKind, type Observations, type RequestStats } from './types.ts';

import { LOCUST_PERCENTILES } from '../config/target-type.ts';

export { LOCUST_PERCENTILES };

export const LOCUST_PRECISION =
  "Locust engine: median and percentiles come from Locust's rounded buckets " +
  '(1 ms below 100 ms, 10 ms below 1 s, 100 ms below 10 s); mean, min and max are exact';

/** Locust's error texts for a request that never reached the service (refused, DNS, no route). */
const UNREACHABLE = new RegExp(
  [
    'ConnectionRefused',
    'Connection refused',
    'NameResolution',
    'gaierror',
    'Name or service not known',
    'ConnectTimeout',
    'No route to host',
  ].join('|'),
  'i',
);

const num = (v: string | undefined): number => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};

export function toObservations(
  requestsCsv: Record<string, string>[],
  failuresCsv: Record<string, string>[],
  startedAt: number,
  measuredMs: number,
): Observations {
  const failures = new Map<string, Record<string, FailureKind>>();
  const unreachable = new Map<string, number>();
  for (const f of failuresCsv) {
    const key = `${f['Method']} ${f['Name']}`;
    if (UNREACHABLE.test(f['Error'] ?? '')) unreachable.set(key, (unreachable.get(key) ?? 0) + num(f['Occurrences']));
    const kinds = failures.get(key) ?? {};
    const error = f['Error'] ?? 'error';
    kinds[error.slice(0, 80)] = { count: num(f['Occurrences']), sample: error };
    failures.set(key, kinds);
  }
  const requests: Record<string, RequestStats> = {};
  let aggregated: RequestStats | undefined;
  for (const row of requestsCsv) {
    const isTotal = row['Name'] === 'Aggregated' && (row['Type'] ?? '') === '';
    const name = isTotal ? 'Aggregated' : `${row['Type']} ${row['Name']}`;
    const stats = {
      ...toStats(name, row, failures.get(name) ?? {}, measuredMs),
      unreachable: unreachable.get(name) ?? 0,
    };
    if (isTotal) aggregated = stats;
    else requests[name] = stats;
  }
  // Requests named in the locustfile (`name=`) are also found by their bare name, when unique:
  // an alias, not a second entry in `requests`, which would count the request twice.
  const aliases: Record<string, string> = {};
  for (const key of Object.keys(requests)) {
    const bare = key.slice(key.indexOf(' ') + 1);
    if (!(bare in requests) && Object.keys(requests).filter((k) => k.endsWith(` ${bare}`)).length === 1)
      aliases[bare] = key;
  }
  return {
    engine: 'locust',
    startedAt: new Date(startedAt).toISOString(),
    measuredMs,
    requests,
    ...(Object.keys(aliases).length ? { aliases } : {}),
    aggregated: aggregated ?? toStats('Aggregated', {}, {}, measuredMs),
    precision: LOCUST_PRECISION,
  };
}

function toStats(
  name: string,
  row: Record<string, string>,
  failuresByKind: Record<string, FailureKind>,
  measuredMs: number,
): RequestStats {
  const count = num(row['Request Count']);
  const percentiles: Record<string, number> = {};
  for (const p of LOCUST_PERCENTILES) {
    const v = row[`${p}%`];
    if (v !== undefined && v !== 'N/A') percentiles[percentileKey(p)] = num(v);
  }
  return {
    name,
    count,
    failures: num(row['Failure Count']),
    timed: count, // Locust times every request, failures included
    // Over the measured window, as the local engine counts it. Locust's own Requests/s divides by the
    // time from the first request to the last: with a long think time (LPA's guide: 5-9 s) every user's
    // one request falls in the first few milliseconds, and 10 requests in 5 s read as 346 req/s.
    rps: measuredMs > 0 ? count / (measuredMs / 1000) : 0,
    min: num(row['Min Response Time']),
    max: num(row['Max Response Time']),
    mean: num(row['Average Response Time']),
    median: num(row['Median Response Time']),
    percentiles,
    failuresByKind,
  };
}
