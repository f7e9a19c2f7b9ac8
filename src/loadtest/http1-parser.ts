// An incremental HTTP/1.1 response parser for the load engine's raw path (pure: bytes in, a verdict
// out). It reads what a latency measurement needs — the status, where the body ends, whether the
// connection can be reused — and refuses malformed input as a protocol error instead of waiting
// for ever or looping. Body bytes are counted, never copied. RFC 9112 is the reference.

export type ParseResult =
  | { state: 'more' }
  | { state: 'done'; status: number; reuse: boolean; extra: number }
  | { state: 'error'; message: string };

const MAX_HEAD = 64 * 1024; // status line and headers; more is no sane answer
const MAX_LINE = 4 * 1024; // a chunk-size line or a trailer line
const MORE: ParseResult = { state: 'more' };
const CRLFCRLF = Buffer.from('\r\n\r\n');

type Phase = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'until-close' | 'done';

export class ResponseParser {
  private readonly noBody: boolean;
  private phase: Phase = 'head';
  private head: Buffer[] = [];
  private headBytes = 0;
  private line = ''; // a partial chunk-size, chunk CRLF or trailer line
  private remaining = 0; // body or chunk bytes still to come
  private status = 0;
  private reuse = true;
  /** Bytes of this response seen so far (a reused connection closed before any is the keep-alive race). */
  received = 0;
  /** The server's `Keep-Alive: timeout=N`, in seconds, when it sent one. */
  keepAliveSeconds: number | undefined;

  constructor(method: string) {
    this.noBody = method === 'HEAD';
  }

  feed(chunk: Buffer): ParseResult {
    this.received += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      const step = this.step(chunk, at);
      if (typeof step !== 'number') return step;
      at = step;
    }
    return this.phase === 'done' ? this.done(0) : MORE;
  }

  /** The server closed the connection: a body delimited by the close is complete; anything else is cut. */
  end(): ParseResult {
    if (this.phase === 'until-close') return { state: 'done', status: this.status, reuse: false, extra: 0 };
    if (this.phase === 'done') return this.done(0);
    const where = this.phase === 'head' ? 'before the response headers ended' : 'in the middle of the body';
    return { state: 'error', message: `the server closed the connection ${where}` };
  }

  /** Consumes from `at`; returns where it stopped, or a final result. */
  private step(chunk: Buffer, at: number): number | ParseResult {
    switch (this.phase) {
      case 'head':
        return this.readHead(chunk, at);
      case 'length': {
        const take = Math.min(this.remaining, chunk.length - at);
        this.remaining -= take;
        if (this.remaining === 0) this.phase = 'done';
        return this.finishedAt(at + take, chunk);
      }
      case 'chunk-data': {
        const take = Math.min(this.remaining, chunk.length - at);
        this.remaining -= take;
        if (this.remaining === 0) this.phase = 'chunk-crlf';
        return at + take;
      }
      case 'chunk-size':
      case 'chunk-crlf':
      case 'trailers':
        return this.readLine(chunk, at);
      case 'until-close':
        return chunk.length;
      case 'done':
        return this.done(chunk.length - at);
    }
  }

  private finishedAt(at: number, chunk: Buffer): number | ParseResult {
    return this.phase === 'done' && at < chunk.length ? this.done(chunk.length - at) : at;
  }

  /** Bytes after the end of the answer: not ours to read (no pipelining), so the connection is not reused. */
  private done(extra: number): ParseResult {
    return { state: 'done', status: this.status, reuse: this.reuse && extra === 0, extra };
  }

  private readHead(chunk: Buffer, at: number): number | ParseResult {
    const rest = chunk.subarray(at);
    this.head.push(rest);
    const before = this.headBytes;
    this.headBytes += rest.length;
    const joined = this.head.length === 1 ? rest : Buffer.concat(this.head, this.headBytes);
    const end = joined.indexOf(CRLFCRLF, Math.max(0, before - 3));
    if (end < 0) {
      if (this.headBytes > MAX_HEAD) return this.error(`the response headers exceed ${MAX_HEAD / 1024} KiB`);
      this.head = [joined];
      return chunk.length;
    }
    this.head = [];
    this.headBytes = 0;
    const verdict = this.parseHead(joined.toString('latin1', 0, end));
    if (verdict) return verdict;
    // Bytes of this chunk after the head (the body's start): where they begin within `chunk`.
    return at + (end + 4 - before);
  }

  private parseHead(text: string): ParseResult | undefined {
    const head = headOf(text);
    if ('error' in head) return this.error(head.error);
    if (head.interim) return undefined; // 100 Continue, 103 Early Hints: the real answer follows
    const { http10, status, headers } = head;
    this.status = status;
    const connection = headers.connection;
    this.keepAliveSeconds = headers.keepAliveSeconds;
    this.reuse = http10 ? connection.includes('keep-alive') : !connection.includes('close');
    if (this.noBody || status === 204 || status === 304) {
      this.phase = 'done';
      return undefined;
    }
    if (headers.transferEncoding !== undefined) {
      if (headers.contentLength !== undefined) this.reuse = false; // both: chunked wins, trust the connection no more
      if (headers.transferEncoding.at(-1) === 'chunked') {
        this.phase = 'chunk-size';
        return undefined;
      }
      this.phase = 'until-close'; // another final coding: the body ends with the connection
      this.reuse = false;
      return undefined;
    }
    if (headers.contentLength !== undefined) {
      this.remaining = headers.contentLength;
      this.phase = this.remaining === 0 ? 'done' : 'length';
      return undefined;
    }
    this.phase = 'until-close';
    this.reuse = false;
    return undefined;
  }

  private readLine(chunk: Buffer, at: number): number | ParseResult {
    const eol = chunk.indexOf('\n', at);
    const piece = chunk.toString('latin1', at, eol < 0 ? chunk.length : eol + 1);
    this.line += piece;
    if (this.line.length > MAX_LINE) return this.error(`a ${this.phase} line longer than ${MAX_LINE} bytes`);
    if (eol < 0) return chunk.length;
    if (!this.line.endsWith('\r\n')) return this.error(`a bare LF in the ${this.phase} line`);
    const line = this.line.slice(0, -2);
    this.line = '';
    const next = eol + 1;
    switch (this.phase) {
      case 'chunk-crlf':
        if (line !== '') return this.error(`chunk data longer than its size (${JSON.stringify(line.slice(0, 20))})`);
        this.phase = 'chunk-size';
        return next;
      case 'trailers':
        if (line === '') this.phase = 'done';
        return this.phase === 'done' ? this.finishedAt(next, chunk) : next;
      default: {
        const size = chunkSize(line);
        if (size === undefined) return this.error(`invalid chunk size ${JSON.stringify(line.slice(0, 20))}`);
        this.remaining = size;
        this.phase = size === 0 ? 'trailers' : 'chunk-data';
        return next;
      }
    }
  }

  private error(message: string): ParseResult {
    this.phase = 'done';
    return { state: 'error', message };
  }
}

