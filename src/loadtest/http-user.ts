// One virtual user's HTTP calls: timed, classified and recorded under a name. Also the `user`
// object a scenario script receives (get/post/put/delete/request, as a locustfile's self.client).
import type { Dispatcher, Pool } from '../undici.ts';
import { errorFailure, failureMs, statusFailure, type Failure } from './failures.ts';
import type { StatsRecorder } from './recorder.ts';

export interface CallOptions {
  name?: string; // statistics key; default `METHOD path`
  headers?: Record<string, string>;
  body?: string;
  json?: unknown; // sent as the body, with content-type application/json
  expect?: number[]; // statuses that succeed; default 2xx and 3xx
}

/** A declarative request, its dispatch options built once per run. */
export interface PreparedRequest {
  name: string;
  options: Dispatcher.DispatchOptions;
  expect?: number[] | undefined;
}

export interface Response {
  status: number;
  ok: boolean; // counted as a success
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = unknown>(): T;
}

export interface UserContext {
  pool: Pool;
  recorder: StatsRecorder;
  headers: Record<string, string>; // loadTest.headers, sent with every request
  timeoutMs: number;
  /** The path of loadTest.host (http://svc/api → /api), put before every path a script asks for. */
  basePath: string;
  /** The duration is over: no new request starts (those in flight are still awaited). */
  stopped: () => boolean;
  /** The transport was torn down (past the drain's bound, or aborted): an error now is the cut. */
  cutOff: () => boolean;
}

export class HttpUser {
  readonly id: number;
  /** Per-user state for scripts (a token after login, a row of test data …). */
  readonly data: Record<string, unknown> = {};
  private readonly ctx: UserContext;

  constructor(id: number, ctx: UserContext) {
    this.id = id;
    this.ctx = ctx;
  }

  get(path: string, options?: CallOptions): Promise<Response | undefined> {
    return this.request('GET', path, options);
  }

  post(path: string, options?: CallOptions): Promise<Response | undefined> {
    return this.request('POST', path, options);
  }

  put(path: string, options?: CallOptions): Promise<Response | undefined> {
    return this.request('PUT', path, options);
  }

  delete(path: string, options?: CallOptions): Promise<Response | undefined> {
    return this.request('DELETE', path, options);
  }

  /** Records the call; resolves undefined when it failed at the transport or the run ended. */
  async request(method: string, path: string, options: CallOptions = {}): Promise<Response | undefined> {
    // After the duration no new request starts; the caller sees it as a request that did not happen.
    if (this.ctx.stopped()) return undefined;
    const { pool, recorder, timeoutMs } = this.ctx;
    const name = options.name ?? `${method} ${path}`;
    const headers = { ...this.ctx.headers, ...options.headers };
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    const started = performance.now();
    try {
      const res = await pool.request({
        method: method as 'GET',
        path: this.ctx.basePath + path,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.body.text();
      const ms = performance.now() - started;
      const failure = statusFailure(res.statusCode, options.expect, name);
      if (failure) recorder.failure(name, failure, ms);
      else recorder.success(name, ms);
      return { status: res.statusCode, ok: !failure, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
    } catch (err) {
      const failure = this.failureOf(err, name);
      recorder.failure(name, failure, failureMs(failure, performance.now() - started, timeoutMs));
      return undefined;
    }
  }

  /**
   * The fast path for declarative requests: undici's dispatch with a minimal handler — no response
   * stream, no body decoding — and the clock read when the last byte arrives.
   */
  fire(request: PreparedRequest): Promise<void> {
    const { pool, recorder, timeoutMs } = this.ctx;
    if (this.ctx.stopped()) return Promise.resolve();
    return new Promise((resolve) => {
      const started = performance.now();
      let status = 0;
      pool.dispatch(request.options, {
        onRequestStart: () => {},
        onResponseStart: (_controller, statusCode) => {
          status = statusCode;
        },
        onResponseData: () => {},
        onResponseEnd: () => {
          const ms = performance.now() - started;
          const failure = statusFailure(status, request.expect, request.name);
          if (failure) recorder.failure(request.name, failure, ms);
          else recorder.success(request.name, ms);
          resolve();
        },
        onResponseError: (_controller, err) => {
          const failure = this.failureOf(err, request.name);
          recorder.failure(request.name, failure, failureMs(failure, performance.now() - started, timeoutMs));
          resolve();
        },
      });
    });
  }

  /** A request cut by the end of the run had no answer within it: a timeout, never dropped (DESIGN §4.1). */
  private failureOf(err: unknown, name: string): Failure {
    if (!this.ctx.cutOff()) return errorFailure(err, name, this.ctx.timeoutMs);
    return { kind: 'timeout', message: `${name}: no answer when the load test ended` };
  }
}
