// The benchmark's reading of wrk's report: every time unit wrk prints (src/units.c), and a clear error
// for one it does not know (bench:loadtest once crashed after its tables on "1.02m").
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { wrkMs, wrkReport } from '../../bench/lib/wrk.ts';

it("wrk's time units: us, ms, s, m, h", () => {
  assert.equal(wrkMs('850.00us'), 0.85);
  assert.equal(wrkMs('20.45ms'), 20.45);
  assert.equal(wrkMs('1.50s'), 1500);
  assert.equal(wrkMs('1.02m'), 61_200);
  assert.equal(wrkMs('1.00h'), 3_600_000);
  assert.throws(() => wrkMs('12.0ns'), /wrk printed a latency of "12.0ns": expected a number and us, ms, s, m or h/);
});

it('a report: requests, mean and p99', () => {
  const out = [
    'Running 2s test @ http://127.0.0.1:8080/',
    '  1 threads and 50 connections',
    '  Thread Stats   Avg      Stdev     Max   +/- Stdev',
    '    Latency     1.02m   300.00us  1.10m    90.00%',
    '  Latency Distribution',
    '     50%   20.00ms',
    '     99%    1.05m',
    '  4210 requests in 2.00s, 300.00KB read',
  ].join('\n');
  assert.deepEqual(wrkReport(out), { requests: 4210, mean: 61_200, p99: 63_000 });
  assert.throws(() => wrkReport('unable to connect'), /wrk's report has no request count/);
});
