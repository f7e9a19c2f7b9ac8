// What an answer of Prometheus's HTTP API means for one production signal, and the age check's query.
// Pure: the adapter (prometheus.ts) does the calls. A signal is a number or, in words, why there is
// none (DESIGN §9): an error, no series, several series, NaN or ±Inf, an answer or a sample too old.
import { formatDuration } from '../config/duration.ts';

/** An instant query's answer: one number at one time, or why not. */
export type Sample = { value: number; at: number } | { unmeasured: string };

interface ApiAnswer {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/** The one value of an instant query's answer (`time` in epoch ms as the server stamped it). */
export function sampleOf(answer: unknown, now: number, maxAgeMs: number): Sample {
  const a = (answer ?? {}) as ApiAnswer;
  if (a.status !== 'success') return { unmeasured: `the query failed: ${apiError(a)}` };
  const { resultType, result } = a.data ?? {};
  let pair: unknown;
  if (resultType === 'scalar') pair = result;
  else if (resultType === 'vector' && Array.isArray(result)) {
    if (result.length === 0) {
      return {
        unmeasured:
          'no series: the query matched nothing now (a wrong label, or nothing counted yet; where none means 0, ' +
          'end the query with `or vector(0)`)',
      };
    }
    if (result.length > 1) return { unmeasured: severalSeries(result) };
    pair = (result[0] as { value?: unknown }).value;
  } else if (resultType === 'matrix') {
    return { unmeasured: 'a range vector, not one number: wrap it in rate() or an *_over_time() function' };
  } else return { unmeasured: `an answer of type ${JSON.stringify(resultType)}, not one number` };
  if (!Array.isArray(pair) || pair.length !== 2) return { unmeasured: 'an answer without a [time, value] sample' };
  const at = Number(pair[0]) * 1000;
  const value = numberOf(pair[1]);
  if (Number.isNaN(value)) {
    return { unmeasured: 'NaN (a ratio of nothing to nothing, e.g. no requests in the window, or empty buckets)' };
  }
  if (!Number.isFinite(value)) {
    const sign = value > 0 ? '+Inf' : '-Inf';
    return { unmeasured: `${sign} (e.g. histogram_quantile beyond the highest finite bucket, or a division by 0)` };
  }
  const late = tooOld(now - at, maxAgeMs, 'the answer');
  if (late) return { unmeasured: late };
  if (at - now > maxAgeMs) return { unmeasured: `the answer is stamped ${seconds(at - now)} ahead of this clock` };
  return { value, at };
}

/** Prometheus writes a sample's value as a string: a float, `NaN`, `+Inf` or `-Inf` (which Number() misreads). */
function numberOf(text: unknown): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return typeof text === 'string' && text.trim() !== '' ? Number(text) : NaN;
}

function severalSeries(result: unknown[]): string {
  const shown = result
    .slice(0, 3)
    .map((s) => labelsText((s as { metric?: Record<string, string> }).metric ?? {}))
    .join(', ');
  const more = result.length > 3 ? `, and ${result.length - 3} more` : '';
  return `${result.length} series where one was expected (${shown}${more}): aggregate them, e.g. sum(…) or max(…)`;
}

function labelsText(metric: Record<string, string>): string {
  const { __name__: name, ...labels } = metric;
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name ?? ''}{${pairs.join(', ')}}`;
}

/** `bad_data: parse error: …` from an error answer (the status code is the caller's). */
export function apiError(a: ApiAnswer): string {
  const type = typeof a.errorType === 'string' ? `${a.errorType}: ` : '';
  const text = typeof a.error === 'string' ? a.error : `status ${JSON.stringify(a.status ?? null)}`;
  return printable(`${type}${text}`);
}

export function tooOld(ageMs: number, maxAgeMs: number, what: string): string | undefined {
  if (ageMs <= maxAgeMs) return undefined;
  return `${what} is ${seconds(ageMs)} old, beyond signals.prometheus.maxAge ${formatDuration(maxAgeMs)}`;
}

function seconds(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 100) / 10} s`;
}

/** A selector of the query whose newest sample shows how fresh the signal is, as PromQL text. */
export interface Selector {
  text: string; // `{__name__="http_requests_total",job="api"}`
}

