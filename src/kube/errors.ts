// Kubernetes API failures → errors an operator can act on, and bounded retries for the
// transient ones (429, 5xx, connection failures, timeouts).
import { ConflictError, ScalerError, TargetError } from '../errors.ts';
import { transportCause } from '../transport.ts';
import { wait } from '../wait.ts';

export interface ApiCall {
  verb: string; // get, patch, create, update
  resource: string; // deployments/scale, configmaps, events
  namespace: string;
  name?: string;
  apiGroup?: string; // '' for the core group
}

interface StatusBody {
  message?: string;
  reason?: string;
}

/** The HTTP status of an API answer; undefined for transport failures (a DOMException's code is no status). */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof DOMException) return undefined;
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' && code >= 100 && code <= 599 ? code : undefined;
}

function bodyMessage(err: unknown): string {
  const body = (err as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as StatusBody).message ?? body.slice(0, 300);
    } catch {
      return body.slice(0, 300);
    }
  }
  if (body && typeof body === 'object') return (body as StatusBody).message ?? '';
  return (err as Error)?.message ?? String(err);
}

export function describeCall(call: ApiCall): string {
  return `${call.verb} ${call.resource}${call.name ? ` ${call.name}` : ''} in namespace ${call.namespace}`;
}

export interface CallContext {
  notFound?: string | undefined; // phrases a 404 for this call
  server?: string | undefined; // the API server's address, named in transport failures
  timeoutMs?: number | undefined; // one request's time limit
}

/** A 403 in words: the verb, the resource and the namespace refused, and the Role rule that allows them. */
export function forbiddenMessage(call: ApiCall, detail: string): string {
  const names = call.name ? `\n  resourceNames: ["${call.name}"]` : '';
  const rule =
    [`- apiGroups: ["${call.apiGroup ?? ''}"]`, `  resources: ["${call.resource}"]`, `  verbs: ["${call.verb}"]`].join(
      '\n',
    ) + names;
  const where = "see jobs/base/rbac.yaml; a fleet's Roles are written by 'latency-scaler manifests -c <its configs>'";
  const add = `Add this rule to its Role (${where}):\n${rule}\nAPI server said: ${detail}`;
  return `forbidden: the service account may not ${describeCall(call)}. ${add}`;
}

/** The error to raise for a failed call. */
export function apiError(err: unknown, call: ApiCall, context: CallContext = {}): ScalerError {
  const { notFound, server } = context;
  if (err instanceof ScalerError) return err;
  const status = statusOf(err);
  const what = describeCall(call);
  const options = { cause: err, context: { status } };
  if (status === undefined) {
    const at = server ? ` at ${server}` : '';
    return new TargetError(`the Kubernetes API${at}: ${transportCause(err, context.timeoutMs)} (${what})`, {
      cause: err,
    });
  }
  const detail = bodyMessage(err);
  if (status === 403) return new TargetError(forbiddenMessage(call, detail), options);
  if (status === 404) return new TargetError(notFound ?? `not found: ${what} (${detail})`, options);
  if (status === 409) {
    return new ConflictError(`conflict on ${what}: changed by someone else since it was read (${detail})`, options);
  }
  if (status === 401) {
    const check = 'check the service-account token or kubeconfig';
    return new TargetError(
      `unauthorized: the API server rejected our credentials for ${what}; ${check} (${detail})`,
      options,
    );
  }
  return new TargetError(`${what} failed: the API server answered HTTP ${status}: ${detail}`, options);
}

export function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return status === 429 || status >= 500;
  if ((err as Error)?.name === 'AbortError') return false; // our own abort (interrupted), not the server
  return !(err instanceof ScalerError); // connection refused/reset, timeouts
}

/** A 429/503's `Retry-After` in ms (seconds or an HTTP date), if the answer carried one. */
export function retryAfterMs(err: unknown, now: number): number | undefined {
  const headers = (err as { headers?: Record<string, string | undefined> })?.headers;
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface RetryOptions {
  deadlineMs: number; // give up (with the last error) once this much time has passed
  /** Give up (with the last error) rather than wait past this time (epoch ms, on `now`'s clock). */
  until?: number | undefined;
  baseMs?: number;
  /** The run's interruption: ends the call and the wait between attempts at once, with its reason. */
  signal?: AbortSignal | undefined;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/**
 * Retries transient failures with exponential backoff and full jitter (or the server's
 * Retry-After, when it gave one), within a deadline. An interruption ends it with its reason (the
 * InterruptedError the run exits with), whether it came during a call or during a wait.
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { signal } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? wait;
  const start = now();
  const until = Math.min(start + options.deadlineMs, options.until ?? Number.POSITIVE_INFINITY);
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      signal?.throwIfAborted();
      const backoff = random() * Math.min(5000, (options.baseMs ?? 200) * 2 ** attempt);
      const delay = retryAfterMs(err, now()) ?? backoff;
      if (!isTransient(err) || now() + delay > until) throw err;
      await sleep(delay, signal); // an interruption ends the wait with its reason
    }
  }
}
