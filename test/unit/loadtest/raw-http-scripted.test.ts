// The raw HTTP/1.1 client against a server whose every byte is scripted: each malformed answer ends
// as a classified failure well within the timeout (never a hang, never a loop), each well-formed
// edge as its status, and connections are reused only when the answer allows it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, serializeRequest, type RawOutcome } from '../../../src/loadtest/raw-http.ts';
import { ResponseParser } from '../../../src/loadtest/http1-parser.ts';
import { lines, scriptedServer, type Exchange, type Part } from '../../helpers/scripted-server.ts';

const TIMEOUT_MS = 1500;
const ok = lines('HTTP/1.1 200 OK', 'Content-Length: 2', '') + 'ok';

interface Case {
  name: string;
  /** The answer to each request; `x.request` counts requests on one connection. */
  answer: (x: Exchange) => Part[];
  method?: string;
  /** Expected outcomes of consecutive requests on one RawConnection. */
  expect: (RawOutcome | { kind: string } | { status: number })[];
  /** Connections the server should have seen. */
  connections?: number;
  message?: RegExp;
}

const cases: Case[] = [
  { name: 'Content-Length body', answer: () => [ok], expect: [{ status: 200 }, { status: 200 }], connections: 1 },
  {
    name: 'chunked body',
    answer: () => [lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '5', 'hello', '0', '')],
    expect: [{ status: 200 }, { status: 200 }],
    connections: 1,
  },
  {
    name: 'chunk extensions',
    answer: () => [lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '5;name=value', 'hello', '0;x', '')],
    expect: [{ status: 200 }],
  },
  {
    name: 'trailers are read through their empty line, nothing left over for the next answer',
    answer: () => [
      lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '2', 'ok', '0', 'X-Digest: abc', 'X-More: 1', ''),
    ],
    expect: [{ status: 200 }, { status: 200 }],
    connections: 1,
  },
  {
    name: 'a chunk size that is not hex',
    answer: () => [lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', 'zz', 'hello', '0', '')],
    expect: [{ kind: 'protocol error' }],
    message: /invalid chunk size "zz"/,
  },
  {
    name: 'a negative chunk size',
    answer: () => [lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '-5', 'hello', '0', '')],
    expect: [{ kind: 'protocol error' }],
  },
  {
    name: 'an oversized chunk size',
    answer: () => [lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', 'ffffffffffffffffffff', '')],
    expect: [{ kind: 'protocol error' }],
  },
  {
    name: 'chunk data longer than its size',
    answer: () => [lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '2', 'hello', '0', '')],
    expect: [{ kind: 'protocol error' }],
    message: /chunk data longer than its size/,
  },
  {
    name: 'a Content-Length that is not a number',
    answer: () => [lines('HTTP/1.1 200 OK', 'Content-Length: abc', '')],
    expect: [{ kind: 'protocol error' }],
    message: /invalid Content-Length "abc"/,
  },
  {
    name: 'a negative Content-Length',
    answer: () => [lines('HTTP/1.1 200 OK', 'Content-Length: -1', '')],
    expect: [{ kind: 'protocol error' }],
  },
  {
    name: 'two different Content-Lengths',
    answer: () => [lines('HTTP/1.1 200 OK', 'Content-Length: 2', 'Content-Length: 3', '') + 'ok'],
    expect: [{ kind: 'protocol error' }],
    message: /conflicting Content-Length values \(2, 3\)/,
  },
  {
    name: 'the same Content-Length twice (RFC 9110 allows it)',
    answer: () => [lines('HTTP/1.1 200 OK', 'Content-Length: 2, 2', '') + 'ok'],
    expect: [{ status: 200 }],
  },
  {
    name: 'Transfer-Encoding and Content-Length: chunked wins, the connection is not reused',
    answer: () => [
      lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'Content-Length: 99', '', '2', 'ok', '0', ''),
    ],
    expect: [{ status: 200 }, { status: 200 }],
    connections: 2,
  },
  {
    name: '100 Continue, then the answer',
    answer: () => [lines('HTTP/1.1 100 Continue', ''), { delayMs: 20 }, ok],
    expect: [{ status: 200 }],
  },
  {
    name: '103 Early Hints, then the answer',
    answer: () => [lines('HTTP/1.1 103 Early Hints', 'Link: </a>', ''), ok],
    expect: [{ status: 200 }],
  },
  {
    name: 'HEAD: Content-Length but no body',
    method: 'HEAD',
    answer: () => [lines('HTTP/1.1 200 OK', 'Content-Length: 1000', '')],
    expect: [{ status: 200 }, { status: 200 }],
    connections: 1,
  },
  {
    name: '204 has no body',
    answer: () => [lines('HTTP/1.1 204 No Content', '')],
    expect: [{ status: 204 }, { status: 204 }],
    connections: 1,
  },
  {
    name: '304 has no body',
    answer: () => [lines('HTTP/1.1 304 Not Modified', 'Content-Length: 50', '')],
    expect: [{ status: 304 }],
  },
  {
    name: 'a body delimited by the close',
    answer: () => [lines('HTTP/1.1 200 OK', '') + 'whatever comes', { delayMs: 20 }, 'close'],
    expect: [{ status: 200 }, { status: 200 }],
    connections: 2,
  },
  {
    name: 'closed in the middle of the body',
    answer: () => [lines('HTTP/1.1 200 OK', 'Content-Length: 100', '') + 'ten bytes.', 'close'],
    expect: [{ kind: 'connection reset' }],
    message: /closed the connection in the middle of the body/,
  },
  {
    name: 'closed before the headers ended',
    answer: () => ['HTTP/1.1 200 OK\r\nContent-Le', 'close'],
    expect: [{ kind: 'connection reset' }],
    message: /before the response headers ended/,
  },
  {
    name: 'a header block over 64 KiB',
    answer: () => [`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}`],
    expect: [{ kind: 'protocol error' }],
    message: /headers exceed 64 KiB/,
  },
  {
    name: 'a malformed status line',
    answer: () => [lines('HTTTP/1.1 200 OK', 'Content-Length: 0', '')],
    expect: [{ kind: 'protocol error' }],
  },
  {
    name: 'Connection: keep-alive, close — the list is read, not matched whole',
    answer: () => [lines('HTTP/1.1 200 OK', 'Connection: keep-alive, close', 'Content-Length: 2', '') + 'ok'],
    expect: [{ status: 200 }, { status: 200 }],
    connections: 2,
  },
  {
    name: 'HTTP/1.0 without keep-alive closes',
    answer: () => [lines('HTTP/1.0 200 OK', 'Content-Length: 2', '') + 'ok'],
    expect: [{ status: 200 }, { status: 200 }],
    connections: 2,
  },
  {
    name: 'bytes after the answer (nobody asked for them): the connection is not reused',
    answer: () => [ok + 'HTTP/1.1 200 OK\r\n'],
    expect: [{ status: 200 }, { status: 200 }],
    connections: 2,
  },
  {
    name: 'every byte in its own packet',
    answer: () =>
      [...lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '3', 'abc', '0', '')].map((c) => Buffer.from(c)),
    expect: [{ status: 200 }],
  },
  { name: 'no answer at all: a timeout', answer: () => ['hold'], expect: [{ kind: 'timeout' }] },
  {
    name: 'the keep-alive race: the server drops the idle connection as the next GET arrives — sent again, not a failure',
    answer: (x) => (x.connection === 1 && x.request === 2 ? ['destroy'] : [ok]),
    expect: [{ status: 200 }, { status: 200 }],
    connections: 2,
  },
  {
    name: 'the same race for a POST: not sent twice, a failure',
    method: 'POST',
    answer: (x) => (x.connection === 1 && x.request === 2 ? ['destroy'] : [ok]),
    expect: [{ status: 200 }, { kind: 'connection reset' }],
    connections: 1,
  },
];

