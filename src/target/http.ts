// A webhook scale target: GET url → {"replicas": n, "readyReplicas"?: m, "paused"?: bool,
// "pausedReplicas"?: n, "pausedScaleDown"?: bool};
// PUT url with {"replicas": n}. For the local demo and platforms that are not Kubernetes.
// The PUT carries `expectedReplicas` so a server that supports it can refuse (409) a stale write.
import { request } from '../undici.ts';
import type { HttpTargetRef } from '../config/types.ts';
import { ConflictError, TargetError } from '../errors.ts';
import { redactUrl } from '../report/redact.ts';
import { pauseOf } from './ownership.ts';
import { callTimeout, transportCause } from '../transport.ts';
import type { ScaleTarget, TargetStatus } from './types.ts';

export class HttpScaleTarget implements ScaleTarget {
  private readonly ref: HttpTargetRef;
  private readonly timeoutMs: number;

  /** `timeoutMs`: one call (api.timeout); a scale endpoint that takes longer is down. */
  constructor(ref: HttpTargetRef, timeoutMs = 10_000) {
    this.ref = ref;
    this.timeoutMs = timeoutMs;
  }

  describe(): string {
    return `http ${redactUrl(this.ref.url)}`;
  }

  async read(signal?: AbortSignal): Promise<TargetStatus> {
    const body = await this.call('GET', undefined, signal);
    const obj = body as Record<string, unknown> | null;
    const replicas = obj?.['replicas'];
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw new TargetError(
        `GET ${redactUrl(this.ref.url)} answered ${JSON.stringify(body)?.slice(0, 200)}; ` +
          'expected {"replicas": <integer ≥ 0>}',
      );
    }
    const ready = obj?.['readyReplicas'];
    const names = {
      paused: 'field paused',
      pausedReplicas: 'field pausedReplicas',
      pausedScaleDown: 'field pausedScaleDown',
    };
    const pause = pauseOf(
      { paused: obj?.['paused'], pausedReplicas: obj?.['pausedReplicas'], pausedScaleDown: obj?.['pausedScaleDown'] },
      `the http scale target: GET ${redactUrl(this.ref.url)} answered`,
      names,
    );
    const status: TargetStatus = { replicas, ...pause };
    if (typeof ready === 'number') {
      status.readyReplicas = ready;
      if (ready < replicas) status.notSettled = { kind: 'starting', reason: `${ready} of ${replicas} replicas ready` };
    }
    return status;
  }

  async apply(replicas: number, expectedCurrent: number, signal?: AbortSignal, until?: number): Promise<void> {
    await this.call('PUT', { replicas, expectedReplicas: expectedCurrent }, signal, until);
  }

  private async call(method: 'GET' | 'PUT', payload: unknown, signal?: AbortSignal, until?: number): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.ref.headers };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const timeoutMs = callTimeout(this.timeoutMs, until);
    const timeout = AbortSignal.timeout(timeoutMs);
    let res;
    try {
      res = await request(this.ref.url, {
        method,
        headers,
        ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const cause = transportCause(err, timeoutMs);
      throw new TargetError(`the http scale target: ${method} ${redactUrl(this.ref.url)} failed: ${cause}`, {
        cause: err,
      });
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const cause = transportCause(err, timeoutMs);
      const where = `${method} ${redactUrl(this.ref.url)}`;
      throw new TargetError(`the http scale target: ${where}: the answer was cut: ${cause}`, { cause: err });
    }
    if (res.statusCode === 409)
      throw new ConflictError(
        `${method} ${redactUrl(this.ref.url)} answered 409 (replicas changed by someone else): ${text.slice(0, 200)}`,
      );
    if (res.statusCode < 200 || res.statusCode >= 300)
      throw new TargetError(
        `${method} ${redactUrl(this.ref.url)} answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`,
      );
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new TargetError(`${method} ${redactUrl(this.ref.url)} answered non-JSON: ${text.slice(0, 200)}`);
    }
  }
}
