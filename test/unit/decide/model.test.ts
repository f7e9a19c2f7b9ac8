// The model policy's mechanisms, each on its own (DESIGN §4.12): sizing in one step from the learned
// s₀ (one run ahead of a rising load), sizing from goodput when failures clip the latency, scaling down
// no further than the heaviest load the latency allows, calibrating upward first, telling a growing
// load from a bottleneck, a slower service from a fuller queue, a target below s₀ — and never sizing
// on what cannot be trusted.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide, type DecideInput } from '../../../src/decide/decide.ts';
import { emptyModel } from '../../../src/decide/model.ts';
import { growthOf } from '../../../src/decide/model-learn.ts';
import { meanResponse, utilizationAt as utilizationAtStretch } from '../../../src/decide/queueing.ts';
import { decodeModel, type ModelState } from '../../../src/model/model-state.ts';
import { decodeRecord, encodeRecord, type StateRecord } from '../../../src/model/state-record.ts';
import type { RequestStats } from '../../../src/loadtest/types.ts';
import { observe, policy, record, REQ } from './fixtures.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const MIN = 60_000;
const S0 = 10; // ms: the service's true service time
const TARGET = 20;

const modelPolicy = (over: Parameters<typeof policy>[0] = {}) =>
  policy({
    replicas: { min: 1, max: 40 },
    targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: TARGET, tolerance: 0 }],
    scaleUp: { mode: 'model', step: 1, maxStep: Number.MAX_SAFE_INTEGER },
    decay: { mode: 'model', unchangedRuns: 1 },
    model: { headroom: 0.85, concurrency: 1 },
    ...over,
  });

/** A model that has learned s₀ = 10 ms (calibrated once) and saw `recent` latencies. */
function learned(over: Partial<ModelState> = {}): ModelState {
  return { ...emptyModel(S0, NOW - 10 * MIN, 'rev-1'), fits: 1, recent: [11, 12, 11.5, 12.5, 11], ...over };
}

/** The mean latency an M/M/c service of s₀ 10 ms shows at `lambda` requests/ms on `c` replicas. */
const latency = (lambda: number, c: number): number => meanResponse(lambda, c, S0);

interface Run {
  replicas: number;
  ready?: number;
  mean?: number;
  p5?: number; // the fastest answers (ms)
  halves?: RequestStats['halves']; // the probe's latency by when its requests started
  failures?: number; // timeouts, of `requests` (100 by default)
  requests?: number;
  model?: ModelState | null;
  rec?: Partial<StateRecord>;
  revision?: string;
  pol?: ReturnType<typeof modelPolicy>;
  generator?: number; // the generator's mean event-loop delay
  now?: number;
  rate?: number; // the production request rate a load signal measured (req/s)
}

function run(o: Run) {
  const failures = o.failures ?? 0;
  const mean = o.mean ?? 11;
  const extra: Partial<RequestStats> = {
    count: o.requests ?? 100,
    failures,
    percentiles: { p5: o.p5 ?? mean / 20, p95: mean * 1.5, p99: mean * 1.8 },
    ...(o.halves ? { halves: o.halves } : {}),
    ...(failures ? { failuresByKind: { timeout: { count: failures, sample: 'timeout' } } } : {}),
  };
  const observations = {
    ...observe(mean, extra),
    ...(o.generator ? { generator: { meanMs: o.generator, p99Ms: o.generator, maxMs: o.generator, samples: 50 } } : {}),
    ...(o.rate !== undefined ? { production: { server: 'p', targets: {}, rate: { query: 'q', value: o.rate } } } : {}),
  };
  observations.aggregated = { ...observations.aggregated, failures };
  const now = o.now ?? NOW;
  const input: DecideInput = {
    targetKey: 'k',
    status: {
      replicas: o.replicas,
      paused: false,
      ...(o.ready !== undefined ? { readyReplicas: o.ready } : {}),
      revision: o.revision ?? 'rev-1',
    },
    record: {
      ...record(0, o.replicas, { lastRunAt: new Date(now - MIN).toISOString() }),
      model: o.model === undefined ? learned() : o.model,
      ...o.rec,
    },
    observations,
    policy: o.pol ?? modelPolicy(),
    now,
  };
  return decide(input);
}

/** Runs one minute apart, each on the record the last one stored (through the codec, as a store does). */
function sequence(steps: Omit<Run, 'rec' | 'now' | 'model'>[], start: ModelState | null = learned()) {
  let rec: StateRecord = { ...record(0, steps[0]!.replicas), model: start };
  return steps.map((step, i) => {
    const now = NOW + i * MIN;
    const d = run({ ...step, model: rec.model, rec: { ...rec, lastRunAt: rec.lastRunAt ?? null }, now });
    rec = decodeRecord(JSON.parse(encodeRecord(d.state)));
    return d;
  });
}

