// Production signals from Prometheus's HTTP API (DESIGN §9): each query an instant query over
// /api/v1/query, through the one HTTP-JSON call, bounded by api.timeout, the run's signal and its
// deadline. Basic auth or a bearer token (from a file or the environment, never logged), extra
// headers, a custom CA. A query that cannot be read is unmeasured, with the cause in words; its
// age is checked on the newest raw sample of each series selector it reads (a dead exporter's
// last rate outlives the exporter by the rate's window).
import { readFileSync } from 'node:fs';
import type { ProductionQuery } from '../config/signals.ts';
import type { ScalerConfig } from '../config/types.ts';
import { ConfigError, messageOf } from '../errors.ts';
import { httpJson, type HttpFailures } from '../http-json.ts';
import type { ProductionObservations, ProductionReading } from '../model/observations.ts';
import { splitCredentials } from '../report/push.ts';
import { redactUrl } from '../report/redact.ts';
import { Agent, type Dispatcher } from '../undici.ts';
import { apiError, freshnessOf, freshnessQuery, maskQuery, printable, sampleOf, selectorsOf } from './promql.ts';
import type { QueryCheck, ReadBounds, SignalSource } from './types.ts';

export type PrometheusConfig = NonNullable<ScalerConfig['signals']['prometheus']>;

/** An HTTP answer outside 2xx, in words, with its status (a 404 of parse_query: a server without it). */
class HttpStatusFailure extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const FAILURES: HttpFailures = {
  transport: ({ cause, cut }) => new Error(cut ? `the answer was cut off: ${cause}` : cause),
  status: (status, text) => new HttpStatusFailure(status, statusText(status, text)),
  notJson: (text) => new Error(`it answered something that is not JSON (${printable(text.slice(0, 80))})`),
};

function statusText(status: number, text: string): string {
  let detail: string;
  try {
    detail = apiError(JSON.parse(text) as object);
  } catch {
    detail = printable(text.split('\n')[0] ?? '');
  }
  const hint =
    status === 401 || status === 403
      ? ' (check signals.prometheus.auth and headers)'
      : status === 404
        ? ' (is the URL the Prometheus API?)'
        : '';
  return `it answered HTTP ${status}${detail ? `: ${detail}` : ''}${hint}`;
}

/** The run's source, and what `init --prometheus` asks besides: the metric names a selector's series carry. */
export interface PrometheusSource extends SignalSource {
  metricNames(matchers: string, bounds: ReadBounds): Promise<string[]>;
}

