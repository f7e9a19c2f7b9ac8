// The history picture's content, from a record: charts, points, breaches, reasons on hover, the
// log scale for spikes, escaping, and nothing fetched from the network.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { historyHtml } from '../../../src/report/history-html.ts';
import { emptyRecord, type HistoryEntry, type StateRecord } from '../../../src/model/state-record.ts';

const T0 = Date.parse('2026-11-22T10:00:00Z');

/** One decision a minute; `values` are the observed means, against a 7 ms target. */
function record(replicas: number[], values: (number | null)[], reasons: string[] = []): StateRecord {
  const history: HistoryEntry[] = replicas.map((applied, i) => ({
    at: new Date(T0 + i * 60_000).toISOString(),
    current: i ? replicas[i - 1]! : 1,
    desired: applied,
    applied,
    action: i && applied > replicas[i - 1]! ? 'up' : i && applied < replicas[i - 1]! ? 'down' : 'hold',
    reason: reasons[i] ?? `decision ${i}`,
    observations: [{ target: 'GET /fibonacci?n=10 mean', value: values[i]!, limit: 7 }],
  }));
  return { ...emptyRecord('k'), history };
}

const count = (html: string, re: RegExp): number => (html.match(re) ?? []).length;

describe('historyHtml', () => {
  it('renders replicas and latency against the target, reasons on hover, nothing fetched', () => {
    const html = historyHtml(
      record([1, 2, 3, 3, 2], [15, 12.4, 9, 6, 5], ['', 'scale up 1→2: GET /fibonacci?n=10 mean 12.4 ms > 7 ms <&>']),
      'latency-scaler: Deployment default/fibonacci',
    );
    assert.match(html, /<title>latency-scaler: Deployment default\/fibonacci<\/title>/);
    assert.equal(count(html, /<svg /g), 2, 'one chart for replicas, one for the target');
    assert.equal(count(html, /<circle /g), 10);
    assert.equal(count(html, /class="pt breach"/g), 3, 'points above the target are marked');
    assert.match(
      html,
      /<title>2026-11-22T10:01:00.000Z\nscale up 1→2: GET \/fibonacci\?n=10 mean 12.4 ms &#62; 7 ms &#60;&#38;&#62;<\/title>/,
    );
    assert.match(html, /class="limit"/);
    assert.match(html, /5 decisions from 2026-11-22T10:00:00.000Z to 2026-11-22T10:04:00.000Z/);
    assert.doesNotMatch(html, /(src|href)=["']?https?:/, 'self-contained');
    assert.doesNotMatch(html, /NaN|Infinity|undefined/);
  });

  const cases: { name: string; values: (number | null)[]; log: boolean; points: number }[] = [
    { name: 'values near the target: linear scale', values: [8, 7.5, 6, 5], log: false, points: 4 },
    { name: 'a spike 100× the target: logarithmic scale', values: [700, 9, 6, 5], log: true, points: 4 },
    { name: 'a failed probe (no value) draws no point, not a zero', values: [8, null, 6, 5], log: false, points: 3 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const html = historyHtml(record([1, 2, 2, 1], c.values), 't');
      assert.equal(/logarithmic scale/.test(html), c.log);
      assert.equal(count(html, /<circle /g), 4 + c.points, 'replica points + observed points');
      assert.doesNotMatch(html, /NaN|Infinity/);
    });
  }

  it('a single decision and an empty history still make a valid page', () => {
    for (const r of [record([3], [4]), emptyRecord('k')]) {
      const html = historyHtml(r, 't');
      assert.match(html, /^<!doctype html>/);
      assert.doesNotMatch(html, /NaN|Infinity|undefined/);
    }
  });
  it('an rps floor is breached below its limit, not above (red dots where the rate fell short)', () => {
    const history: HistoryEntry[] = [40, 60, 30].map((value, i) => ({
      at: new Date(T0 + i * 60_000).toISOString(),
      current: 2,
      desired: 2,
      applied: 2,
      action: 'hold',
      reason: `decision ${i}`,
      observations: [{ target: 'GET /x rps', value, limit: 50 }],
    }));
    const html = historyHtml({ ...emptyRecord('k'), history }, 'rps');
    assert.equal(count(html, /class="pt breach"/g), 2, 'the runs at 40 and 30 req/s, below the floor of 50');
  });
});
