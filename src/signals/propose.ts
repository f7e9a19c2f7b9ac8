// What `init --prometheus` proposes (DESIGN §9): from the metric names a workload's series carry, the
// load signal (the request rate) and a production p95 in ms, as the usual HTTP instrumentation names
// them — the Prometheus clients' http_request_duration_seconds, OpenTelemetry's
// http_server_request_duration_seconds, Micrometer's http_server_requests_seconds, a plain
// http_requests_total. Pure: names and a selector in, queries out (or why there are none).

/** The queries proposed; `latency` undefined where no duration histogram was found. */
export interface SignalsProposal {
  rate: { metric: string; query: string };
  latency?: { metric: string; query: string };
}

/** The window every proposed rate() reads: four scrapes at the usual 15 s interval. */
const WINDOW = '1m';

/**
 * A selector as written on the command line, `job="shop"` or `{job="shop"}`: the matchers inside the
 * braces, or undefined where there are none.
 */
export function selectorMatchers(text: string): string | undefined {
  const inner = text
    .trim()
    .replace(/^\{([\s\S]*)\}$/, '$1')
    .trim();
  return inner === '' ? undefined : inner;
}

/**
 * The pods of a Kubernetes workload, as kube-prometheus and most scrape configs label them: its
 * namespace, and pod names as its controller makes them (a Deployment's `web-<hash>-<id>`, a
 * StatefulSet's `web-0`), so that `web-api` pods are not counted as `web`.
 */
export function workloadMatchers(workload: { kind: string; name: string; namespace: string }): string {
  const name = workload.name.replace(/[.]/g, '\\\\.');
  const pods =
    workload.kind === 'Deployment'
      ? `${name}-[a-z0-9]+-[a-z0-9]+`
      : workload.kind === 'StatefulSet'
        ? `${name}-[0-9]+`
        : `${name}-.+`;
  return `namespace=${JSON.stringify(workload.namespace)},pod=~"${pods}"`;
}

/** A duration histogram's base name and its unit's factor to ms; undefined where the name says no time unit. */
function histogramOf(bucket: string): { base: string; toMs: number } | undefined {
  const base = bucket.slice(0, -'_bucket'.length);
  if (!/(duration|latency|seconds|milliseconds|_ms$)/.test(base)) return undefined;
  if (/_seconds$/.test(base)) return { base, toMs: 1000 };
  if (/_(milliseconds|ms)$/.test(base)) return { base, toMs: 1 };
  return undefined;
}

/** HTTP server metrics before others: the name says what it measures. */
function score(name: string): number {
  return (/http/.test(name) ? 4 : 0) + (/server/.test(name) ? 2 : 0) + (/request/.test(name) ? 1 : 0);
}

const best = (names: string[]): string | undefined =>
  [...names].sort((a, b) => score(b) - score(a) || a.localeCompare(b))[0];

/**
 * The proposal from the metric names the selector's series carry: a duration histogram's p95 (its
 * `_count` is the request rate), else a request counter's rate alone; undefined where neither is there.
 */
export function proposeSignals(names: readonly string[], matchers: string): SignalsProposal | undefined {
  const have = new Set(names);
  const histograms = names
    .filter((n) => n.endsWith('_bucket') && have.has(`${n.slice(0, -'_bucket'.length)}_count`))
    .filter((n) => histogramOf(n) !== undefined);
  const histogram = best(histograms);
  const sel = `{${matchers}}`;
  if (histogram) {
    const { base, toMs } = histogramOf(histogram)!;
    const p95 = `histogram_quantile(0.95, sum by (le) (rate(${histogram}${sel}[${WINDOW}])))`;
    // The histogram counts each request it timed: the rate of the very requests the p95 is of.
    const rated = `${base}_count`;
    return {
      rate: { metric: rated, query: `sum(rate(${rated}${sel}[${WINDOW}]))` },
      latency: { metric: histogram, query: toMs === 1 ? p95 : `${p95} * ${toMs}` },
    };
  }
  const counter = best(names.filter((n) => /(^|_)requests?_total$/.test(n)));
  if (counter) return { rate: { metric: counter, query: `sum(rate(${counter}${sel}[${WINDOW}]))` } };
  return undefined;
}
