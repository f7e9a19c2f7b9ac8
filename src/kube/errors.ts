// Kubernetes API failures → errors an operator can act on, and bounded retries for the
// transient ones (429, 5xx, connection failures, timeouts).
import { ConflictError, ScalerError, TargetError } from '../errors.ts';

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

export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
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

/** The error to raise for a failed call; `notFound` phrases a 404 for this call. */
export function apiError(err: unknown, call: ApiCall, notFound?: string): ScalerError {
  const status = statusOf(err);
  const what = describeCall(call);
  const detail = bodyMessage(err);
  if (status === 403) {
    const rule = `- apiGroups: ["${call.apiGroup ?? ''}"]\n  resources: ["${call.resource}"]\n  verbs: ["${call.verb}"]${call.name ? `\n  resourceNames: ["${call.name}"]` : ''}`;
    return new TargetError(`forbidden: the service account may not ${what}. Add this rule to its Role (see jobs/rbac.yaml):\n${rule}\nAPI server said: ${detail}`, { cause: err, context: { status } });
  }
  if (status === 404) return new TargetError(notFound ?? `not found: ${what} (${detail})`, { cause: err, context: { status } });
  if (status === 409) return new ConflictError(`conflict on ${what}: changed by someone else since it was read (${detail}); nothing applied`, { cause: err, context: { status } });
  if (status === 401) return new TargetError(`unauthorized: the API server rejected our credentials for ${what}; check the service-account token or kubeconfig (${detail})`, { cause: err, context: { status } });
  if (status !== undefined) return new TargetError(`${what} failed: HTTP ${status}: ${detail}`, { cause: err, context: { status } });
  return new TargetError(`${what} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

export function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return status === 429 || status >= 500;
  return !(err instanceof ScalerError); // connection refused/reset, timeouts
}

export interface RetryOptions {
  deadlineMs: number; // give up (with the last error) once this much time has passed
  baseMs?: number;
  signal?: AbortSignal | undefined;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Retries transient failures with exponential backoff and full jitter, within a deadline. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const delay = Math.random() * Math.min(5000, (options.baseMs ?? 200) * 2 ** attempt);
      if (!isTransient(err) || options.signal?.aborted || now() - start + delay > options.deadlineMs) throw err;
      await sleep(delay);
    }
  }
}