async function exchange(c: Case): Promise<{ outcomes: RawOutcome[]; connections: number; elapsed: number[] }> {
  const server = await scriptedServer(c.answer);
  const conn = new RawConnection(new URL(server.url), TIMEOUT_MS);
  const method = c.method ?? 'GET';
  const request = serializeRequest(new URL(server.url), method, '/', {});
  const outcomes: RawOutcome[] = [];
  const elapsed: number[] = [];
  try {
    for (let i = 0; i < c.expect.length; i++) {
      const t0 = performance.now();
      outcomes.push(await conn.send(request, method, `${method} /`));
      elapsed.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 30)); // let a close the answer announced arrive
    }
    return { outcomes, connections: server.connections, elapsed };
  } finally {
    conn.destroy();
    await server.close();
  }
}

describe('the raw HTTP/1.1 client, byte by byte', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { outcomes, connections, elapsed } = await exchange(c);
      c.expect.forEach((want, i) => {
        const got = outcomes[i]!;
        if ('status' in want) assert.equal(got.status, want.status, JSON.stringify(got));
        else assert.equal(got.failure?.kind, (want as { kind: string }).kind, JSON.stringify(got));
      });
      if (c.message) assert.match(outcomes.find((o) => o.failure)?.failure?.message ?? '', c.message);
      if (c.connections !== undefined) assert.equal(connections, c.connections, 'connections opened');
      const bound = c.expect.some((w) => 'kind' in w && w.kind === 'timeout') ? TIMEOUT_MS + 500 : 500;
      for (const ms of elapsed) assert.ok(ms < bound, `took ${ms.toFixed(0)} ms`);
    });
  }

  it("closes an idle connection before the server's Keep-Alive timeout", async () => {
    const server = await scriptedServer(() => [
      lines('HTTP/1.1 200 OK', 'Keep-Alive: timeout=2', 'Content-Length: 2', '') + 'ok',
    ]);
    const conn = new RawConnection(new URL(server.url), TIMEOUT_MS);
    try {
      const request = serializeRequest(new URL(server.url), 'GET', '/', {});
      assert.equal((await conn.send(request, 'GET', 'GET /')).status, 200);
      await new Promise((r) => setTimeout(r, 300)); // timeout=2 less the 2 s margin: closed at once
      assert.ok(server.clientClosed.has(1), 'the client closed its idle connection');
      assert.equal((await conn.send(request, 'GET', 'GET /')).status, 200);
      assert.equal(server.connections, 2);
    } finally {
      conn.destroy();
      await server.close();
    }
  });
});

