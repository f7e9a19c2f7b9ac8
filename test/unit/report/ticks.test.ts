// The history picture's axes: round value ticks (1-2-5, linear and logarithmic, whole replicas) and
// round UTC time ticks that say the date when the span crosses days.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatTick, linearTicks, logTicks, niceStep, timeTicks } from '../../../src/report/ticks.ts';

/** 1, 2 or 5 times a power of ten. */
const isOneTwoFive = (v: number): boolean => {
  const m = Number((v / 10 ** Math.floor(Math.log10(v))).toPrecision(6));
  return m === 1 || m === 2 || m === 5;
};

describe('value ticks', () => {
  it('steps are 1-2-5 numbers', () => {
    const cases: [number, number][] = [
      [0.7, 1],
      [1, 1],
      [1.2, 2],
      [3, 5],
      [7, 10],
      [0.03, 0.05],
      [2200, 5000],
    ];
    for (const [x, step] of cases) assert.equal(niceStep(x), step, `niceStep(${x})`);
  });

  it('linear: multiples of one 1-2-5 step, covering the data, ends labelled, no binary noise', () => {
    assert.deepEqual(linearTicks(0, 11, 4), { lo: 0, hi: 15, ticks: [0, 5, 10, 15] });
    assert.deepEqual(linearTicks(0, 0.033, 4).ticks, [0, 0.01, 0.02, 0.03, 0.04]);
    assert.deepEqual(linearTicks(0, 0, 4).ticks, [0, 0.5, 1], 'a flat series still gets an axis');
    for (const [lo, hi] of [
      [0, 8.8],
      [0, 477],
      [0, 6.18],
      [0, 54],
      [3, 1234],
      [0, 0.0021],
    ] as const) {
      const t = linearTicks(lo, hi, 4);
      const step = t.ticks[1]! - t.ticks[0]!;
      assert.ok(isOneTwoFive(Number(step.toPrecision(6))), `${lo}–${hi}: step ${step}`);
      assert.ok(t.lo <= lo && t.hi >= hi, `${lo}–${hi} covered by ${t.lo}–${t.hi}`);
      assert.ok(t.ticks.length >= 2 && t.ticks.length <= 6, `${lo}–${hi}: ${t.ticks.join(' ')}`);
      for (const v of t.ticks) assert.equal(String(v).length < 8, true, `round label ${v}`);
    }
  });

  it('replicas: whole numbers only, even for a small range', () => {
    assert.deepEqual(linearTicks(0, 2, 4, true).ticks, [0, 1, 2]);
    assert.deepEqual(linearTicks(0, 4, 4, true).ticks, [0, 1, 2, 3, 4]);
    assert.deepEqual(linearTicks(0, 11, 4, true).ticks, [0, 5, 10, 15]);
    for (const top of [1, 3, 6, 9, 17, 51, 240]) {
      const t = linearTicks(0, top, 4, true);
      assert.ok(
        t.ticks.every((v) => Number.isInteger(v)),
        `${top}: ${t.ticks.join(' ')}`,
      );
    }
  });

  it('logarithmic: 1-2-5 in each decade while they fit, else powers of ten, else every k-th power', () => {
    assert.deepEqual(logTicks(2.5, 770, 9), { lo: 2, hi: 1000, ticks: [2, 5, 10, 20, 50, 100, 200, 500, 1000] });
    assert.deepEqual(logTicks(0.5, 550, 5).ticks, [0.1, 1, 10, 100, 1000]);
    assert.deepEqual(logTicks(0.001, 1e6, 4).ticks, [0.001, 1, 1000, 1e6]);
    for (const [lo, hi, max] of [
      [3, 477, 8],
      [0.004, 6.18, 8],
      [1, 54000, 5],
    ] as const) {
      const t = logTicks(lo, hi, max);
      assert.ok(t.ticks.every(isOneTwoFive), t.ticks.join(' '));
      assert.ok(t.lo <= lo && t.hi >= hi && t.ticks.length <= max, t.ticks.join(' '));
    }
  });

  it('labels are short', () => {
    assert.equal(formatTick(20_000), '20k');
    assert.equal(formatTick(0.1 * 3), '0.3');
    assert.equal(formatTick(1500), '1500');
  });
});

describe('time ticks', () => {
  const at = (iso: string): number => Date.parse(iso);
  const labels = (from: string, to: string) => timeTicks(at(from), at(to)).map((t) => t.label);

  it('10 minutes: every 2 minutes, the date under the first', () => {
    const ticks = timeTicks(at('2026-11-22T10:03:17Z'), at('2026-11-22T10:13:17Z'));
    assert.deepEqual(
      ticks.map((t) => t.label),
      ['10:04', '10:06', '10:08', '10:10', '10:12'],
    );
    assert.deepEqual(
      ticks.map((t) => t.date),
      ['2026-11-22 UTC', undefined, undefined, undefined, undefined],
    );
  });

  it('3 hours: every 30 minutes', () => {
    assert.deepEqual(labels('2026-11-22T10:07:00Z', '2026-11-22T13:07:00Z'), [
      '10:30',
      '11:00',
      '11:30',
      '12:00',
      '12:30',
      '13:00',
    ]);
  });

  it('3 days: every 12 hours, each new date under its midnight', () => {
    const ticks = timeTicks(at('2026-11-22T18:07:00Z'), at('2026-11-25T18:07:00Z'));
    assert.deepEqual(
      ticks.map((t) => [t.label, t.date]),
      [
        ['00:00', '2026-11-23 UTC'],
        ['12:00', undefined],
        ['00:00', '2026-11-24'],
        ['12:00', undefined],
        ['00:00', '2026-11-25'],
        ['12:00', undefined],
      ],
    );
  });

  it('seconds for a short span, dates for weeks', () => {
    assert.deepEqual(labels('2026-11-22T10:00:01Z', '2026-11-22T10:00:31Z').slice(0, 2), ['10:00:05', '10:00:10']);
    assert.deepEqual(labels('2026-11-01T06:00:00Z', '2026-11-15T06:00:00Z').slice(0, 2), ['2026-11-03', '2026-11-05']);
  });

  it('about 4–8 labels for any span from a minute to two months', () => {
    for (let span = 60_000; span < 60 * 86_400_000; span *= 1.37) {
      const n = timeTicks(at('2026-11-22T10:03:17Z'), at('2026-11-22T10:03:17Z') + span).length;
      assert.ok(n >= 3 && n <= 8, `${Math.round(span / 60_000)} min: ${n} ticks`);
    }
  });
});