describe('the model policy: sizing', () => {
  it('sizes a breach to the fewest replicas the model predicts within headroom × target', () => {
    for (const [lambda, c] of [
      [0.49, 5],
      [1.96, 20],
      [0.75, 8],
    ] as const) {
      const d = run({ replicas: c, mean: latency(lambda, c) });
      assert.equal(d.reason, 'TargetBreached', d.message);
      let expected = c + 1;
      while (latency(lambda, expected) > 0.85 * TARGET) expected++;
      assert.equal(d.applied, expected, d.message);
    }
  });

  it('within target but past the headroom: two runs in a row, or one where the latency less 2σ is past it too', () => {
    const mean = latency(0.33, 4); // 18.5 ms: within 20, beyond 0.85 × 20
    const quiet = learned({ noise: 0.1 });
    const first = run({ replicas: 4, mean, model: quiet });
    assert.equal(first.action, 'hold', `one run within 2σ of the headroom is not enough: ${first.message}`);
    const second = run({ replicas: 4, mean, model: first.state.model });
    assert.equal(second.reason, 'Headroom', second.message);
    assert.equal(second.applied, 5);
    // A quiet service (1% noise): 18.5 ms less 2% is still past 17 ms — at once.
    assert.equal(run({ replicas: 4, mean, model: learned({ noise: 0.01 }) }).reason, 'Headroom');
  });

  it('a load rising run after run: sized for where it is going, one run ahead (never down on it)', () => {
    // 1.97, 2.27, 2.61, 3.0 servers of load at 4 replicas: ×1.15 a run, beyond the estimates' noise.
    const loads = [1.97, 2.27, 2.61].map((a, i) => ({ at: NOW - (3 - i) * MIN, a, noise: 0.03 }));
    const mean = latency(0.3, 4); // the load now: 3 servers, 15 ms (within the headroom today)
    const rising = run({ replicas: 4, mean, model: learned({ loads, noise: 0.02 }) });
    assert.match(rising.message, /the load rising ×1\.1\d a run/, rising.message);
    const steady = run({ replicas: 4, mean, model: learned({ noise: 0.02 }) });
    assert.ok(rising.applied > steady.applied, `${rising.message} | ${steady.message}`);
    // A step (flat, then a jump) is no trend.
    const step = [2.0, 2.02, 1.99].map((a, i) => ({ at: NOW - (3 - i) * MIN, a, noise: 0.03 }));
    const jumped = run({ replicas: 4, mean: latency(0.33, 4), model: learned({ loads: step }) });
    assert.doesNotMatch(jumped.message, /rising/, jumped.message);
  });

  it('the trend: a line through the estimates beyond its error; a step past noisy estimates is none', () => {
    const loads = (as: number[], noise = 0.05) => as.map((a, i) => ({ at: NOW + i * MIN, a, noise }));
    const ramp = growthOf(loads([2, 2.16, 2.33, 2.52, 2.72, 2.94])); // ×1.08 a run
    assert.ok(ramp > 1.07 && ramp < 1.09, `${ramp}`);
    assert.equal(growthOf(loads([2, 2.05, 1.95, 2.02, 1.98, 2.01])), 1, 'flat');
    const surge = growthOf(loads([1, 1.6, 2.56, 4.1]));
    assert.ok(surge > 1.55, `${surge}`);
    // Flat near s₀ (the estimates noisy: 50%), then the load jumps ×4 and the next run reads ×1.12 more:
    // a line fits within that noise (×1.3 a run), but the last rise does not bear out a steep growth.
    const flat = loads([1.9, 2.0, 1.8, 1.9], 0.5);
    const step = [...flat, ...loads([8, 9]).map((l, i) => ({ ...l, at: NOW + (4 + i) * MIN }))];
    assert.equal(growthOf(step), 1);
  });

  it('failures clip the latency: sized from the requests served, then no scale-down for the stable window', () => {
    // 3 replicas meet 4× their capacity: 75% of requests time out. A 5-minute stabilization window.
    const pol = modelPolicy({ stabilization: { downscaleWindow: 5 * MIN } });
    assert.equal(run({ replicas: 3, mean: 800, failures: 75 }).state.model?.stableUntil, null, 'no window, none');
    const d = run({ replicas: 3, mean: 800, failures: 75, pol });
    assert.equal(d.reason, 'TargetBreached', d.message);
    assert.ok(d.applied >= 12, `3 replicas × 4 over capacity: ${d.message}`);
    assert.match(d.message, /sized from the requests served/);
    assert.ok(d.state.model?.stableUntil, 'a stable window is set');
    const calm = run({ replicas: d.applied, mean: 10.2, model: d.state.model, rec: { lastScaleAt: null }, pol });
    assert.equal(calm.action, 'hold', calm.message);
    assert.match(calm.message, /sized from goodput recently, so no scale-down yet/);
  });

  it('a saturated queue within a lenient target scales up at once (no steady state to wait on)', () => {
    // A mean of 25 service times at 4 replicas, under a 300 ms target: the queue is past any steady
    // state, and will breach within the run if it has not yet.
    const lenient = modelPolicy({
      targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: 300, tolerance: 0 }],
    });
    const d = run({ replicas: 4, mean: 250, pol: lenient });
    assert.equal(d.reason, 'Headroom', d.message);
    assert.ok(d.applied >= 6, d.message);
  });

  it('a saturated queue (a mean of ten service times or more, no failure in the probe): at least ×1.5', () => {
    const d = run({ replicas: 6, mean: 1000 });
    assert.equal(d.applied, 9, d.message);
    assert.match(d.message, /saturated \(the latency no longer tells the load: ×1\.5 at least\)/);
    // One replica at 50 service times (a queue past any steady state), not "utilization 98%": ×1.5, not +1.
    assert.ok(run({ replicas: 4, mean: 500 }).applied >= 6);
  });

  it('a failing service stepped up but still over capacity: the model survives the store (no NaN prediction)', () => {
    const pol = modelPolicy({ replicas: { min: 1, max: 4 } });
    const d = run({ replicas: 3, mean: 900, failures: 50, pol });
    assert.equal(d.applied, 4, d.message);
    const stored = decodeRecord(JSON.parse(encodeRecord(d.state)));
    assert.deepEqual(stored.model, d.state.model, 'what the store writes, it reads back whole');
    const next = run({ replicas: 4, mean: 880, failures: 40, pol, model: stored.model });
    assert.match(next.message, /s₀ 10 ms/, next.message);
  });
});

