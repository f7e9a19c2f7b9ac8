// The fast path for declarative requests over plain http: one keep-alive connection per virtual
// user (a closed-loop user never has two requests in flight), requests serialized once per run, and
// a minimal HTTP/1.1 response parser (status, Content-Length or chunked, Connection: close). The
// clock stops at the last byte of the body. https and scripts go through undici instead.
import { connect, type Socket } from 'node:net';
import { errorFailure, type Failure } from './failures.ts';

export interface RawOutcome {
  status?: number;
  failure?: Failure;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

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

export class RawConnection {
  private socket: Socket | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly timeoutMs: number;
  private buf: Buffer = Buffer.alloc(0);
  private pending: ((o: RawOutcome) => void) | undefined;
  private head = true; // reading the status line and headers
  private status = 0;
  private remaining = 0; // body bytes left (Content-Length), or -1: chunked, -2: until close
  private closeAfter = false;
  private noBody = false;
  private timer: NodeJS.Timeout | undefined;
  private what = '';

  constructor(url: URL, timeoutMs: number) {
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port || 80);
    this.timeoutMs = timeoutMs;
  }

  send(request: Buffer, method: string, what: string): Promise<RawOutcome> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.what = what;
      this.head = true;
      this.status = 0;
      this.noBody = method === 'HEAD';
      this.buf = Buffer.alloc(0);
      if (!this.timer)
        this.timer = setTimeout(
          () => this.fail({ kind: 'timeout', message: `${this.what} took longer than ${this.timeoutMs} ms` }),
          this.timeoutMs,
        );
      else this.timer.refresh();
      const socket = this.socket ?? this.open();
      socket.write(request);
    });
  }

  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
    this.socket = undefined;
    this.finish({}); // a request cut by the end of the run: not recorded
  }

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    // Events of a socket we already gave up on must not touch the request of its successor.
    socket.on('data', (chunk: Buffer) => this.socket === socket && this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.socket === socket && this.fail(errorKind(err, this.what)));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.remaining === -2 && !this.head) return this.complete();
      this.fail({ kind: 'connection reset', message: `${this.what}: the server closed the connection` });
    });
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    if (!this.pending) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    if (this.head) {
      const end = this.buf.indexOf(CRLFCRLF);
      if (end < 0) return;
      this.parseHead(this.buf.toString('latin1', 0, end));
      this.buf = this.buf.subarray(end + 4);
      if (this.status >= 100 && this.status < 200) {
        this.head = true; // 100 Continue and friends: the real answer follows
        return this.onData(Buffer.alloc(0));
      }
    }
    this.readBody();
  }

  private parseHead(text: string): void {
    this.head = false;
    const lines = text.split('\r\n');
    this.status = Number(lines[0]!.split(' ')[1]);
    let length = -2;
    let chunked = false;
    this.closeAfter = lines[0]!.startsWith('HTTP/1.0');
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line
        .slice(colon + 1)
        .trim()
        .toLowerCase();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.includes('chunked');
      else if (name === 'connection')
        this.closeAfter = value === 'close' ? true : value === 'keep-alive' ? false : this.closeAfter;
    }
    this.remaining = this.noBody || this.status === 204 || this.status === 304 ? 0 : chunked ? -1 : length;
  }

  private readBody(): void {
    if (this.remaining >= 0) {
      if (this.buf.length >= this.remaining) this.complete();
      return;
    }
    if (this.remaining === -1) {
      // Chunked: sizes in hex, each chunk followed by CRLF, a zero-size chunk (and trailers) ends it.
      for (;;) {
        const eol = this.buf.indexOf('\r\n');
        if (eol < 0) return;
        const size = parseInt(this.buf.toString('latin1', 0, eol), 16);
        if (size === 0) {
          if (this.buf.indexOf(CRLFCRLF, eol) >= 0 || this.buf.length >= eol + 4) return this.complete();
          return;
        }
        if (this.buf.length < eol + 2 + size + 2) return;
        this.buf = this.buf.subarray(eol + 2 + size + 2);
      }
    }
    // -2: the body ends when the server closes the connection (handled on 'close').
  }

  private complete(): void {
    const status = this.status;
    if (this.closeAfter || this.remaining === -2) {
      this.socket?.destroy();
      this.socket = undefined;
    }
    this.finish({ status });
  }

  private fail(failure: Failure): void {
    if (!this.pending) return;
    this.socket?.destroy();
    this.socket = undefined;
    this.finish({ failure });
  }

  private finish(outcome: RawOutcome): void {
    const resolve = this.pending;
    this.pending = undefined;
    resolve?.(outcome);
  }
}

function errorKind(err: NodeJS.ErrnoException, what: string): Failure {
  return errorFailure(err, what, 0);
}