interface AstNode {
  type?: string;
  matchers?: { name: string; type: string; value: string }[];
  offset?: number;
  timestamp?: number | null;
  startOrEnd?: string | null;
  [key: string]: unknown;
}

/**
 * The series selectors of a parsed query (/api/v1/parse_query's tree), each once. A selector moved in
 * time (offset, @) is old by design, so it is left out.
 */
export function selectorsOf(ast: unknown): Selector[] {
  const seen = new Map<string, Selector>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const n = node as AstNode;
    if ((n.type === 'vectorSelector' || n.type === 'matrixSelector') && Array.isArray(n.matchers)) {
      const shifted = (n.offset ?? 0) !== 0 || (n.timestamp ?? null) !== null || (n.startOrEnd ?? null) !== null;
      const text = `{${n.matchers.map((m) => `${labelName(m.name)}${m.type}${JSON.stringify(m.value)}`).join(',')}}`;
      if (!shifted) seen.set(text, { text });
      return;
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'func') visit(value);
  };
  visit(ast);
  return [...seen.values()];
}

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const labelName = (name: string): string => (NAME.test(name) ? name : JSON.stringify(name));

export const SELECTOR_LABEL = 'latency_scaler_selector';

/**
 * One query for the newest sample of each selector: `label_replace(max(timestamp(S)), …, "i")`, joined
 * by `or`. Evaluated with lookback_delta = maxAge, a selector whose every series is older (or marked
 * stale: its exporter is gone) has no sample in the answer.
 */
export function freshnessQuery(selectors: readonly Selector[]): string {
  return selectors
    .map((s, i) => `label_replace(max(timestamp(${s.text})), "${SELECTOR_LABEL}", "${i}", "", "")`)
    .join(' or ');
}

/** From the freshness answer: the age of the oldest selector's newest sample, or why it is too old. */
export function freshnessOf(
  answer: unknown,
  selectors: readonly Selector[],
  maxAgeMs: number,
): { ageMs: number } | { unmeasured: string } {
  const a = (answer ?? {}) as ApiAnswer;
  if (a.status !== 'success' || a.data?.resultType !== 'vector' || !Array.isArray(a.data.result)) {
    return { unmeasured: `the age check failed: ${apiError(a)}` };
  }
  const newest = new Map<string, { at: number; ts: number }>();
  for (const s of a.data.result as { metric?: Record<string, string>; value?: [number, string] }[]) {
    const i = s.metric?.[SELECTOR_LABEL];
    if (i !== undefined && s.value) newest.set(i, { at: Number(s.value[0]) * 1000, ts: Number(s.value[1]) * 1000 });
  }
  let ageMs = 0;
  for (const [i, sel] of selectors.entries()) {
    const n = newest.get(String(i));
    const window = `signals.prometheus.maxAge ${formatDuration(maxAgeMs)}`;
    if (!n) {
      const why = `no sample of ${maskQuery(sel.text)} within ${window}: its exporter is gone or no longer scraped`;
      return { unmeasured: why };
    }
    const late = tooOld(n.at - n.ts, maxAgeMs, `the newest sample of ${maskQuery(sel.text)}`);
    if (late) return { unmeasured: late };
    ageMs = Math.max(ageMs, n.at - n.ts);
  }
  return { ageMs };
}

const SECRET_LABEL = /[a-zA-Z_]*(?:token|password|secret|key|auth|session|signature)[a-zA-Z0-9_]*/.source;
const SECRET_MATCHER = new RegExp(`(${SECRET_LABEL}\\s*(?:=~|!~|!=|=)\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');

/** A query for the record: the label values of secret-looking labels (`token`, `api_key`, …) masked. */
export function maskQuery(query: string): string {
  return query.replace(SECRET_MATCHER, '$1"[redacted]"');
}

/** A query for a log line or a message: masked, and at most 200 characters. */
export function redactQuery(query: string): string {
  const masked = maskQuery(query);
  return masked.length > 200 ? `${masked.slice(0, 200)}…` : masked;
}

/** Control characters of a remote text dropped (it may reach a TTY), and its length bounded. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}