describe('the model policy: coming down', () => {
  it('scales down no further than the heaviest load the latency allows within its noise, at most halving', () => {
    // 10 replicas at 0.15/ms: utilization 15%, 3 would do. Measured to 0.1%, the model halves (5 at most).
    const at = (noise: number) => run({ replicas: 10, mean: latency(0.15, 10), model: learned({ noise }) });
    const sharp = at(0.001);
    assert.equal(sharp.reason, 'Decay', sharp.message);
    assert.equal(sharp.applied, 5, sharp.message);
    // Through 2% noise the same latency could be 60% busy (ten servers hardly queue below their knee):
    // the step stops where that load would still be within the band.
    const noisy = at(0.02);
    assert.ok(noisy.applied > 5 && noisy.applied < 10, noisy.message);
    const worst = utilizationAtStretch(1.02, 10) * 10;
    assert.ok(meanResponse(worst / S0, noisy.applied, S0) <= 0.9 * 0.85 * TARGET, noisy.message);
  });

  it('uncalibrated (s₀ only the lowest latency seen): one step up first, which calibrates it, never down', () => {
    // A busy service at a steady load: 15.5 ms at 5 replicas (truly 80% busy, s₀ 10 ms), seen twice.
    const fresh = null;
    const [first, second, third] = sequence(
      [
        { replicas: 5, mean: 15.5 },
        { replicas: 5, mean: 15.5 },
        { replicas: 6, mean: latency(0.4, 6) },
      ],
      fresh,
    );
    assert.notEqual(first!.action, 'down', first!.message);
    assert.equal(second!.reason, 'Calibrating', second!.message);
    assert.equal(second!.applied, 6);
    assert.equal(second!.state.history.at(-1)?.needed, 5, 'the step is no need: it holds no window');
    assert.ok(third!.state.model!.fits > 0, 'the change calibrated s₀');
    assert.ok(Math.abs(third!.state.model!.s0 - S0) < 1.5, `s₀ ${third!.state.model!.s0}`);
  });

  it('never scales down from one noisy run: the need of the last unchangedRuns runs holds', () => {
    const pol = modelPolicy({ decay: { mode: 'model', unchangedRuns: 3 } });
    const history = [6, 6].map((needed, i) => ({
      at: new Date(NOW - (2 - i) * MIN).toISOString(),
      current: 6,
      desired: 6,
      applied: 6,
      needed,
      action: 'hold',
      reason: '',
      observations: [],
    }));
    const d = run({ replicas: 6, mean: latency(0.15, 6), pol, rec: { calmRuns: 5, history } });
    assert.equal(d.applied, 6, d.message);
  });
});