type Head =
  { error: string } | { interim: true } | { interim: false; http10: boolean; status: number; headers: Headers };

/**
 * A server sends the same head again and again (only its Date changes, once a second), so parsed heads
 * are kept by their text: parsing them again was a sixth of the engine's CPU time. Bounded: 64 heads of
 * at most 1 KiB, cleared when full.
 */
const heads = new Map<string, Head>();
const HEADS_KEPT = 64;
const HEAD_KEPT_BYTES = 1024;

function headOf(text: string): Head {
  let head = heads.get(text);
  if (head) return head;
  head = parseHeadText(text);
  if (text.length > HEAD_KEPT_BYTES) return head; // a large head is rare: not worth its memory
  if (heads.size >= HEADS_KEPT) heads.clear();
  heads.set(text, head);
  return head;
}

function parseHeadText(text: string): Head {
  const lines = text.split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0]!);
  if (!statusLine) return { error: `malformed status line ${JSON.stringify(lines[0]!.slice(0, 60))}` };
  const status = Number(statusLine[2]);
  if (status === 101) return { error: 'the server switched protocols (101), which a load test does not follow' };
  if (status >= 100 && status < 200) return { interim: true };
  const headers = readHeaders(lines.slice(1));
  if ('error' in headers) return headers;
  return { interim: false, http10: statusLine[1] === '0', status, headers };
}

/** Hex digits, optionally followed by chunk extensions (`;name=value`); bounded so it stays exact. */
function chunkSize(line: string): number | undefined {
  const digits = line.split(';', 1)[0]!.trim();
  if (!/^[0-9a-fA-F]{1,12}$/.test(digits)) return undefined;
  return parseInt(digits, 16);
}

interface Headers {
  keepAliveSeconds?: number;
  contentLength?: number;
  transferEncoding?: string[];
  connection: string[];
}

/** Only the four headers that decide where the body ends are read; the others are skipped unparsed. */
function readHeaders(lines: string[]): Headers | { error: string } {
  const out: Headers = { connection: [] };
  const lengths = new Set<string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: `malformed header line ${JSON.stringify(line.slice(0, 60))}` };
    const name = HEADERS_BY_LENGTH[colon] && line.slice(0, colon).toLowerCase();
    if (!name || !HEADERS_BY_LENGTH[colon]!.includes(name)) continue;
    const value = line
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    const tokens = value
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (name === 'content-length') for (const t of tokens.length ? tokens : ['']) lengths.add(t);
    else if (name === 'transfer-encoding') out.transferEncoding = [...(out.transferEncoding ?? []), ...tokens];
    else if (name === 'connection') out.connection.push(...tokens);
    else {
      const timeout = /(?:^|,)\s*timeout=(\d+)/.exec(value);
      if (timeout) out.keepAliveSeconds = Number(timeout[1]);
    }
  }
  if (lengths.size > 1) return { error: `conflicting Content-Length values (${[...lengths].join(', ')})` };
  const [length] = lengths;
  if (length !== undefined) {
    if (!/^\d{1,15}$/.test(length)) return { error: `invalid Content-Length ${JSON.stringify(length)}` };
    out.contentLength = Number(length);
  }
  return out;
}

/** The headers read, by the length of their name (a cheap first test; names with spaces are not ours). */
const HEADERS_BY_LENGTH: Record<number, string[]> = {
  10: ['connection', 'keep-alive'],
  14: ['content-length'],
  17: ['transfer-encoding'],
};
