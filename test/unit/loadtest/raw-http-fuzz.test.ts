// Fuzzing the raw HTTP/1.1 client from the server's side, seeded (the same cases every run): random
// bytes, and valid answers mutated byte by byte, written in random pieces with random pauses. Every
// request must end — a status or a classified failure — within its timeout; nothing may throw or
// hang, and no socket may stay open.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, serializeRequest, type RawOutcome } from '../../../src/loadtest/raw-http.ts';
import { lines, scriptedServer, type Part, type ScriptedServer } from '../../helpers/scripted-server.ts';

const SEED = 20261124;
const CASES = 400;
const TIMEOUT_MS = 250;
const BATCH = 40;

/** mulberry32: small, seeded. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEMPLATES = [
  lines('HTTP/1.1 200 OK', 'Content-Length: 5', '') + 'hello',
  lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '5;x=y', 'hello', 'a', '0123456789', '0', 'T: 1', ''),
  lines('HTTP/1.1 100 Continue', '', 'HTTP/1.1 503 Busy', 'Content-Length: 0', ''),
  lines('HTTP/1.0 200 OK', '') + 'until the close',
  lines('HTTP/1.1 204 No Content', 'Connection: keep-alive, close', ''),
];

function caseOf(random: () => number): Part[] {
  const int = (n: number): number => Math.floor(random() * n);
  let bytes: Buffer;
  if (random() < 0.3) {
    bytes = Buffer.from(Array.from({ length: int(300) }, () => int(256)));
  } else {
    const b = [...Buffer.from(TEMPLATES[int(TEMPLATES.length)]!)];
    for (let m = int(4); m > 0; m--) {
      const at = int(b.length + 1);
      const op = int(3);
      if (op === 0 && b.length) b[Math.min(at, b.length - 1)] = int(256);
      else if (op === 1) b.splice(at, 0, int(256));
      else if (b.length) b.splice(at, 1);
    }
    bytes = Buffer.from(b);
    if (random() < 0.35) bytes = bytes.subarray(0, int(bytes.length)); // cut short: the server closes mid-answer
  }
  const parts: Part[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1 + int(Math.max(1, bytes.length - at));
    parts.push(bytes.subarray(at, at + size));
    if (random() < 0.3) parts.push({ delayMs: int(5) });
    at += size;
  }
  const end = random();
  parts.push(end < 0.4 ? 'close' : end < 0.6 ? 'destroy' : 'hold');
  return parts;
}

let server: ScriptedServer;
const scripts = new Map<number, Part[]>();
const thrown: unknown[] = [];
const onThrow = (err: unknown): void => void thrown.push(err);

before(async () => {
  const random = seeded(SEED);
  for (let i = 1; i <= CASES; i++) scripts.set(i, caseOf(random));
  // One connection per case: the connection number picks the script.
  server = await scriptedServer((x) => (x.request === 1 ? (scripts.get(x.connection) ?? ['destroy']) : ['destroy']));
  process.on('uncaughtException', onThrow);
  process.on('unhandledRejection', onThrow);
});
after(async () => {
  process.off('uncaughtException', onThrow);
  process.off('unhandledRejection', onThrow);
  await server.close();
});

describe('the raw HTTP/1.1 client, fuzzed', () => {
  it(`${CASES} seeded answers: each ends as a status or a classified failure within its timeout`, async () => {
    const url = new URL(server.url);
    const request = serializeRequest(url, 'GET', '/', {});
    const results: { outcome: RawOutcome; ms: number }[] = [];
    for (let first = 0; first < CASES; first += BATCH) {
      // In order, so connection n meets script n: each case opens its connection only after the last one did.
      const batch: Promise<{ outcome: RawOutcome; ms: number }>[] = [];
      for (let i = first; i < Math.min(CASES, first + BATCH); i++) {
        const conn = new RawConnection(url, TIMEOUT_MS);
        const t0 = performance.now();
        const opened = server.connections;
        batch.push(
          conn.send(request, 'GET', 'GET /').then((outcome) => {
            conn.destroy();
            return { outcome, ms: performance.now() - t0 };
          }),
        );
        while (server.connections === opened) await new Promise((r) => setImmediate(r));
      }
      results.push(...(await Promise.all(batch)));
    }
    assert.equal(results.length, CASES);
    assert.deepEqual(thrown, [], 'nothing thrown');
    const kinds = new Map<string, number>();
    for (const { outcome, ms } of results) {
      const kind = outcome.status !== undefined ? `status ${outcome.status}` : outcome.failure?.kind;
      assert.ok(kind, `an outcome with neither status nor failure: ${JSON.stringify(outcome)}`);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      assert.ok(ms < TIMEOUT_MS + 200, `${kind} took ${ms.toFixed(0)} ms`);
    }
    // The mix is wide (the fuzzer reaches every kind of ending), so the bounds above mean something.
    for (const kind of ['status 200', 'protocol error', 'timeout', 'connection reset'])
      assert.ok(kinds.has(kind), `${kind} never seen: ${[...kinds]}`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.openSockets(), 0, 'no socket left open');
  });
});
