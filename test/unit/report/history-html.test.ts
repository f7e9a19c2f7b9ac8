// The history picture's content, from a record: charts, points, breaches, reasons on hover, the
// log scale for spikes, round ticks, the replica bounds, failures, a fleet's groups, escaping, and
// nothing fetched from the network.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fleetHistoryHtml, historyHtml } from '../../../src/report/history-html.ts';
import { emptyRecord, type HistoryEntry, type StateRecord } from '../../../src/model/state-record.ts';

const T0 = Date.parse('2026-11-22T10:00:00Z');

/** One decision a minute (or `step` ms); `values` are the observed means, against a 7 ms target. */
function record(replicas: number[], values: (number | null)[], reasons: string[] = [], step = 60_000): StateRecord {
  const history: HistoryEntry[] = replicas.map((applied, i) => ({
    at: new Date(T0 + i * step).toISOString(),
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
    // The time, what the point shows (replicas, or the value against its limit), the escaped reason.
    const escaped = String.raw`scale up 1→2: GET /fibonacci\?n=10 mean 12.4 ms &#62; 7 ms &#60;&#38;&#62;`;
    assert.match(html, new RegExp(`<title>2026-11-22T10:01:00.000Z: [^\n<]*\n${escaped}</title>`));
    assert.match(html, /<title>2026-11-22T10:01:00.000Z: 12.4 ms \(limit 7 ms\)\n/, 'the value with its unit');
    assert.match(html, /<h3>GET \/fibonacci\?n=10 mean <small>\(ms; dashed: target\)/, "the panel's unit");
    assert.match(html, /class="limit"/);
    assert.match(html, /5 decisions from 2026-11-22T10:00:00.000Z to 2026-11-22T10:04:00.000Z/);
    assert.doesNotMatch(html, /(src|href)=["']?https?:|@import|url\(/, 'self-contained');
    assert.doesNotMatch(html, /<script/, 'no script needed');
    assert.equal(count(html, /<circle [^>]*><title>/g), 10, 'every point has its reason on hover');
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

  it('value axes are labelled at round values: 1-2-5 (log and linear), whole replicas', () => {
    for (const values of [
      [700, 9, 6, 5],
      [8, 7.5, 6, 5],
      [477, 54, 6.18, 30],
    ]) {
      const [replicas, target] = panels(historyHtml(record([1, 2, 7, 3], values), 't'));
      const numbers = labels(target!, 'ytick').map(Number);
      assert.ok(numbers.length >= 3, numbers.join(' '));
      const oneTwoFive = (v: number) => v === 0 || /^[125]0*$/.test(String(v).replace(/^0\.0*|\./g, ''));
      const step = numbers[1]! - numbers[0]!;
      // Log: every label is 1, 2 or 5 × 10^k; linear: multiples of one such step.
      assert.ok(numbers.every(oneTwoFive) || oneTwoFive(Number(step.toPrecision(6))), numbers.join(' '));
      assert.ok(
        labels(replicas!, 'ytick').every((l) => /^\d+$/.test(l)),
        labels(replicas!, 'ytick').join(' '),
      );
    }
  });

  it('the time axis: round times, the date under the first', () => {
    const [replicas] = panels(historyHtml(record(Array(11).fill(2), Array(11).fill(5)), 't'));
    assert.deepEqual(labels(replicas!, 'xtick'), ['10:00', '10:02', '10:04', '10:06', '10:08', '10:10']);
    assert.deepEqual(labels(replicas!, 'xdate'), ['2026-11-22 UTC']);
  });

  it('the time axis spans the decisions: the first and the last a few pixels inside the plot', () => {
    for (const step of [1000, 60_000, 3_600_000]) {
      const [replicas] = panels(historyHtml(record(Array(10).fill(2), Array(10).fill(5), [], step), 't'));
      const { left, right } = plotEdges(replicas!);
      const xs = pointXs(replicas!);
      assert.ok(xs[0]! - left <= 10, `${step} ms apart: the first at ${xs[0]}, the plot from ${left}`);
      assert.ok(right - xs.at(-1)! <= 10, `${step} ms apart: the last at ${xs.at(-1)}, the plot to ${right}`);
    }
    // Nine seconds: ticks every 2 s (round, within the span), not a minute's axis around them.
    const [nine] = panels(historyHtml(record(Array(10).fill(2), Array(10).fill(5), [], 1000), 't'));
    assert.deepEqual(labels(nine!, 'xtick'), ['10:00:00', '10:00:02', '10:00:04', '10:00:06', '10:00:08']);
  });

  it('a single decision: its point in the middle of a labelled axis', () => {
    const [replicas] = panels(historyHtml(record([3], [4]), 't'));
    const { left, right } = plotEdges(replicas!);
    assert.ok(Math.abs(pointXs(replicas!)[0]! - (left + right) / 2) < 1);
    assert.ok(labels(replicas!, 'xtick').length >= 2, labels(replicas!, 'xtick').join(' '));
  });

  it('bounds: shaded bands above max and below min, labelled; none without bounds', () => {
    const r = record([1, 2, 3], [8, 9, 6]);
    const [withBounds] = panels(historyHtml(r, 't', { bounds: { min: 1, max: 5 } }));
    assert.equal(count(withBounds!, /<rect class="band"/g), 2);
    assert.deepEqual(labels(withBounds!, 'bound'), ['max 5', 'min 1']);
    const [fromZero] = panels(historyHtml(r, 't', { bounds: { min: 0, max: 5 } }));
    assert.equal(count(fromZero!, /<rect class="band"/g), 1, 'nothing below a min of 0');
    assert.doesNotMatch(historyHtml(r, 't'), /class="band"/);
  });

  it('failures: a panel from failureRatio targets, or from the entries own failures, with kinds', () => {
    const plain = record([1, 2], [8, 6]);
    assert.doesNotMatch(historyHtml(plain, 't'), /failed requests/, 'no failure data: no panel');

    const withTarget = withEntries(plain, (e, i) => ({
      ...e,
      observations: [...e.observations, { target: 'GET /x failureRatio', value: [0.2, 0][i]!, limit: 0.05 }],
    }));
    const html = historyHtml(withTarget, 't');
    assert.equal(count(html, /<svg /g), 3, 'replicas, the latency target, failures (not a panel of its own)');
    const failures = panels(html)[2]!;
    assert.equal(count(failures, /class="pt breach"/g), 1, 'the 20% run breached its 5% target');
    assert.match(failures, /20% of requests failed \(limit 5%\)/);

    const stored = withEntries(plain, (e, i) => ({
      ...e,
      failures: { ratio: [0.3, 0.01][i]!, kinds: { timeout: 25, 'HTTP 503': 5 } },
    }));
    const page = historyHtml(stored, 't');
    assert.match(page, /by kind:<span class="key k0"><\/span>timeout<span class="key k1"><\/span>HTTP 503/);
    assert.equal(count(page, /<rect class="bar k0"/g), 2);
    assert.match(page, /30% of requests failed \(timeout 25, HTTP 503 5\)/);

    const odd = withEntries(plain, (e) => ({ ...e, failures: { ratio: 'lots', kinds: 7 } }));
    assert.doesNotMatch(historyHtml(odd, 't'), /failed requests/, 'a malformed field is ignored');
  });

  it('a fleet: one group of panels per target, one self-contained page', () => {
    const html = fleetHistoryHtml([
      { title: 'Deployment default/a', record: record([1, 2], [8, 6]), bounds: { min: 1, max: 4 } },
      { title: 'Deployment default/b <x>', record: record([3, 3, 2], [4, 5, 6]) },
      { title: 'Deployment default/c', record: emptyRecord('c') },
      { title: 'Deployment default/d', error: 'state file d.json is not valid JSON <x>' },
    ]);
    assert.match(html, /<p>4 targets; failed: 1 \(the error in place of the charts\)\.<\/p>/);
    assert.match(
      html,
      /<h2>Deployment default\/d<\/h2>\n<section class="group"><p class="error-text">error: [^<]*&#60;x&#62;</,
    );
    assert.equal(count(html, /<!doctype html>/g), 1);
    assert.equal(count(html, /<section class="group">/g), 4);
    assert.equal(count(html, /<svg /g), 4, 'two panels each for a and b; none for c');
    assert.match(html, /<h2>Deployment default\/b &#60;x&#62;<\/h2>/);
    assert.equal(count(html, /class="band"/g), 2, "only a's bounds are known");
    assert.doesNotMatch(html, /NaN|Infinity|undefined|<script/);
  });
});

/** Each SVG panel's markup. */
function panels(html: string): string[] {
  return html.split('<svg ').slice(1);
}

/** The texts of a panel's labels of one kind (ytick, xtick, xdate, bound). */
function labels(svg: string, kind: string): string[] {
  return [...svg.matchAll(new RegExp(`class="axis ${kind}"[^>]*>([^<]*)<`, 'g'))].map((m) => m[1]!);
}

/** The plot's left and right edges in a panel. */
function plotEdges(svg: string): { left: number; right: number } {
  const m = /<rect class="frame" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(svg)!;
  return { left: Number(m[1]), right: Number(m[1]) + Number(m[2]) };
}

/** The x of each point of a panel, in order. */
function pointXs(svg: string): number[] {
  return [...svg.matchAll(/<circle class="pt[^"]*" cx="([\d.]+)"/g)].map((m) => Number(m[1]));
}

function withEntries(r: StateRecord, change: (e: HistoryEntry, i: number) => object): StateRecord {
  return { ...r, history: r.history.map((e, i) => change(e, i) as HistoryEntry) };
}