describe('the model policy: a target with no room above s₀', () => {
  // Target 13 ms on s₀ 10 ms: the scale-down band (13 × 0.85 × 0.9 = 9.9 ms) lies below s₀, and a few
  // percent of latency at 8 replicas reads as idle or 60% busy alike: the worst reading holds forever.
  const pol = modelPolicy({
    targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: 13, tolerance: 0 }],
    decay: { mode: 'model', unchangedRuns: 3 },
  });
  const idle = [10.3, 10.6, 10.4, 10.5, 10.3, 10.6, 10.4, 10.5, 10.3];
  /** Runs a minute apart, each at the count the last one applied. */
  function loop(means: readonly number[], start = 8, policy = pol) {
    let rec: StateRecord = { ...record(0, start), model: learned({ noise: 0.02 }) };
    let replicas = start;
    return means.map((mean, i) => {
      const now = NOW + i * MIN;
      const last = { ...rec, lastRunAt: rec.lastRunAt ?? null };
      const d = run({ replicas, mean, pol: policy, model: rec.model, rec: last, now });
      rec = decodeRecord(JSON.parse(encodeRecord(d.state)));
      replicas = d.applied;
      return d;
    });
  }

  it('an idle service near s₀: one decay step after unchangedRuns calm runs, a step at a time (LPA’s trial)', () => {
    const runs = loop(idle);
    const counts = runs.map((d) => d.applied);
    assert.deepEqual(counts.slice(0, 3), [8, 8, 7], runs.map((d) => d.message).join('\n'));
    assert.match(runs[2]!.message, /idle and busy look alike: one step down to see/);
    for (const [i, d] of runs.entries()) assert.ok(d.applied >= (runs[i - 1]?.applied ?? 8) - 1, d.message);
    assert.ok(counts.at(-1)! <= 6, counts.join(' '));
  });

  it('a trial step that breaches: scaled up, and no lower than before for a while', () => {
    const runs = loop([...idle.slice(0, 3), 14, ...idle]);
    assert.equal(runs[2]!.applied, 7, runs[2]!.message);
    assert.equal(runs[3]!.action, 'up', runs[3]!.message);
    const after = runs.slice(4);
    assert.ok(
      after.every((d) => d.applied >= 8),
      after.map((d) => d.message).join('\n'),
    );
  });

  it("a scale-down that breached sets a floor; a stop's step back does not (that count was no better)", () => {
    const down = { at: new Date(NOW - MIN).toISOString(), current: 6, desired: 4, applied: 4, needed: 4 };
    const history = [{ ...down, action: 'down', reason: 'decay 6→4', observations: [] }];
    const stuck = { kind: 'bottleneck' as const, since: NOW - 5 * MIN, back: 4, t: 30, s0: 10 };
    const breach = (model: ModelState) => run({ replicas: 4, mean: 30, model, rec: { history, lastReplicas: 4 } });
    const decayed = breach(learned());
    assert.deepEqual(decayed.state.model?.floor, { c: 6, until: NOW + 30 * MIN }, decayed.message);
    const stepBack = breach(learned({ stuck: { ...stuck, failShare: 0, requests: 100, strikes: 1 } }));
    assert.equal(stepBack.state.model?.floor, undefined, stepBack.message);
  });

  it('a target with room above s₀: the same runs are sized by the model, never tried', () => {
    // At 2 replicas, 5% above s₀ is a load that 1 replica would queue past the target: the model holds.
    const roomy = modelPolicy({
      targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: 20, tolerance: 0 }],
      decay: { mode: 'model', unchangedRuns: 3 },
    });
    const runs = loop(idle, 2, roomy);
    const said = runs.map((d) => d.message).join('\n');
    assert.ok(
      runs.every((d) => d.applied === 2 && !/idle and busy look alike/.test(d.message)),
      said,
    );
  });
});

