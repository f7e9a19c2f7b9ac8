// The model policy's mechanisms, each on its own (DESIGN §4.12): sizing in one step from the
// learned s₀, sizing from goodput when failures clip the latency and then holding the count, scaling
// down several replicas when predicted safe (at most halving), stopping when scale-ups do not help,
// learning s₀ afresh after a rollout, and never sizing on what cannot be trusted.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide, type DecideInput } from '../../../src/decide/decide.ts';
import { emptyModel } from '../../../src/decide/model.ts';
import { meanResponse } from '../../../src/decide/queueing.ts';
import { decodeRecord, encodeRecord, type ModelState, type StateRecord } from '../../../src/model/state-record.ts';
import { observe, policy, record, REQ } from './fixtures.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');
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
  return { ...emptyModel(S0, NOW - 600_000, 'rev-1'), fits: 1, recent: [11, 12, 11.5, 12.5, 11], ...over };
}

/** The mean latency an M/M/c service of s₀ 10 ms shows at `lambda` requests/ms on `c` replicas. */
const latency = (lambda: number, c: number): number => meanResponse(lambda, c, S0);

function run(o: {
  replicas: number;
  ready?: number;
  mean?: number;
  failures?: number; // timeouts, of `requests` (100 by default)
  requests?: number;
  model?: ModelState | null;
  rec?: Partial<StateRecord>;
  revision?: string;
  pol?: ReturnType<typeof modelPolicy>;
  generator?: number; // the generator's mean event-loop delay
}) {
  const failures = o.failures ?? 0;
  const observations = {
    ...observe(o.mean ?? 11, {
      count: o.requests ?? 100,
      failures,
      ...(failures ? { failuresByKind: { timeout: { count: failures, sample: 'timeout' } } } : {}),
    }),
    ...(o.generator ? { generator: { meanMs: o.generator, p99Ms: o.generator, maxMs: o.generator, samples: 50 } } : {}),
  };
  observations.aggregated = { ...observations.aggregated, failures };
  const input: DecideInput = {
    targetKey: 'k',
    status: {
      replicas: o.replicas,
      paused: false,
      ...(o.ready !== undefined ? { readyReplicas: o.ready } : {}),
      revision: o.revision ?? 'rev-1',
    },
    record: { ...record(0, o.replicas), model: o.model === undefined ? learned() : o.model, ...o.rec },
    observations,
    policy: o.pol ?? modelPolicy(),
    now: NOW,
  };
  return decide(input);
}

