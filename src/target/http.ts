// A webhook scale target: GET url → {"replicas": n, "readyReplicas"?: m, "paused"?: bool,
// "pausedReplicas"?: n, "pausedScaleDown"?: bool};
// PUT url with {"replicas": n}. For the local demo and platforms that are not Kubernetes.
// The PUT carries `expectedReplicas` so a server that supports it can refuse (409) a stale write.
import type { HttpTargetRef } from '../config/types.ts';
import { ConflictError, TargetError } from '../errors.ts';
import { redactUrl } from '../report/redact.ts';
import { pauseOf } from './ownership.ts';
import { httpJson } from '../http-json.ts';
import type { ScaleTarget, TargetStatus } from './types.ts';

export class HttpScaleTarget implements ScaleTarget {
  private readonly ref: HttpTargetRef;
  private readonly timeoutMs: number;

  /** `timeoutMs`: one call (api.timeout); a scale endpoint that takes longer is down. */
  constructor(ref: HttpTargetRef, timeoutMs: number) {
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

  private call(method: 'GET' | 'PUT', payload: unknown, signal?: AbortSignal, until?: number): Promise<unknown> {
    const where = `${method} ${redactUrl(this.ref.url)}`;
    const headers = { accept: 'application/json', ...this.ref.headers };
    return httpJson(
      { method, url: this.ref.url, headers, json: payload, timeoutMs: this.timeoutMs, until, signal },
      {
        transport: ({ cause, err, cut }) => {
          // Interrupted: the run ends with the interruption, not a target error.
          if (signal?.aborted) return signal.reason as Error;
          const what = cut ? `: the answer was cut: ${cause}` : ` failed: ${cause}`;
          return new TargetError(`the http scale target: ${where}${what}`, { cause: err });
        },
        status: (status, text) =>
          status === 409
            ? new ConflictError(`${where} answered 409 (replicas changed by someone else): ${text.slice(0, 200)}`)
            : new TargetError(`${where} answered HTTP ${status}: ${text.slice(0, 200)}`),
        notJson: (text) => new TargetError(`${where} answered non-JSON: ${text.slice(0, 200)}`),
      },
    );
  }
}