describe('the model policy: growing load is not a bottleneck', () => {
  // 4 → 6 replicas (sized from 25 ms at 4), and the latency stays at 25 ms at 6.
  const check = (over: Partial<NonNullable<ModelState['check']>> = {}) => ({
    c: 6,
    before: 4,
    t: 25,
    predicted: 12,
    clipped: false,
    failShare: 0,
    requests: 100,
    lower: false,
    kind: 'size' as const,
    first: { c: 4, t: 25 },
    a: 3.2,
    growth: 1,
    ...over,
  });

  it('a scale-up whose capacity did not show, the load not known to rise: one run held at that count', () => {
    const d = run({ replicas: 6, mean: 25, model: learned({ check: check() }) });
    assert.equal(d.action, 'hold', d.message);
    assert.match(d.message, /holding one run at 6 to tell a bottleneck from a growing load/);
    assert.notEqual(d.reason, 'NotScalable');
  });

  it('a queue that climbs during the test after a scale-up is load, not a miss (no hold, no stop)', () => {
    const halves = { spanMs: 2000, first: { count: 10, mean: 300 }, second: { count: 6, mean: 800 } };
    const d = run({ replicas: 6, mean: 600, halves, model: learned({ check: check(), misses: 1 }) });
    assert.equal(d.action, 'up', d.message);
    assert.notEqual(d.reason, 'NotScalable');
    assert.equal(d.state.model?.misses, 1, 'no second miss');
  });

  it('a load known to rise as fast as the replicas were added: no hold, no miss — sized again at once', () => {
    const d = run({ replicas: 6, mean: 25, model: learned({ check: check({ growth: 1.5 }) }) });
    assert.equal(d.action, 'up', d.message);
    assert.equal(d.state.model?.misses, 0);
  });

  it('held, and the load grew there as much as the scale-up hid: forgiven; it did not: a second miss stops', () => {
    const held = run({ replicas: 6, mean: 25, model: learned({ check: check() }) });
    // The load grew ×1.7 at 6 replicas (now failing a third): as much as the scale-up seemed to jump.
    const grew = run({ replicas: 6, mean: 900, failures: 33, model: held.state.model });
    assert.equal(grew.state.model?.misses, 0, grew.message);
    assert.match(grew.message, /as much as the scale-up hid: scaling again/);
    assert.equal(grew.action, 'up');
    // The load held still at 6: the next scale-up decides.
    const still = run({ replicas: 6, mean: 25.2, model: held.state.model });
    assert.equal(still.action, 'up', still.message);
    assert.equal(still.state.model?.misses, 1);
    const to = still.applied;
    const stopped = run({ replicas: to, mean: 25, model: still.state.model });
    assert.equal(stopped.reason, 'NotScalable', stopped.message);
    assert.equal(stopped.applied, 4, `back to the count before the first of them: ${stopped.message}`);
    assert.match(stopped.message, /a bottleneck more replicas do not relieve; back to 4/);
  });

  it('stopped: a load that grows again lifts it (failing at once; a latency two runs in a row), within target too', () => {
    const stuck = {
      kind: 'bottleneck' as const,
      since: NOW - 5 * MIN,
      back: 4,
      t: 25,
      s0: 25,
      failShare: 0,
      requests: 100,
      strikes: 1,
    };
    const failing = run({ replicas: 4, mean: 900, failures: 30, model: learned({ stuck }) });
    assert.equal(failing.action, 'up', failing.message);
    assert.match(failing.message, /the load grew since scaling stopped \(failing now: 30% of requests\)/);
    const once = run({ replicas: 4, mean: 40, model: learned({ stuck }) });
    assert.equal(once.reason, 'NotScalable', `one run may be noise: ${once.message}`);
    const twice = run({ replicas: 4, mean: 42, model: once.state.model });
    assert.equal(twice.action, 'up', twice.message);
    // Two tries that did not show: a growing load is the bottleneck's own.
    const struck = run({ replicas: 4, mean: 900, failures: 30, model: learned({ stuck: { ...stuck, strikes: 2 } }) });
    assert.equal(struck.reason, 'NotScalable', struck.message);
    assert.equal(struck.applied, 4, 'never lower while failing');
    assert.equal(run({ replicas: 4, mean: 12, model: learned({ stuck }) }).state.model?.stuck, null);
  });

  it('failing after a scale-up where the run before was not, or serving more than before: load that grew, no hold', () => {
    // 4 → 6 from 25 ms; at 6 a third of the requests time out: the load outgrew what was added.
    const failing = run({ replicas: 6, mean: 900, failures: 33, model: learned({ check: check() }) });
    assert.equal(failing.action, 'up', failing.message);
    assert.equal(failing.state.model?.misses, 0, failing.message);
    // Failing at both counts: 40% then 25% of 1000 failing — more served beyond the sampling error, if
    // less than 6 replicas promise over 4 (a growing load hid the rest): sized again, not held.
    const before = check({ clipped: true, failShare: 0.4, requests: 1000, t: 900 });
    const more = run({ replicas: 6, mean: 900, failures: 250, requests: 1000, model: learned({ check: before }) });
    assert.equal(more.action, 'up', more.message);
    assert.equal(more.state.model?.misses, 0, more.message);
    // As many failing as before: the replicas did not show (held one run to tell).
    const same = run({ replicas: 6, mean: 900, failures: 400, requests: 1000, model: learned({ check: before }) });
    assert.equal(same.action, 'hold', same.message);
    assert.match(same.message, /holding one run at 6/);
  });

  it('a stop retried after 30 minutes with no sign of growth: one test step, not a sizing', () => {
    const stuck = { kind: 'bottleneck' as const, since: NOW - 31 * MIN, back: 4, t: 900, s0: 25 };
    const model = learned({ stuck: { ...stuck, failShare: 0.5, requests: 1000, strikes: 1 } });
    const d = run({ replicas: 8, mean: 900, failures: 500, requests: 1000, model });
    assert.match(d.message, /30 minutes since scaling stopped/, d.message);
    assert.equal(d.applied, 10, `8 × 1.25, where the share served would size 16: ${d.message}`);
  });

  it('a failing service is never stepped back down by a stop, nor where the probe saw any failure', () => {
    const stuck = { kind: 'bottleneck' as const, since: NOW, back: 2, t: 25, s0: 25, failShare: 0, requests: 100 };
    const struck = { ...stuck, strikes: 2 };
    const failing = run({ replicas: 5, mean: 900, failures: 40, model: learned({ stuck: struck }) });
    assert.equal(failing.applied, 5, failing.message);
    const oneFailure = run({ replicas: 5, mean: 25, failures: 1, model: learned({ stuck: struck }) });
    assert.equal(oneFailure.applied, 5, `1% failing is below the limit, but not nothing: ${oneFailure.message}`);
  });
});

