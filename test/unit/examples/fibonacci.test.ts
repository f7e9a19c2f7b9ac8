import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { fibonacci, fibonacciServer, MAX_N, parseN } from '../../../examples/fibonacci/fibonacci.ts';

describe('fibonacci example', () => {
  const values: [number, number][] = [
    [0, 0],
    [1, 1],
    [2, 1],
    [7, 13],
    [10, 55],
    [20, 6765],
  ];
  for (const [n, f] of values) it(`F(${n}) = ${f}`, () => assert.equal(fibonacci(n), f));

  const refused: [string | null, RegExp][] = [
    [null, /missing query parameter n/],
    ['', /missing/],
    ['-1', /non-negative integer/],
    ['2.5', /non-negative integer/],
    ['ten', /non-negative integer/],
    [String(MAX_N + 1), new RegExp(`at most ${MAX_N}`)],
  ];
  for (const [raw, why] of refused)
    it(`n=${JSON.stringify(raw)} is refused`, () => assert.match((parseN(raw) as { error: string }).error, why));

  let server: Server;
  let url: string;
  before(async () => {
    server = fibonacciServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  it('GET /fibonacci?n=7 answers 13; bad n answers 400 with a message', async () => {
    const ok = await fetch(`${url}/fibonacci?n=7`);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), '13');
    const bad = await fetch(`${url}/fibonacci?n=-3`);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /non-negative integer/);
    assert.equal((await fetch(`${url}/other`)).status, 404);
  });
});
