import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LatencyHistogram } from '../../../src/loadtest/histogram.ts';
import { pickWeighted, spawnOffsets, thinkTimeMs } from '../../../src/loadtest/schedule.ts';
import { errorFailure, statusFailure } from '../../../src/loadtest/failures.ts';
import { StatsRecorder } from '../../../src/loadtest/recorder.ts';
import { seeded } from '../../bench/sim/service.ts';

describe('LatencyHistogram', () => {
  it('percentiles of a known sample: exact below 2 ms, within 0.1% above', () => {
    const h = new LatencyHistogram();
    const sample = Array.from({ length: 10_000 }, (_, i) => (i + 1) * 0.01); // 0.01 .. 100 ms
    for (const v of sample) h.record(v);
    const exact = (q: number) => sample[Math.ceil((q / 100) * sample.length) - 1]!;
    for (const q of [1, 10, 50, 90, 95, 99, 99.9, 100]) {
      const got = h.percentile(q);
      assert.ok(Math.abs(got - exact(q)) <= Math.max(0.001, exact(q) * 0.001), `p${q}: ${got} vs ${exact(q)}`);
    }
    assert.equal(h.count, 10_000);
    assert.equal(h.min, 0.01);
    assert.equal(h.max, 100);
    assert.ok(Math.abs(h.mean - 50.005) < 1e-9, 'the mean is exact');
  });

  it('keeps microseconds: 20.137 ms is not read as 20 ms', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 100; i++) h.record(20.137);
    assert.ok(Math.abs(h.percentile(50) - 20.137) < 0.02, String(h.percentile(50)));
  });

  it('merges, and answers 0 when empty', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    assert.equal(a.percentile(99), 0);
    a.record(1);
    b.record(3);
    a.add(b);
    assert.equal(a.count, 2);
    assert.equal(a.max, 3);
    assert.equal(a.percentile(100), 3);
  });

  it('bounded memory: a million samples take no more room than one (heap and buffers, histogram included)', () => {
    // A full collection before each reading: what stays is what the histogram holds, not the garbage
    // (boxed numbers) that a young generation had not yet collected — seen once under a loaded machine.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const used = (): number => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = used();
    const h = new LatencyHistogram();
    for (let i = 0; i < 1_000_000; i++) h.record((i % 5000) / 10);
    const grown = used() - before;
    // ~94 KiB of buckets; keeping the samples would take ≥ 8 MB.
    assert.ok(grown < 1024 * 1024, `grew ${grown} bytes`);
    assert.equal(h.count, 1_000_000);
  });
});

describe('scheduling', () => {
  it('picks by weight (3:1) within tolerance', () => {
    const random = seeded(7);
    const counts = [0, 0];
    for (let i = 0; i < 40_000; i++) counts[pickWeighted([3, 1], random)]!++;
    assert.ok(Math.abs(counts[0]! / 40_000 - 0.75) < 0.01, String(counts));
  });

  it('think time is uniform in [min, max], constant when equal', () => {
    const random = seeded(3);
    const xs = Array.from({ length: 20_000 }, () => thinkTimeMs({ min: 100, max: 300 }, random));
    assert.ok(Math.min(...xs) >= 100 && Math.max(...xs) <= 300);
    assert.ok(Math.abs(xs.reduce((a, b) => a + b) / xs.length - 200) < 2);
    assert.ok(Math.abs(xs.filter((x) => x < 150).length / xs.length - 0.25) < 0.015, 'uniform: a quarter below 150');
    assert.equal(thinkTimeMs({ min: 50, max: 50 }, random), 50);
  });

  it('spawns spawnRate users per second', () => {
    assert.deepEqual(spawnOffsets(5, 2), [0, 500, 1000, 1500, 2000]);
    assert.deepEqual(spawnOffsets(3, 100), [0, 10, 20]);
  });
});

describe('failure classification', () => {
  const cases: [string, ReturnType<typeof errorFailure> | undefined, string | undefined][] = [
    ['200 succeeds', statusFailure(200, undefined, 'GET /'), undefined],
    ['304 succeeds', statusFailure(304, undefined, 'GET /'), undefined],
    ['404 fails', statusFailure(404, undefined, 'GET /'), 'HTTP 404'],
    ['500 fails', statusFailure(500, undefined, 'GET /'), 'HTTP 500'],
    ['404 expected', statusFailure(404, [404], 'GET /'), undefined],
    ['200 when 201 expected', statusFailure(200, [201], 'POST /'), 'HTTP 200'],
    ['headers timeout', errorFailure({ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'GET /', 500), 'timeout'],
    ['body timeout', errorFailure({ code: 'UND_ERR_BODY_TIMEOUT' }, 'GET /', 500), 'timeout'],
    [
      'refused',
      errorFailure({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'GET /', 500),
      'connection refused',
    ],
    ['reset', errorFailure({ code: 'UND_ERR_SOCKET', message: 'other side closed' }, 'GET /', 500), 'connection reset'],
    ['unknown', errorFailure(new Error('boom'), 'GET /', 500), 'Error'],
  ];
  for (const [name, failure, kind] of cases) it(name, () => assert.equal(failure?.kind, kind));
  it('a timeout message names the limit', () =>
    assert.equal(
      errorFailure({ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'GET /x', 500).message,
      'GET /x took longer than 500 ms',
    ));
});

it('the recorder counts per name and kind, keeps one sample message, and ignores the warm-up', () => {
  const r = new StatsRecorder(['a']);
  r.measuring = false;
  r.success('a', 100);
  r.measuring = true;
  r.success('a', 10);
  r.success('a', 20);
  r.failure('a', { kind: 'HTTP 500', message: 'first' });
  r.failure('a', { kind: 'HTTP 500', message: 'second' });
  r.failure('b', { kind: 'timeout', message: 't' });
  const { requests, aggregated } = r.summarise(2000, [50, 99]);
  assert.equal(requests['a']!.count, 4);
  assert.equal(requests['a']!.failures, 2);
  assert.equal(requests['a']!.mean, 15);
  assert.equal(requests['a']!.rps, 2);
  assert.deepEqual(requests['a']!.failuresByKind, { 'HTTP 500': { count: 2, sample: 'first' } });
  assert.equal(aggregated.count, 5);
  assert.equal(aggregated.failuresByKind['timeout']!.count, 1);
});