describe('the model policy: a slower service, a target out of reach', () => {
  it('the fastest answers moved with the mean: test steps, then s₀ learned afresh and out of reach: back', () => {
    // 20 replicas at 6 ms (p5 0.5 ms); a database slows every answer by 35 ms, whatever the count.
    const steady = Array.from({ length: 3 }, () => ({ replicas: 20, mean: 6, p5: 0.5, requests: 400 }));
    const stalled = (replicas: number) => ({ replicas, mean: 41, p5: 35.5, requests: 400 });
    const start = learned({ s0: 5, recent: [5.5, 5.6, 5.4], fast: [0.5, 0.5, 0.5], fits: 2 });
    const ds = sequence([...steady, stalled(20)], start);
    const first = ds.at(-1)!;
    assert.match(first.message, /the fastest answers are slower too \(p5 35\.5 ms, was 0\.5 ms\)/, first.message);
    assert.equal(first.applied, 25, `a test step, ×1.25: ${first.message}`);
    let rec = first.state;
    const next = (replicas: number) => {
      const d = run({ ...stalled(replicas), model: rec.model, rec: { ...rec }, now: Date.parse(rec.lastRunAt!) + MIN });
      rec = decodeRecord(JSON.parse(encodeRecord(d.state)));
      return d;
    };
    const held = next(25);
    assert.equal(held.action, 'hold', held.message);
    const second = next(25);
    assert.equal(second.action, 'up', `one more test step: ${second.message}`);
    const back = next(second.applied);
    assert.equal(back.reason, 'TargetUnreachable', back.message);
    assert.equal(back.applied, 20, `back to the count before: ${back.message}`);
    assert.match(back.message, /the service time s₀ [\d.]+ ms \(it was [\d.]+ ms: the service itself got slower\)/);
    const after = next(20);
    assert.equal(after.applied, 20, `held, not chased: ${after.message}`);
    // Scale-ups in all: two.
    assert.equal([first, held, second, back, after].filter((d) => d.action === 'up').length, 2);
  });

  it('a queue slows its slowest answers, not its fastest: sized as load, not read as a slower service', () => {
    const start = learned({ s0: 5, recent: [5.5, 5.6, 5.4], fast: [0.5, 0.5, 0.5], fits: 2 });
    // Two replicas near their knee: every answer waits a little, the fastest ×3 (0.5 → 1.6 ms), but the
    // mean by 35 ms: the queue's wait, not a slower service.
    const d = run({ replicas: 2, mean: 40, p5: 1.6, requests: 400, model: start });
    assert.doesNotMatch(d.message, /slower/, d.message);
    assert.equal(d.reason, 'TargetBreached');
    assert.match(d.message, /replicas keep within headroom/, `sized, not a test step: ${d.message}`);
  });

  it('a FIFO queue past saturation moves its fastest answers too, but climbs during the test: load, sized by the climb', () => {
    // 4 replicas, s₀ 10 ms: the probe's latency climbs from 150 to 390 ms over a 2 s test — every
    // answer waits, the fastest included (p5 180 ms), as a slower service's would; but it grows.
    const start = learned({ fast: [0.5, 0.5, 0.5] });
    const halves = { spanMs: 2000, first: { count: 20, mean: 150 }, second: { count: 12, mean: 390 } };
    const d = run({ replicas: 4, mean: 269, p5: 182, requests: 60, model: start, halves });
    assert.doesNotMatch(d.message, /slower/, d.message);
    // The wait grew 240 ms in 1 s: the load is ×1.24 the capacity at least; ×1.5 at the least.
    assert.ok(d.applied >= 6, d.message);
    // Flat, the same distribution is a slower service (a test step first).
    const flat = { spanMs: 2000, first: { count: 30, mean: 268 }, second: { count: 30, mean: 270 } };
    assert.match(run({ replicas: 4, mean: 269, p5: 182, requests: 60, model: start, halves: flat }).message, /slower/);
    // Climbing fast (×3 over capacity): sized at least ×3.
    const steep = { spanMs: 2000, first: { count: 20, mean: 200 }, second: { count: 10, mean: 2200 } };
    assert.ok(run({ replicas: 4, mean: 900, requests: 30, model: start, halves: steep }).applied >= 12);
  });

  it('out of reach never holds a service that fails: failing is an overload, sized again', () => {
    const stuck = {
      kind: 'reach' as const,
      since: NOW,
      back: 4,
      t: 40,
      s0: 40,
      failShare: 0,
      requests: 100,
      strikes: 2,
    };
    const d = run({ replicas: 4, mean: 900, failures: 40, model: learned({ s0: 40, recent: [40, 41], stuck }) });
    assert.equal(d.action, 'up', d.message);
    assert.match(d.message, /failing now \(40% of requests\): an overload, sized again/);
  });

  it('a target below s₀ (every answer 120 ms, target 60): one test step, then out of reach, back', () => {
    const pol = modelPolicy({
      targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: 60, tolerance: 0 }],
    });
    const [first, second, third] = sequence(
      [
        { replicas: 2, mean: 121, pol },
        { replicas: 3, mean: 119, pol },
        { replicas: 2, mean: 122, pol },
      ],
      null,
    );
    assert.equal(first!.applied, 3, first!.message);
    assert.match(first!.message, /the latency is at the service time \(s₀ 121 ms\), above the target: one test step/);
    assert.equal(second!.reason, 'TargetUnreachable', second!.message);
    assert.equal(second!.applied, 2, second!.message);
    assert.match(second!.message, /s₀ [\d.]+ ms is above the target 60 ms: no count of replicas meets it; back to 2/);
    assert.equal(third!.applied, 2, third!.message);
  });

  it('a latency well below s₀ at no more replicas: the service got faster, s₀ learned afresh', () => {
    const slow = learned({ s0: 40, recent: [41, 40, 42], noise: 0.02, last: { c: 20, t: 41 } });
    const d = run({ replicas: 20, mean: 5, model: slow });
    assert.equal(d.state.model?.s0, 5, JSON.stringify(d.state.model));
  });
});