describe('parsed heads kept by their text', () => {
  const parse = (head: string, body = '') => {
    const parser = new ResponseParser('GET');
    return parser.feed(Buffer.from(`${head}\r\n\r\n${body}`, 'latin1'));
  };

  it('a head seen before gives the same answer; a head differing in one byte is parsed on its own', () => {
    const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 2';
    for (let i = 0; i < 3; i++)
      assert.deepEqual(parse(ok, 'ok'), { state: 'done', status: 200, reuse: true, extra: 0 });
    // Same length, other status and framing: must not be answered from the first.
    assert.deepEqual(parse('HTTP/1.1 404 OK\r\nContent-Length: 3', 'not'), {
      state: 'done',
      status: 404,
      reuse: true,
      extra: 0,
    });
    assert.deepEqual(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2', 'ok'), {
      state: 'done',
      status: 200,
      reuse: false,
      extra: 0,
    });
    assert.deepEqual(parse(ok, 'ok'), { state: 'done', status: 200, reuse: true, extra: 0 });
  });

  it('a malformed head stays an error when seen again', () => {
    for (let i = 0; i < 2; i++) assert.equal(parse('HTTP/1.1 2x0 OK').state, 'error');
  });

  it('more distinct heads than are kept are all parsed right (the cache is cleared, not wrong)', () => {
    for (let n = 0; n < 200; n++) {
      const r = parse(`HTTP/1.1 200 OK\r\nX-N: ${n}\r\nContent-Length: ${n % 10}`, 'x'.repeat(n % 10));
      assert.deepEqual(r, { state: 'done', status: 200, reuse: true, extra: 0 });
    }
  });
});