describe('the model policy', () => {
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
    const d = run({ replicas: 20, mean: latency(1.96, 20) });
    assert.match(d.message, /replicas keep within headroom \(s₀ 10 ms, utilization 98% at 20 ready\)/);
  });

  it('within target but past the headroom two runs in a row: scales up before the breach (Headroom)', () => {
    const mean = latency(0.33, 4); // 18.5 ms: within 20, beyond 0.85 × 20
    assert.ok(mean > 17 && mean < 20, String(mean));
    const first = run({ replicas: 4, mean });
    assert.equal(first.action, 'hold', `one run is not enough: ${first.message}`);
    const second = run({ replicas: 4, mean, model: first.state.model });
    assert.equal(second.reason, 'Headroom', second.message);
    assert.equal(second.applied, 5);
  });

  it('learns the run-to-run noise from close runs at one count, never across a change of count or a gap', () => {
    const lastRunAt = new Date(NOW - 60_000).toISOString();
    const at = (c: number, rec: Partial<StateRecord>) =>
      run({ replicas: 5, mean: 15, model: learned({ last: { c, t: 12 } }), rec }).state.model?.noise;
    // 12 → 15 ms at 5 replicas: 22% apart; σ = 22% ÷ (2/√π) = 19.7%.
    assert.equal(at(5, { lastRunAt }), 0.197);
    assert.equal(at(4, { lastRunAt }), undefined, 'a change of count between the runs: no noise sample');
    const longAgo = new Date(NOW - 20 * 60_000).toISOString();
    assert.equal(at(5, { lastRunAt: longAgo }), undefined, '20 minutes apart: the load may have changed');
    // A moving average: one sample moves an estimate of 5% a fifth of the way.
    const moved = run({
      replicas: 5,
      mean: 15,
      model: learned({ last: { c: 5, t: 12 }, noise: 0.05 }),
      rec: { lastRunAt },
    });
    assert.equal(moved.state.model?.noise, 0.079);
  });

  it('a breach by less than the noise, after a run that asked for nothing: acts only if the next run agrees', () => {
    const noisy = learned({ noise: 0.15 });
    // 21 ms > 20 ms, but 21 ÷ 1.15 = 18.3 is within: one noisy run.
    const first = run({ replicas: 5, mean: 21, model: noisy });
    assert.equal(first.action, 'hold', first.message);
    assert.equal(first.reason, 'TargetBreached');
    assert.match(first.message, /within the latency's run-to-run noise \(±15%\): acting if the next run agrees/);
    assert.equal(first.calm, false, 'no calm run: no decay counts on it');
    const second = run({ replicas: 5, mean: 21, model: first.state.model });
    assert.equal(second.action, 'up', `the next run agrees: ${second.message}`);
    // Beyond the noise (30 ms ÷ 1.15 = 26 > 20): at once.
    assert.equal(run({ replicas: 5, mean: 30, model: noisy }).action, 'up');
    // A quiet service (1% noise): 21 ms is a breach at once.
    assert.equal(run({ replicas: 5, mean: 21, model: learned({ noise: 0.01 }) }).action, 'up');
  });

  it('past the headroom by less than the noise, two runs in a row: no scale-up on noise alone', () => {
    const mean = 18.5; // within 20, beyond 0.85 × 20, but 18.5 ÷ 1.15 = 16.1 is within the headroom
    const first = run({ replicas: 4, mean, model: learned({ noise: 0.15 }) });
    const second = run({ replicas: 4, mean, model: first.state.model });
    assert.equal(second.action, 'hold', second.message);
    assert.notEqual(second.reason, 'Headroom');
  });

  it('failures clip the latency: sized from the requests served, then no scale-down for the stable window', () => {
    // 3 replicas meet 4× their capacity: 75% of requests time out.
    const d = run({ replicas: 3, mean: 800, failures: 75 });
    assert.equal(d.reason, 'TargetBreached', d.message);
    assert.ok(d.applied >= 12, `3 replicas × 4 over capacity: ${d.message}`);
    assert.match(d.message, /sized from the requests served/);
    assert.ok(d.state.model?.stableUntil, 'a stable window is set');
    // The next runs are calm and the model would need fewer: held.
    const calm = run({ replicas: d.applied, mean: 10.2, model: d.state.model, rec: { lastScaleAt: null } });
    assert.equal(calm.action, 'hold', calm.message);
    assert.match(calm.message, /sized from goodput recently, so no scale-down yet/);
  });

  it('scales down several replicas at once where predicted safe, at most halving a run', () => {
    // 10 replicas at 0.15/ms: utilization 15%; 3 would do.
    const d = run({ replicas: 10, mean: latency(0.15, 10) * 1.02 });
    assert.equal(d.reason, 'Decay', d.message);
    assert.equal(d.applied, 5, 'halving, not the 3 the model needs');
    assert.match(d.message, /the model predicts [\d.]+ ms at 5/);
    const next = run({ replicas: 5, mean: latency(0.15, 5) * 1.02, model: d.state.model });
    assert.equal(next.applied, 3, next.message);
  });

  it('never scales down from one noisy run: the need of the last unchangedRuns runs holds', () => {
    const pol = modelPolicy({ decay: { mode: 'model', unchangedRuns: 3 } });
    const history = [6, 6].map((needed, i) => ({
      at: new Date(NOW - (2 - i) * 60_000).toISOString(),
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

  it('a failing service stepped up but still over capacity: the model survives the store (no NaN prediction)', () => {
    // 3 replicas at twice their capacity, max 4: one step, and the model predicts no latency at 4.
    const pol = modelPolicy({ replicas: { min: 1, max: 4 } });
    const d = run({ replicas: 3, mean: 900, failures: 50, pol });
    assert.equal(d.applied, 4, d.message);
    assert.equal(d.state.model?.pred?.t, null, 'no latency predicted past capacity');
    // As every store does: JSON through the record's codec. A NaN written as null failed the model's
    // decoding, and the next run learned s₀ afresh from a latency of 900 ms.
    const stored = decodeRecord(JSON.parse(encodeRecord(d.state)));
    assert.deepEqual(stored.model, d.state.model);
    const next = run({ replicas: 4, mean: 880, failures: 40, pol, model: stored.model });
    assert.match(next.message, /s₀ 10 ms/, next.message);
  });

  it('a saturated queue (100 service times, no failure in the probe): at least ×1.5; draining: no more', () => {
    const d = run({ replicas: 6, mean: 1000 });
    assert.equal(d.applied, 9, d.message);
    assert.match(d.message, /saturated \(the latency no longer tells the load: ×1\.5 at least\)/);
    // After a scale-up the backlog drains: 1000 → 700 ms is a fall by more than a fifth.
    const drain = run({ replicas: 9, mean: 700, model: learned({ last: { c: 9, t: 1000 } }) });
    assert.ok(drain.applied < 14, drain.message);
    assert.match(drain.message, /saturated, draining/);
  });

  it("after a scale-up from an overloaded run, the backlog's drain is no load: hold, then size on what stays", () => {
    // 6 → 11 replicas sized from a run failing at 1015 ms; the next run's 108 ms is the backlog draining.
    const pred = { c: 11, t: null, from: 1015, fromClipped: true, fromFailures: 0.33, fromRequests: 6, before: 6 };
    const d = run({ replicas: 11, mean: 108, model: learned({ pred }) });
    assert.equal(d.action, 'hold', d.message);
    assert.match(d.message, /its backlog draining, not more load \(acting if the next run is no better\)/);
    // The next run still breached, no longer falling: sized as usual.
    const next = run({ replicas: 11, mean: 100, model: d.state.model });
    assert.equal(next.action, 'up', next.message);
    // Not after an ordinary breach (30 ms): a latency that fell by a fifth and still breaches is sized.
    const ordinary = { ...pred, from: 30, fromClipped: false, t: 15 };
    assert.equal(run({ replicas: 11, mean: 22, model: learned({ pred: ordinary }) }).action, 'up');
  });

  it('a scale-up still saturated is no miss: a queue pinned at its timeout is no bottleneck (never NotScalable)', () => {
    const model = learned({
      misses: 1,
      missedFrom: { c: 5, t: 1000 },
      pred: { c: 6, t: 14, from: 1000, fromClipped: false, fromFailures: 0, before: 5 },
    });
    const d = run({ replicas: 6, mean: 1005, model });
    assert.notEqual(d.reason, 'NotScalable', d.message);
    assert.equal(d.state.model?.misses, 1, 'not a second miss');
    assert.ok(d.applied > 6, d.message);
  });

  it('two scale-ups that did not move the latency: NotScalable, back to the count before them', () => {
    // 3 → 4 did not help (25 ms at 3); our scale-up 4 → 5 predicted 14 ms; the latency stays at 25 ms (a
    // database, not the replicas).
    const model = learned({
      misses: 1,
      missedFrom: { c: 3, t: 25 },
      pred: { c: 5, t: 14, from: 25, fromClipped: false, fromFailures: 0, before: 4 },
    });
    const d = run({ replicas: 5, mean: 25, model });
    assert.equal(d.reason, 'NotScalable', d.message);
    assert.equal(d.applied, 3, d.message);
    assert.match(d.message, /2 scale-ups in a row did not move the latency as predicted \(25 ms\)/);
    const again = run({ replicas: 3, mean: 26, model: d.state.model });
    assert.equal(again.reason, 'NotScalable', again.message);
    assert.equal(again.applied, 3, 'no scale-up while stuck');
    const eased = run({ replicas: 3, mean: 12, model: again.state.model });
    assert.equal(eased.state.model?.stuck, null, 'within target: the relation may hold again');
  });

  it('a queue draining over several runs is no bottleneck: a latency that fell by a fifth helped', () => {
    // 1 → 3 at 692 ms predicted 17 ms; two runs later 232 ms (the queue built up before still drains).
    const model = learned({ pred: { c: 3, t: 17, from: 692, fromClipped: false, fromFailures: 0, before: 1 } });
    const d = run({ replicas: 3, mean: 232, model });
    assert.equal(d.state.model?.misses, 0, d.message);
    assert.notEqual(d.reason, 'NotScalable');
  });

  it("a failing service's served share from a few requests is no proof: no miss on six; a thousand tell", () => {
    // A database serving 62.5% of the load whatever the count: 6 → 7 replicas should serve 5% more.
    const pred = { c: 7, t: null, from: 900, fromClipped: true, fromFailures: 0.375, before: 6 };
    const after = (requests: number, failures: number) =>
      run({
        replicas: 7,
        mean: 900,
        failures,
        requests,
        model: learned({ pred: { ...pred, fromRequests: requests } }),
      });
    // As a 2-user probe of a service answering in 1 s measured it (the real closed loop): 3 → 6 replicas,
    // 3 of 8 requests failing before, 3 of 6 after — while production's failures halved.
    const probe = { c: 6, t: null, from: 900, fromClipped: true, fromFailures: 0.375, fromRequests: 8, before: 3 };
    const few = run({ replicas: 6, mean: 1000, failures: 3, requests: 6, model: learned({ pred: probe }) });
    assert.equal(few.state.model?.misses, 0, `six requests cannot tell: ${few.message}`);
    assert.equal(few.state.model?.pred?.c === 6, false, 'the prediction is dropped, not held against the scaling');
    // A thousand each, the same shares: the share did not grow, a miss.
    const many = after(1000, 375);
    assert.equal(many.state.model?.misses, 1, many.message);
    // A thousand, and the share grew with the replicas: help.
    const grew = after(1000, 300);
    assert.equal(grew.state.model?.misses, 0, grew.message);
  });

  it('a scale-up that helped is no miss; the same stuck model never lowers a failing service', () => {
    const helped = learned({
      misses: 1,
      pred: { c: 5, t: 14, from: 25, fromClipped: false, fromFailures: 0, before: 4 },
    });
    const d = run({ replicas: 5, mean: 16, model: helped });
    assert.equal(d.state.model?.misses, 0, d.message);
    const stuck = learned({ stuck: { since: NOW - 60_000, back: 2, t: 25 } });
    const failing = run({ replicas: 5, mean: 900, failures: 40, model: stuck });
    assert.equal(failing.reason, 'NotScalable', failing.message);
    assert.equal(failing.applied, 5, 'never lower while failing');
  });

  it('s₀ is never above the lowest latency seen: a calibration from a draining queue cannot raise it', () => {
    const pol = modelPolicy();
    let model: ModelState | null = null;
    const step = (replicas: number, mean: number, at: number): void => {
      model = decide({
        targetKey: 'k',
        status: { replicas, paused: false, revision: 'rev-1' },
        record: { ...record(0, replicas, { lastRunAt: new Date(at - 60_000).toISOString() }), model },
        observations: observe(mean),
        policy: pol,
        now: at,
      }).state.model;
    };
    step(1, 14.3, NOW);
    step(3, 232, NOW + 60_000);
    step(4, 184, NOW + 120_000);
    assert.ok(model!.s0 <= 14.3, JSON.stringify(model));
    assert.ok(Math.min(model!.s0, ...model!.recent) <= 14.3);
  });

  it('a rollout (a new revision) learns s₀ afresh: the old service time is forgotten', () => {
    const d = run({ replicas: 4, mean: 30, revision: 'rev-2', model: learned() });
    assert.equal(d.state.model?.rev, 'rev-2');
    assert.equal(d.state.model?.s0, 30);
    assert.equal(d.state.model?.fits, 0);
    assert.equal(d.reason, 'TargetBreached');
    assert.equal(d.applied, 5, 'a fresh model cannot size: one step');
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
