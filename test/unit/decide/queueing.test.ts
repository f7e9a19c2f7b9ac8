// The model policy's queueing maths against known values: Erlang C from the textbook formula and
// published table values, the M/M/1 and M/M/2 closed forms, and the inversions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  erlangC,
  fewestWithin,
  meanResponse,
  serviceTimeFrom,
  stretch,
  utilizationAt,
} from '../../../src/decide/queueing.ts';

/** Erlang C by its defining sum (fine for small n): the independent check of the recursion. */
function erlangCBySum(n: number, a: number): number {
  let sum = 0;
  let term = 1;
  for (let k = 0; k < n; k++) {
    if (k > 0) term *= a / k;
    sum += term;
  }
  const top = ((term * a) / n) * (n / (n - a));
  return top / (sum + top);
}

const close = (actual: number, expected: number, tolerance = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} ≠ ${expected}`);

describe('queueing maths', () => {
  it('Erlang C: M/M/1 waits with probability ρ; known values for (2, 1), (3, 2), (10, 8)', () => {
    close(erlangC(1, 0.5), 0.5);
    close(erlangC(2, 1), 1 / 3);
    close(erlangC(3, 2), 4 / 9);
    close(erlangC(10, 8), 0.4092, 5e-4); // the Erlang C table's 40.9%
  });

  it('Erlang C by the B recursion equals the defining sum, and stays finite at 2,000 servers', () => {
    for (const n of [1, 2, 5, 13, 40])
      for (const rho of [0.1, 0.5, 0.9, 0.99]) close(erlangC(n, rho * n), erlangCBySum(n, rho * n), 1e-9);
    const big = erlangC(2000, 1900);
    assert.ok(Number.isFinite(big) && big > 0 && big < 1, String(big));
  });

  it('mean response: M/M/1 is s₀/(1 − ρ); M/M/2 is s₀/(1 − ρ²); infinite at capacity', () => {
    close(meanResponse(0.05, 1, 10), 10 / (1 - 0.5)); // λ 0.05/ms, s₀ 10 ms: ρ 0.5
    close(meanResponse(0.1, 2, 10), 10 / (1 - 0.25));
    assert.equal(meanResponse(0.2, 2, 10), Infinity);
  });

  it('utilizationAt inverts stretch, for one server and for many', () => {
    for (const n of [1, 3, 16]) for (const rho of [0.2, 0.6, 0.95]) close(utilizationAt(stretch(rho, n), n), rho, 1e-6);
    assert.equal(utilizationAt(0.9, 4), 0, 'faster than s₀: no load to see');
  });

  it('serviceTimeFrom: two counts under one load give back s₀ (10 ms at 150/s on 3 and 2 replicas)', () => {
    const t3 = meanResponse(0.15, 3, 10);
    const t2 = meanResponse(0.15, 2, 10);
    close(serviceTimeFrom({ c: 3, t: t3 }, { c: 2, t: t2 }, 1)!, 10, 1e-6);
    close(serviceTimeFrom({ c: 4, t: meanResponse(0.5, 8, 10) }, { c: 3, t: meanResponse(0.5, 6, 10) }, 2)!, 10, 1e-6);
    assert.equal(serviceTimeFrom({ c: 3, t: 12 }, { c: 3, t: 14 }, 1), undefined, 'one count says nothing');
    assert.equal(serviceTimeFrom({ c: 3, t: 20 }, { c: 2, t: 12 }, 1), undefined, 'fewer replicas faster: no fit');
  });

  it('fewestWithin: the oracle count at a known load (600/s, 10 ms, target 20 ms → 7 replicas)', () => {
    const lambda = 0.6;
    const opts = { lambda, s0: 10, slots: 1, observed: 0, now: 0, limit: 20, from: 1, max: 100 };
    assert.equal(fewestWithin(opts), 7);
    assert.ok(meanResponse(lambda, 7, 10) <= 20 && meanResponse(lambda, 6, 10) > 20);
    assert.equal(fewestWithin({ ...opts, limit: 9 }), 101, 'below s₀ no count will do');
  });
});