describe('the model policy: what it learns and trusts', () => {
  it('learns the noise from three close runs at one count, by their second difference (a steady trend cancels)', () => {
    const steps = [10, 11, 12, 13].map((mean) => ({ replicas: 5, mean }));
    const ds = sequence(steps);
    // A load rising 1 ms a run: the second differences are 0, no noise.
    assert.equal(ds.at(-1)!.state.model?.noise, 0, JSON.stringify(ds.at(-1)!.state.model?.spreads));
    const jagged = sequence([10, 12, 10, 12].map((mean) => ({ replicas: 5, mean })));
    assert.ok((jagged.at(-1)!.state.model?.noise ?? 0) > 0.1, JSON.stringify(jagged.at(-1)!.state.model));
  });

  it('a surge queued past any steady state, and its backlog draining into the next run, calibrate nothing', () => {
    // Load of ~16 servers of s₀ 10 ms: at 12 replicas the queue runs away (60 ms, 98% busy), the scale-up
    // to 18 drains it (40 ms), then 18 replicas serve it at 11–12.5 ms. Paired, the surge and its drain
    // fitted s₀ to 19 ms, read the service at 18 as idle, and the scale-down went to 14 (below the load).
    const surge = [60, 40, 11, 12.5, 12.4, 12.6].map((mean, i) => ({ replicas: i === 0 ? 12 : 18, mean }));
    const ds = sequence(surge, learned({ noise: 0.05 }));
    const models = ds.map((d) => d.state.model!);
    assert.deepEqual(
      models.map((m) => m.s0),
      surge.map(() => S0),
      JSON.stringify(models.map((m) => m.last)),
    );
    assert.ok(
      models.every((m) => (m.noise ?? 0) <= 0.1),
      JSON.stringify(models.map((m) => m.spreads)),
    );
    const calm = ds.slice(2);
    const downs = calm.filter((d) => d.applied < 18).map((d) => `${d.applied}: ${d.message}`);
    assert.ok(
      calm.every((d) => d.applied >= 16),
      downs.join('\n'),
    );
  });

  it('a production rate is scaled where a queue or the share served tells the load, not near s₀', () => {
    const near = run({ replicas: 5, mean: 11, rate: 100 });
    assert.equal(near.state.model?.perRequest, undefined, 'near s₀ the latency cannot tell 10% busy from 70%');
    const queue = run({ replicas: 5, mean: latency(0.4, 5), rate: 400 });
    assert.equal(queue.state.model?.rateFits, 1, queue.message);
    // 30% failing at 4 replicas: ~4 / 0.7 servers of load, offered 500 req/s (failures included).
    const failing = run({ replicas: 4, mean: 900, failures: 30, rate: 500 });
    const perRequest = failing.state.model?.perRequest ?? 0;
    assert.ok(perRequest > 0.008 && perRequest < 0.016, `${perRequest}: ${failing.message}`);
    // 90% failing is read as "at least ×4": a lower bound scales nothing.
    assert.equal(run({ replicas: 4, mean: 900, failures: 90, rate: 500 }).state.model?.perRequest, undefined);
  });

  it('where a stop holds, a failing run teaches the rate nothing (its capacity is the bottleneck’s)', () => {
    const stuck = { kind: 'bottleneck' as const, since: NOW - 5 * MIN, back: 4, t: 30, s0: 25 };
    const stopped = learned({
      perRequest: 0.01,
      rateFits: 3,
      stuck: { ...stuck, failShare: 0, requests: 100, strikes: 2 },
    });
    const d = run({ replicas: 4, mean: 900, failures: 30, rate: 500, model: stopped });
    assert.equal(d.state.model?.perRequest, 0.01, d.message);
    // The same run with no stop is read as ~4 / 0.7 servers of load: the scale moves.
    assert.notEqual(
      run({ replicas: 4, mean: 900, failures: 30, rate: 500, model: learned({ perRequest: 0.01, rateFits: 3 }) }).state
        .model?.perRequest,
      0.01,
    );
  });

  it('one run that scaled the rate sizes from it: a fall the latency near s₀ cannot tell goes down at once', () => {
    // 400 req/s queue 4 servers' worth at 5 replicas: 0.01 servers a request/s. Then production falls ÷4.
    const [queued, fell] = sequence([
      { replicas: 5, mean: latency(0.4, 5), rate: 400 },
      { replicas: 5, mean: 10.5, rate: 100 },
    ]);
    assert.equal(queued!.state.model?.rateFits, 1, queued!.message);
    assert.ok(fell!.applied <= 3, `1 server of load by the rate, not a hold or a step of one: ${fell!.message}`);
  });

  it('a scale read high does not hold what the latency of settled runs says is idle (cut by at most a fifth)', () => {
    // The scale says 3 servers of load at 200 req/s; the truth is 2 (s₀ 10 ms): 6 replicas read near idle.
    let model: ModelState | null = learned({ perRequest: 0.015, rateFits: 1 });
    const decisions = [0, 1, 2, 3].map((i) => {
      const d = run({ replicas: 6, mean: latency(0.2, 6), rate: 200, model, now: NOW + i * MIN });
      model = d.state.model;
      return d;
    });
    // By the rate alone (3.09 servers at worst) 5 replicas; once the runs at 6 settled, the latency's
    // worst reading cuts the load to 2.47 servers: 4.
    const settled = decisions.at(-1)!;
    assert.equal(settled.applied, 4, settled.message);
  });

  it('a stored model with a latency ≤ 0, an earlier shape, or any nonsense is learned afresh', () => {
    assert.equal(decodeModel({ ...learned(), recent: [12, -3] }), null, 'a latency ≤ 0');
    assert.equal(decodeModel({ ...learned(), s0: 0 }), null);
    assert.equal(decodeModel({ ...learned(), v: undefined }), null, 'the earlier shape');
    assert.equal(decodeModel({ ...learned(), misses: -1 }), null);
    assert.deepEqual(decodeModel(learned()), learned());
    const d = run({ replicas: 4, mean: 14, model: decodeModel({ ...learned(), recent: [-3] }) });
    assert.doesNotMatch(d.message, /-\d/, d.message);
  });

  it('a rollout (a new revision) learns s₀ afresh: the old service time is forgotten', () => {
    const d = run({ replicas: 4, mean: 30, revision: 'rev-2', model: learned() });
    assert.equal(d.state.model?.rev, 'rev-2');
    assert.equal(d.state.model?.s0, 30);
    assert.equal(d.state.model?.fits, 0);
  });

  it('never sizes on a measurement the generator distorts: hold, and nothing learned', () => {
    const model = learned();
    const d = run({ replicas: 3, mean: latency(0.25, 3) + 20, generator: 20, model });
    assert.equal(d.reason, 'GeneratorSaturated', d.message);
    assert.equal(d.applied, 3);
    assert.equal(d.state.model?.s0, model.s0);
    assert.deepEqual(d.state.model?.recent, model.recent);
  });

  it('properties: never above max, never down on a failing run, never up on an untrusted run', () => {
    const arb = fc.record({
      replicas: fc.integer({ min: 1, max: 40 }),
      ready: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
      mean: fc.double({ min: 1, max: 2000, noNaN: true }),
      failures: fc.integer({ min: 0, max: 100 }),
      generator: fc.option(fc.double({ min: 0, max: 500, noNaN: true }), { nil: undefined }),
      s0: fc.double({ min: 1, max: 100, noNaN: true }),
      fits: fc.integer({ min: 0, max: 3 }),
      max: fc.integer({ min: 1, max: 40 }),
    });
    fc.assert(
      fc.property(arb, (a) => {
        const pol = modelPolicy({ replicas: { min: 1, max: a.max } });
        const model = learned({ s0: a.s0, fits: a.fits, recent: [a.s0 * 1.1, a.s0 * 1.2] });
        const ready = a.ready === undefined ? undefined : Math.min(a.ready, a.replicas);
        const d = run({ ...a, ready, model, pol, generator: a.generator });
        const failing = a.failures > 1;
        if (d.applied > Math.max(a.max, a.replicas)) throw new Error(`above max: ${d.message}`);
        if (failing && d.applied < a.replicas) throw new Error(`down while failing: ${d.message}`);
        if (d.reason === 'GeneratorSaturated' && d.applied > a.replicas) throw new Error(`up untrusted: ${d.message}`);
        return true;
      }),
      { seed: 20261201, numRuns: 500 },
    );
  });
});
