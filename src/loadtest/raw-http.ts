// The raw-socket HTTP/1.1 path of the load engine: one keep-alive connection per virtual user,
// requests serialized once per run, responses read by an incremental parser (http1-parser.ts) that
// counts body bytes without copying them. Every request ends as a status or a classified failure
// within its timeout: malformed answers are protocol errors, never a hang. Keep-alive as undici
// keeps it: an idle connection is closed before the server's Keep-Alive timeout, and a request that
// met the server's close of an idle connection (no byte of answer yet) is sent again once on a new
// one when it is idempotent — that race is the client's, not a failure of the service.
import { connect, type Socket } from 'node:net';
import { errorFailure, type Failure } from './failures.ts';
import { ResponseParser } from './http1-parser.ts';

export interface RawOutcome {
  status?: number;
  failure?: Failure;
}

export interface RawOptions {
  /** Close an idle connection after this long when the server names no Keep-Alive timeout (undici: 4 s). */
  idleTimeoutMs?: number;
  /** Close this long before the server's own Keep-Alive timeout (undici's keepAliveTimeoutThreshold). */
  idleThresholdMs?: number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const SWEEP_MS = 20;

/**
 * One timer for every connection instead of one per request (setting and clearing a timer per
 * request cost ~5% of the engine's CPU): each connection keeps its deadlines, a sweep every 20 ms
 * enforces them. A timeout may so fire up to 20 ms late; it still counts as its timeout.
 */
const watched = new Set<RawConnection>();
let sweeper: NodeJS.Timeout | undefined;

function watch(c: RawConnection): void {
  watched.add(c);
  if (sweeper) return;
  sweeper = setInterval(() => {
    const now = performance.now();
    for (const w of watched) w.check(now);
  }, SWEEP_MS);
  sweeper.unref(); // the sockets keep the process alive, not the sweep
}

function unwatch(c: RawConnection): void {
  watched.delete(c);
  if (watched.size > 0 || !sweeper) return;
  clearInterval(sweeper);
  sweeper = undefined;
}

export function serializeRequest(
  url: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Buffer {
  const payload = body === undefined ? undefined : Buffer.from(body);
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'host') head += `${k}: ${v}\r\n`;
  if (payload) head += `content-length: ${payload.length}\r\n`;
  head += '\r\n';
  return payload ? Buffer.concat([Buffer.from(head), payload]) : Buffer.from(head);
}

interface Pending {
  request: Buffer;
  method: string;
  what: string;
  resolve: (o: RawOutcome) => void;
  parser: ResponseParser;
  /** Sent on a connection that had answered before (the keep-alive race is possible). */
  reused: boolean;
  retried: boolean;
}

export class RawConnection {
  private socket: Socket | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly timeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly idleThresholdMs: number;
  private pending: Pending | undefined;
  private answered = 0; // responses completed on the current socket
  private keepAliveMs: number; // how long this socket may sit idle
  private deadline = 0; // the pending request times out then (performance.now() ms)
  private idleUntil = 0; // an idle socket is closed then
  private closed = false;

  constructor(url: URL, timeoutMs: number, options: RawOptions = {}) {
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port || 80);
    this.timeoutMs = timeoutMs;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 4_000;
    this.idleThresholdMs = options.idleThresholdMs ?? 2_000;
    this.keepAliveMs = this.idleTimeoutMs;
  }

  send(request: Buffer, method: string, what: string): Promise<RawOutcome> {
    return new Promise((resolve) => {
      if (this.closed) return resolve({});
      const reused = this.socket !== undefined && this.answered > 0;
      this.pending = { request, method, what, resolve, parser: new ResponseParser(method), reused, retried: false };
      this.deadline = performance.now() + this.timeoutMs;
      this.idleUntil = 0;
      watch(this);
      this.write();
    });
  }

  /**
   * Ends the connection (the run is over, or aborted): a request still in flight got no answer
   * within the run and is a timeout — after the drain it has met its timeout already.
   */
  destroy(): void {
    this.closed = true;
    const p = this.pending;
    if (p) this.fail({ kind: 'timeout', message: `${p.what}: no answer when the load test ended` });
    this.drop();
    unwatch(this);
  }

  /** The sweep: a pending request past its deadline times out; an idle socket past its time is closed. */
  check(now: number): void {
    const p = this.pending;
    if (p && now >= this.deadline)
      this.fail({ kind: 'timeout', message: `${p.what} took longer than ${this.timeoutMs} ms` });
    else if (!p && this.idleUntil > 0 && now >= this.idleUntil) this.drop();
    if (!this.pending && !this.socket) unwatch(this);
  }

  private write(): void {
    const p = this.pending!;
    const socket = this.socket ?? this.open();
    socket.write(p.request);
  }

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    this.answered = 0;
    this.keepAliveMs = this.idleTimeoutMs;
    // Events of a socket we already gave up on must not touch the request of its successor.
    socket.on('data', (chunk: Buffer) => this.socket === socket && this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.socket === socket && this.onClose(err));
    socket.on('close', () => this.socket === socket && this.onClose(undefined));
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    const p = this.pending;
    if (!p) return this.drop(); // bytes nobody asked for: this connection cannot be trusted
    const result = p.parser.feed(chunk);
    if (result.state === 'more') return;
    if (result.state === 'error') return this.fail({ kind: 'protocol error', message: `${p.what}: ${result.message}` });
    const hint = p.parser.keepAliveSeconds;
    // Honour the server's `Keep-Alive: timeout=N`: close our side before it closes its own.
    if (hint !== undefined) this.keepAliveMs = Math.max(0, hint * 1000 - this.idleThresholdMs);
    if (!result.reuse) this.drop();
    else this.answered++;
    this.complete(result.status);
  }

  /** The socket closed or failed: the end of a close-delimited body, the keep-alive race, or a failure. */
  private onClose(err: NodeJS.ErrnoException | undefined): void {
    const p = this.pending;
    this.socket?.destroy();
    this.socket = undefined;
    if (!p) return;
    if (!err) {
      const result = p.parser.end();
      if (result.state === 'done') return this.complete(result.status);
    }
    if (p.reused && p.parser.received === 0 && !p.retried && IDEMPOTENT.has(p.method)) {
      // The server closed the idle connection as we wrote: send it again, once, on a new one.
      p.retried = true;
      p.reused = false;
      p.parser = new ResponseParser(p.method);
      return this.write();
    }
    if (err) return this.fail(errorFailure(err, p.what, this.timeoutMs));
    const end = p.parser.end();
    const message = end.state === 'error' ? end.message : 'the server closed the connection';
    this.fail({ kind: 'connection reset', message: `${p.what}: ${message}` });
  }

  private complete(status: number): void {
    this.finish({ status });
    this.idleUntil = this.socket ? performance.now() + Math.max(1, this.keepAliveMs) : 0;
  }

  private fail(failure: Failure): void {
    if (!this.pending) return;
    this.drop();
    this.finish({ failure });
  }

  private drop(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private finish(outcome: RawOutcome): void {
    const p = this.pending;
    this.pending = undefined;
    p?.resolve(outcome);
  }
}