export function createPrometheus(
  config: PrometheusConfig,
  timeoutMs: number,
  env: Record<string, string | undefined>,
): PrometheusSource {
  const { base, authorization: fromUrl } = splitCredentials(config.url);
  const headers: Record<string, string> = { ...config.headers, accept: 'application/json' };
  const authorization = fromUrl ?? authorizationOf(config.auth, env);
  if (authorization) headers['authorization'] = authorization;
  const dispatcher: Dispatcher | undefined = config.tls
    ? new Agent({ connect: { ca: readCa(config.tls.ca) } })
    : undefined;
  const server = redactUrl(config.url).replace(/\/+$/, '');
  const where = `Prometheus at ${server}`;

  const call = (path: string, form: Record<string, string>, bounds: ReadBounds): Promise<unknown> =>
    httpJson(
      {
        method: 'POST',
        url: `${base}${path}`,
        headers,
        form: new URLSearchParams(form),
        timeoutMs,
        until: bounds.until,
        signal: bounds.signal,
        dispatcher,
      },
      FAILURES,
    );
  const lookback = { lookback_delta: `${config.maxAge / 1000}s` };

  const reading = async (q: ProductionQuery, bounds: ReadBounds): Promise<ProductionReading> => {
    const query = maskQuery(q.query); // as the record keeps it
    const unmeasured = (why: string): ProductionReading => ({ query, value: null, unmeasured: `${where}: ${why}` });
    const [answer, parsed] = await Promise.allSettled([
      call('/api/v1/query', { query: q.query }, bounds),
      call('/api/v1/parse_query', { query: q.query }, bounds),
    ]);
    if (answer.status === 'rejected') return unmeasured(messageOf(answer.reason));
    const sample = sampleOf(answer.value, Date.now(), config.maxAge);
    if ('unmeasured' in sample) return unmeasured(sample.unmeasured);
    const value: ProductionReading = { query, value: sample.value, at: new Date(sample.at).toISOString() };
    if (parsed.status === 'rejected') {
      // A server without parse_query (an older Prometheus, some compatible stores): the answer's own
      // time was checked, the raw samples' age cannot be.
      const unsupported = parsed.reason instanceof HttpStatusFailure && parsed.reason.status === 404;
      return unsupported ? value : unmeasured(`the age check failed: ${messageOf(parsed.reason)}`);
    }
    const selectors = selectorsOf((parsed.value as { data?: unknown } | null)?.data);
    if (selectors.length === 0) return value; // constants only: nothing ages
    const newest = { query: freshnessQuery(selectors) };
    try {
      // A server that refuses lookback_delta is asked without it: then maxAge is compared here alone.
      const answer = await call('/api/v1/query', { ...newest, ...lookback }, bounds).catch((err: unknown) => {
        if (err instanceof HttpStatusFailure && err.status === 400) return call('/api/v1/query', newest, bounds);
        throw err;
      });
      const fresh = freshnessOf(answer, selectors, config.maxAge);
      return 'unmeasured' in fresh ? unmeasured(fresh.unmeasured) : { ...value, ageMs: fresh.ageMs };
    } catch (err) {
      return unmeasured(`the age check failed: ${messageOf(err)}`);
    }
  };

  const checkOne = async (q: ProductionQuery, bounds: ReadBounds): Promise<QueryCheck> => {
    const syntax = async (path: string): Promise<QueryCheck | undefined> => {
      try {
        await call(path, { query: q.query }, bounds);
        return undefined;
      } catch (err) {
        if (err instanceof HttpStatusFailure && err.status === 400)
          return { query: q, syntaxError: `${where}: ${err.message}` };
        throw err;
      }
    };
    try {
      // parse_query checks the syntax without evaluating; a server without it evaluates the query.
      const bad = await syntax('/api/v1/parse_query').catch(async (err: unknown) => {
        if (err instanceof HttpStatusFailure && err.status === 404) return syntax('/api/v1/query');
        throw err;
      });
      if (bad) return bad;
    } catch (err) {
      return { query: q, unreachable: `${where}: ${messageOf(err)}` };
    }
    return { query: q, reading: await reading(q, bounds) };
  };

  return {
    describe: () => where,
    async read(queries, bounds) {
      const readings = await Promise.all(queries.map((q) => reading(q, bounds)));
      bounds.signal?.throwIfAborted(); // an interrupted run ends with its interruption, not unmeasured signals
      const out: ProductionObservations = { server, targets: {} };
      queries.forEach((q, i) => {
        if (q.kind === 'rate') out.rate = readings[i]!;
        else out.targets[q.name] = readings[i]!;
      });
      return out;
    },
    async check(queries, bounds) {
      const checks = await Promise.all(queries.map((q) => checkOne(q, bounds)));
      bounds.signal?.throwIfAborted();
      return checks;
    },
    async metricNames(matchers, bounds) {
      // The label values endpoint is GET only; the selector goes in the URL.
      const url = `${base}/api/v1/label/__name__/values?${new URLSearchParams({ 'match[]': `{${matchers}}` })}`;
      const call = { method: 'GET' as const, url, headers, timeoutMs, ...bounds, dispatcher };
      let answer: unknown;
      try {
        answer = await httpJson(call, FAILURES);
      } catch (err) {
        const bad = err instanceof HttpStatusFailure && err.status === 400;
        throw bad ? new ConfigError([{ path: '--prometheus-selector', message: `${where}: ${err.message}` }]) : err;
      }
      const data = (answer as { status?: unknown; data?: unknown } | null)?.data;
      if (!Array.isArray(data) || !data.every((n) => typeof n === 'string'))
        throw new Error(`it answered no list of metric names (${printable(JSON.stringify(answer).slice(0, 80))})`);
      return data as string[];
    },
    close: async () => {
      await dispatcher?.close();
    },
  };
}

/** The Authorization header from signals.prometheus.auth; a secret that cannot be read is bad input (exit 2). */
function authorizationOf(auth: PrometheusConfig['auth'], env: Record<string, string | undefined>): string | undefined {
  if (auth?.bearer) return `Bearer ${secret(auth.bearer, 'signals.prometheus.auth.bearer', env)}`;
  if (auth?.basic) {
    const password = secret(auth.basic.password, 'signals.prometheus.auth.basic.password', env);
    return `Basic ${Buffer.from(`${auth.basic.username}:${password}`).toString('base64')}`;
  }
  return undefined;
}

function secret(
  from: { file?: string | undefined; env?: string | undefined },
  path: string,
  env: Record<string, string | undefined>,
): string {
  if (from.env !== undefined) {
    const value = env[from.env];
    if (value === undefined || value === '')
      throw new ConfigError([{ path: `${path}.env`, message: `the environment variable ${from.env} is not set` }]);
    return value.trim();
  }
  const file = from.file!;
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (value === '') throw Object.assign(new Error('it is empty'), { code: 'empty' });
    return value;
  } catch (err) {
    const message = `${JSON.stringify(file)} cannot be read: ${readError(err)}`;
    throw new ConfigError([{ path: `${path}.file`, message }]);
  }
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const message = `${JSON.stringify(file)} cannot be read: ${readError(err)}`;
    throw new ConfigError([{ path: 'signals.prometheus.tls.ca', message }]);
  }
}

function readError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : messageOf(err);
}
