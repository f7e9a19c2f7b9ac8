// The Locust Pod Autoscaler's semantics, case by case, and where we do better.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type DecideInput } from '../../../src/decide/decide.ts';
import { observe, policy, record, REQ } from './fixtures.ts';
import type { Observations } from '../../../src/loadtest/types.ts';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const TARGET = { label: 'mean', request: REQ, type: { kind: 'mean' as const }, target: 7, tolerance: 0 };
const OTHER = { label: 'mean', request: 'GET /other', type: { kind: 'mean' as const }, target: 7, tolerance: 0 };
/** Observations of two requests; null: none of that request completed. */
function twoTargets(first: number | null, second: number | null): Observations {
  const one = observe(first === null ? null : first === 12 ? 12.4 : first);
  const two = observe(second);
  const other = { ...two.requests[REQ]!, name: 'GET /other' };
  return { ...one, requests: { ...one.requests, 'GET /other': other } };
}
const input = (o: Partial<DecideInput>): DecideInput => ({
  targetKey: 'k',
  status: { replicas: 2, paused: false },
  record: null,
  observations: observe(5),
  policy: policy(),
  now: NOW,
  ...o,
});

interface Case {
  name: string;
  in: Partial<DecideInput>;
  applied: number;
  runs: number; // calmRuns stored
  reason: string;
  message?: string | RegExp;
}

const cases: Case[] = [
  {
    name: 'breach → +1',
    in: { observations: observe(12.4) },
    applied: 3,
    runs: 0,
    reason: 'TargetBreached',
    message: 'scale up 2→3: GET /fibonacci?n=10 mean 12.4 ms > 7 ms',
  },
  {
    name: 'equal to the target is no breach (strict >)',
    in: { observations: observe(7) },
    applied: 2,
    runs: 1,
    reason: 'WithinTargets',
  },
  {
    name: 'within, first run → hold, counter 1',
    in: {},
    applied: 2,
    runs: 1,
    reason: 'WithinTargets',
    message: 'hold at 2: GET /fibonacci?n=10 mean 5 ms ≤ 7 ms within target; 1 of 3 calm runs before decay',
  },
  {
    name: 'within, 2 runs → hold, counter 3',
    in: { record: record(2, 2) },
    applied: 2,
    runs: 3,
    reason: 'WithinTargets',
    message: /3 of 3 calm runs before decay$/,
  },
  {
    name: 'within, 3 runs → decay by 1, counter 0',
    in: { record: record(3, 2) },
    applied: 1,
    runs: 0,
    reason: 'Decay',
    message: 'decay 2→1: 3 calm runs',
  },
  {
    name: 'decay.replicas 2',
    in: {
      status: { replicas: 5, paused: false },
      record: record(3, 5),
      policy: policy({ decay: { replicas: 2, unchangedRuns: 3 } }),
    },
    applied: 3,
    runs: 0,
    reason: 'Decay',
  },
  {
    name: 'a breach wins over a due decay',
    in: { record: record(7, 2), observations: observe(9) },
    applied: 3,
    runs: 0,
    reason: 'TargetBreached',
  },
  {
    name: "unchangedRuns ≥ 10: the counter keeps counting (LPA's file corrupted here)",
    in: { record: record(9, 2), policy: policy({ decay: { replicas: 1, unchangedRuns: 10 } }) },
    applied: 2,
    runs: 10,
    reason: 'WithinTargets',
  },
  {
    name: 'unchangedRuns 10 reached → decay',
    in: { record: record(10, 2), policy: policy({ decay: { replicas: 1, unchangedRuns: 10 } }) },
    applied: 1,
    runs: 0,
    reason: 'Decay',
  },
  {
    name: 'decay at min: no change, counter keeps counting (LPA reset it)',
    in: { status: { replicas: 1, paused: false }, record: record(3, 1) },
    applied: 1,
    runs: 4,
    reason: 'WithinTargets',
    message: /at replicas\.min 1, nothing to decay$/,
  },
  {
    name: 'breach at max: no change, but the calm count restarts (as LPA)',
    in: { status: { replicas: 10, paused: false }, record: record(5, 10), observations: observe(50) },
    applied: 10,
    runs: 0,
    reason: 'TargetBreached',
    message: /\(limited by max 10\)$/,
  },
  {
    name: 'decay clamped at min from above',
    in: {
      status: { replicas: 3, paused: false },
      record: record(3, 3),
      policy: policy({ replicas: { min: 2, max: 10 }, decay: { replicas: 2, unchangedRuns: 3 } }),
    },
    applied: 2,
    runs: 0,
    reason: 'Decay',
    message: /\(limited by min 2\)$/,
  },
  {
    name: 'above max (someone set it): brought down to max',
    in: { status: { replicas: 12, paused: false }, record: record(0, 12) },
    applied: 10,
    runs: 0,
    reason: 'WithinTargets',
  },
  {
    name: 'below min: brought up to min',
    in: { status: { replicas: 1, paused: false }, policy: policy({ replicas: { min: 3, max: 10 } }) },
    applied: 3,
    runs: 0,
    reason: 'WithinTargets',
  },
  {
    name: 'manual change restarts the count',
    in: { status: { replicas: 5, paused: false }, record: record(3, 3) },
    applied: 5,
    runs: 1,
    reason: 'WithinTargets',
    message: /\[replicas changed by someone else since the last run\]$/,
  },
  {
    name: 'probe failure: hold, never decay, the calm count restarts',
    in: { record: record(5, 2), observations: observe(null) },
    applied: 2,
    runs: 0,
    reason: 'ProbeFailed',
    message: /^hold at 2: probe failed: GET \/fibonacci\?n=10 mean: not measured \(no request completed\)/,
  },
  {
    name: 'every request failed fast: a failing service, never down',
    in: { record: record(5, 2), observations: observe(5, { failures: 100 }) },
    applied: 2,
    runs: 0,
    reason: 'FailingService',
    message: 'hold at 2: 100% of requests failed > 1%',
  },
  {
    name: 'probe failure of the engine itself',
    in: { observations: undefined, probeError: 'connect ECONNREFUSED 127.0.0.1:5000' },
    applied: 2,
    runs: 0,
    reason: 'ProbeFailed',
    message: /ECONNREFUSED/,
  },
  {
    name: 'probe failure, onProbeFailure scaleUp',
    in: { observations: observe(null), policy: policy({ onProbeFailure: 'scaleUp' }) },
    applied: 3,
    runs: 0,
    reason: 'ProbeFailed',
  },
  {
    name: 'probe failure above max: no move at all',
    in: { status: { replicas: 12, paused: false }, observations: observe(null) },
    applied: 12,
    runs: 0,
    reason: 'ProbeFailed',
  },
  {
    name: 'zero replicas, min 1 → 1',
    in: { status: { replicas: 0, paused: false }, observations: undefined },
    applied: 1,
    runs: 0,
    reason: 'ZeroReplicas',
  },
  {
    name: 'zero replicas, min 0 → hold',
    in: {
      status: { replicas: 0, paused: false },
      observations: undefined,
      policy: policy({ replicas: { min: 0, max: 10 } }),
    },
    applied: 0,
    runs: 0,
    reason: 'ZeroReplicas',
  },
  {
    name: 'tolerance 10%: 7.5 > 7 is within',
    in: {
      observations: observe(7.5),
      policy: policy({ targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: 7, tolerance: 0.1 }] }),
    },
    applied: 2,
    runs: 1,
    reason: 'WithinTargets',
  },
  {
    name: 'tolerance 10%: 7.8 is a breach',
    in: {
      observations: observe(7.8),
      policy: policy({ targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: 7, tolerance: 0.1 }] }),
    },
    applied: 3,
    runs: 0,
    reason: 'TargetBreached',
  },
  {
    name: 'rps is a floor',
    in: {
      observations: observe(5, { rps: 40 }),
      policy: policy({ targets: [{ label: 'rps', request: REQ, type: { kind: 'rps' }, target: 45, tolerance: 0 }] }),
    },
    applied: 3,
    runs: 0,
    reason: 'TargetBreached',
    message: 'scale up 2→3: GET /fibonacci?n=10 rps 40 req/s < 45 req/s',
  },
  {
    name: 'p95',
    in: {
      observations: observe(5),
      policy: policy({
        targets: [
          { label: 'p95', request: REQ, type: { kind: 'percentile', percentile: 95 }, target: 7, tolerance: 0 },
        ],
      }),
    },
    applied: 3,
    runs: 0,
    reason: 'TargetBreached',
    message: 'scale up 2→3: GET /fibonacci?n=10 p95 7.5 ms > 7 ms',
  },
  {
    name: 'failureRatio',
    in: {
      observations: observe(5, { failures: 10 }),
      policy: policy({
        targets: [{ label: 'failureRatio', request: REQ, type: { kind: 'failureRatio' }, target: 0.05, tolerance: 0 }],
      }),
    },
    applied: 3,
    runs: 0,
    reason: 'TargetBreached',
    message: 'scale up 2→3: GET /fibonacci?n=10 failureRatio 10% > 5%',
  },
  {
    name: 'step 2',
    in: { observations: observe(9), policy: policy({ scaleUp: { mode: 'step', step: 2, maxStep: 99 } }) },
    applied: 4,
    runs: 0,
    reason: 'TargetBreached',
  },
  {
    name: 'proportional: 2× the target on 3 → 6, capped by maxStep 2 → 5',
    in: {
      status: { replicas: 3, paused: false },
      observations: observe(14),
      policy: policy({ scaleUp: { mode: 'proportional', step: 1, maxStep: 2 } }),
    },
    applied: 5,
    runs: 0,
    reason: 'TargetBreached',
  },
  {
    name: 'proportional: at least one more',
    in: {
      status: { replicas: 3, paused: false },
      observations: observe(7.1),
      policy: policy({ scaleUp: { mode: 'proportional', step: 1, maxStep: 10 } }),
    },
    applied: 4,
    runs: 0,
    reason: 'TargetBreached',
  },
  {
    name: 'decay guard: load 0.9 > maxLoad 0.8 → hold, not calm',
    in: {
      record: record(3, 2),
      observations: observe(6.3),
      policy: policy({ decay: { replicas: 1, unchangedRuns: 3, maxLoad: 0.8 } }),
    },
    applied: 2,
    runs: 0,
    reason: 'DecayGuarded',
    message: /; load 0\.9 of target above decay\.maxLoad 0\.8: not calm$/,
  },
  {
    name: 'decay guard: load 0.5 → decay',
    in: {
      record: record(3, 2),
      observations: observe(3.5),
      policy: policy({ decay: { replicas: 1, unchangedRuns: 3, maxLoad: 0.8 } }),
    },
    applied: 1,
    runs: 0,
    reason: 'Decay',
  },
  {
    name: 'paused: no change, counters untouched',
    in: { status: { replicas: 2, paused: true }, record: record(2, 2) },
    applied: 2,
    runs: 2,
    reason: 'Paused',
    message: 'hold at 2: paused by annotation latency-scaler.io/paused',
  },
  {
    name: 'not settled after our change: hold, no second scale-up',
    in: {
      status: { replicas: 3, paused: false, notSettled: { kind: 'starting', reason: '1 of 3 replicas ready' } },
      record: record(0, 3, {
        lastScaleAt: new Date(NOW - 60_000).toISOString(),
        changeInFlightSince: new Date(NOW - 60_000).toISOString(),
      }),
      observations: observe(50),
    },
    applied: 3,
    runs: 0,
    reason: 'NotSettled',
    message: 'hold at 3: not settled: 1 of 3 replicas ready',
  },
  {
    name: "someone else's change in flight, seen a run ago: still held on the next breached run",
    in: {
      status: { replicas: 6, paused: false, notSettled: { kind: 'starting', reason: '3 of 6 replicas ready' } },
      record: record(0, 6, {
        changeInFlightSince: new Date(NOW - 60_000).toISOString(),
        unsettledSince: new Date(NOW - 60_000).toISOString(),
      }),
      observations: observe(50),
    },
    applied: 6,
    runs: 0,
    reason: 'NotSettled',
    message: 'hold at 6: not settled: 3 of 6 replicas ready',
  },
  {
    name: 'a change seen settled is over: replicas unready later (overload) do not hold a breach',
    in: {
      status: { replicas: 6, paused: false, notSettled: { kind: 'starting', reason: '4 of 6 replicas ready' } },
      record: record(0, 6, { lastScaleAt: new Date(NOW - 120_000).toISOString(), changeInFlightSince: null }),
      observations: observe(50),
    },
    applied: 7,
    runs: 0,
    reason: 'TargetBreached',
  },
  {
    name: 'a rollout holds even with no change of ours',
    in: {
      status: {
        replicas: 3,
        paused: false,
        notSettled: { kind: 'rollout', reason: 'rollout in progress: 1 of 3 replicas updated' },
      },
      record: record(2, 3),
      observations: observe(50),
    },
    applied: 3,
    runs: 0,
    reason: 'NotSettled',
  },
  {
    name: 'not ready with no change in flight (overload fails readiness): a breach still scales up',
    in: {
      status: { replicas: 3, paused: false, notSettled: { kind: 'starting', reason: '1 of 3 replicas ready' } },
      record: record(2, 3),
      observations: observe(50),
    },
    applied: 4,
    runs: 0,
    reason: 'TargetBreached',
  },
  {
    name: 'not ready with no change in flight, within target: hold, no decay',
    in: {
      status: { replicas: 3, paused: false, notSettled: { kind: 'starting', reason: '2 of 3 replicas ready' } },
      record: record(5, 3),
      observations: observe(5),
    },
    applied: 3,
    runs: 0,
    reason: 'NotSettled',
    message: /not settled: 2 of 3 replicas ready, so no decay$/,
  },
  {
    name: 'someone else scaled up and pods are starting: hold',
    in: {
      status: { replicas: 5, paused: false, notSettled: { kind: 'starting', reason: '3 of 5 replicas ready' } },
      record: record(2, 3),
      observations: observe(50),
    },
    applied: 5,
    runs: 0,
    reason: 'NotSettled',
  },
  {
    name: 'a measured breach wins over an unmeasured target',
    in: { observations: twoTargets(12, null), policy: policy({ targets: [TARGET, OTHER] }) },
    applied: 3,
    runs: 0,
    reason: 'TargetBreached',
    message: /^scale up 2→3: GET \/fibonacci\?n=10 mean 12\.4 ms > 7 ms; GET \/other mean: not measured/,
  },
  {
    name: 'one target within, another unmeasured: a probe failure, hold',
    in: { record: record(5, 2), observations: twoTargets(5, null), policy: policy({ targets: [TARGET, OTHER] }) },
    applied: 2,
    runs: 0,
    reason: 'ProbeFailed',
  },
  {
    name: 'failures at the ratio are calm (1% ≤ 1%)',
    in: { record: record(3, 2), observations: observe(5, { failures: 1 }) },
    applied: 1,
    runs: 0,
    reason: 'Decay',
  },
  {
    name: 'failures above the ratio: hold, and the sentence says why',
    in: {
      status: { replicas: 3, paused: false },
      record: record(3, 3),
      observations: observe(1, {
        failures: 48,
        failuresByKind: { timeout: { count: 45, sample: 't' }, 'HTTP 503': { count: 3, sample: 's' } },
      }),
      policy: policy({
        targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: 1000, tolerance: 0 }],
      }),
    },
    applied: 3,
    runs: 0,
    reason: 'FailingService',
    message: 'hold at 3: 48% of requests failed (timeout 45, HTTP 503 3) > 1%',
  },
  {
    name: 'a failing service above max is not brought down',
    in: { status: { replicas: 12, paused: false }, record: record(0, 12), observations: observe(5, { failures: 50 }) },
    applied: 12,
    runs: 0,
    reason: 'FailingService',
  },
  {
    name: 'maxFailureRatio 0.6 tolerates 50% failures',
    in: {
      record: record(3, 2),
      observations: observe(5, { failures: 50 }),
      policy: policy({ decay: { maxFailureRatio: 0.6 } }),
    },
    applied: 1,
    runs: 0,
    reason: 'Decay',
  },
  {
    name: 'paused-replicas 5 at 2: scale to exactly 5, no load',
    in: { status: { replicas: 2, paused: false, pausedReplicas: 5 }, observations: undefined },
    applied: 5,
    runs: 0,
    reason: 'Paused',
    message: 'scale up 2→5: paused at 5 by annotation latency-scaler.io/paused-replicas',
  },
  {
    name: "paused-replicas 12 above max 10: the operator's number wins",
    in: { status: { replicas: 2, paused: false, pausedReplicas: 12 }, observations: undefined },
    applied: 12,
    runs: 0,
    reason: 'Paused',
  },
  {
    name: 'paused-replicas reached: hold, counters untouched',
    in: { status: { replicas: 5, paused: false, pausedReplicas: 5 }, record: record(2, 5), observations: undefined },
    applied: 5,
    runs: 2,
    reason: 'Paused',
    message: 'hold at 5: paused at 5 by annotation latency-scaler.io/paused-replicas',
  },
  {
    name: 'paused-scale-down: a due decay holds and says why',
    in: { status: { replicas: 2, paused: false, pausedScaleDown: true }, record: record(3, 2) },
    applied: 2,
    runs: 4,
    reason: 'Decay',
    message: 'hold at 2: 3 calm runs (scale-down paused by annotation latency-scaler.io/paused-scale-down)',
  },
  {
    name: 'paused-scale-down: a breach still scales up',
    in: { status: { replicas: 2, paused: false, pausedScaleDown: true }, observations: observe(12.4) },
    applied: 3,
    runs: 0,
    reason: 'TargetBreached',
  },
  {
    name: 'not settled past settle.timeout: decides',
    in: {
      status: { replicas: 3, paused: false, notSettled: { kind: 'starting', reason: '1 of 3 replicas ready' } },
      record: record(0, 3, { unsettledSince: new Date(NOW - 6 * 60_000).toISOString() }),
      observations: observe(50),
    },
    applied: 4,
    runs: 0,
    reason: 'TargetBreached',
  },
  {
    name: 'settle.timeout 0 turns the rule off',
    in: {
      status: { replicas: 3, paused: false, notSettled: { kind: 'starting', reason: '1 of 3 replicas ready' } },
      observations: observe(50),
      policy: policy({ settle: { timeout: 0 } }),
    },
    applied: 4,
    runs: 0,
    reason: 'TargetBreached',
  },
];

describe('decide: LPA semantics and the safety rules', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = decide(input(c.in));
      assert.equal(d.applied, c.applied, d.message);
      assert.equal(d.reason, c.reason, d.message);
      assert.equal(d.state.calmRuns, c.runs, d.message);
      if (typeof c.message === 'string') assert.equal(d.message, c.message);
      else if (c.message) assert.match(d.message, c.message);
    });
  }

  it('stabilization window: no lower than the highest recommendation within it', () => {
    const history = [
      {
        at: new Date(NOW - 60_000).toISOString(),
        current: 4,
        desired: 5,
        applied: 5,
        action: 'up',
        reason: '',
        observations: [],
      },
    ];
    const d = decide(
      input({
        status: { replicas: 5, paused: false },
        record: record(3, 5, { history }),
        policy: policy({ stabilization: { downscaleWindow: 5 * 60_000 } }),
      }),
    );
    assert.equal(d.applied, 5);
    assert.equal(d.reason, 'Stabilizing');
    const later = decide(
      input({
        status: { replicas: 5, paused: false },
        record: record(3, 5, { history }),
        policy: policy({ stabilization: { downscaleWindow: 30_000 } }),
      }),
    );
    assert.equal(later.applied, 4);
  });

  it("someone else's change (3 → 6, 3 of 6 ready) holds every run until ready or settle.timeout from when it was seen", () => {
    const starting = { kind: 'starting' as const, reason: '3 of 6 replicas ready' };
    const p = policy({ settle: { timeout: 5 * 60_000 } });
    let rec = decide(input({ status: { replicas: 3, paused: false }, observations: observe(5) })).state;
    const reasons: string[] = [];
    let replicas = 6; // set by hand
    for (let i = 1; i <= 7; i++) {
      const status = { replicas, paused: false, notSettled: starting };
      const d = decide(input({ status, record: rec, observations: observe(50), policy: p, now: NOW + i * 60_000 }));
      reasons.push(`${d.reason} ${d.applied}`);
      rec = d.state;
      replicas = d.applied;
    }
    // Seen at run 1; held through run 5; at run 6 (5 minutes after it was seen) a breach scales as usual,
    // and that change of ours is in flight in turn.
    assert.deepEqual(reasons, [
      'NotSettled 6',
      'NotSettled 6',
      'NotSettled 6',
      'NotSettled 6',
      'NotSettled 6',
      'TargetBreached 7',
      'NotSettled 7',
    ]);
    const settled = decide(
      input({ status: { replicas: 7, paused: false }, record: rec, observations: observe(5), now: NOW + 9 * 60_000 }),
    );
    assert.equal(settled.state.changeInFlightSince, null, 'a settled run ends the change in flight');
  });

  it('the first unsettled run starts the settle clock; a change clears it', () => {
    const d = decide(input({ status: { replicas: 3, paused: false, notSettled: { kind: 'starting', reason: 'x' } } }));
    assert.equal(d.state.unsettledSince, new Date(NOW).toISOString());
    const up = decide(
      input({ observations: observe(50), record: record(0, 2, { unsettledSince: new Date(NOW).toISOString() }) }),
    );
    assert.equal(up.state.unsettledSince, null);
  });

  describe("the load generator's own delay (DESIGN §4.1)", () => {
    const lagged = (mean: number, lagMean: number, lagP99 = lagMean) => ({
      ...observe(mean),
      generator: { meanMs: lagMean, p99Ms: lagP99, maxMs: lagP99, samples: 100 },
    });
    it('a breach the delay explains (mean 50 ms, delay 45 ms, target 7): hold, not calm, said in words', () => {
      const d = decide(input({ observations: lagged(50, 45), record: record(5, 2) }));
      assert.equal(d.reason, 'GeneratorSaturated', d.message);
      assert.equal(d.applied, 2);
      assert.equal(d.state.calmRuns, 0);
      assert.equal(
        d.message,
        "hold at 2: the load generator's own delay (event-loop delay mean 45 ms, p99 45 ms) is a material part of " +
          'GET /fibonacci?n=10 mean 50 ms > 7 ms: not scaling up on it; give the scaler more CPU',
      );
      assert.match(d.unreliable ?? '', /own delay was 90% of a latency/);
    });
    it('a breach that survives the delay (mean 50 ms, delay 10 ms) scales up; 20% is not yet material', () => {
      const d = decide(input({ observations: lagged(50, 10) }));
      assert.equal(d.action, 'up', d.message);
      assert.equal(d.unreliable, undefined);
    });
    it('a material delay (mean 50 ms, delay 20 ms = 40%), even under a breach that survives it: hold, said', () => {
      const d = decide(input({ observations: lagged(50, 20) }));
      assert.equal(d.reason, 'GeneratorSaturated', d.message);
      assert.match(d.unreliable ?? '', /own delay was 40% of a latency \(event-loop delay mean 20 ms/);
    });
    it('a small delay that still explains a narrow breach (22 ms, delay 5 ms = 23%, target 20): hold', () => {
      const targets = [{ label: 'mean', request: REQ, type: { kind: 'mean' as const }, target: 20, tolerance: 0 }];
      const d = decide(input({ observations: lagged(22, 5), policy: policy({ targets }) }));
      assert.equal(d.reason, 'GeneratorSaturated', d.message);
      assert.equal(d.unreliable, undefined, 'below the material share the record has no note');
    });
    it('a percentile target is judged by the p99 delay', () => {
      const targets = [
        { label: 'p95', request: REQ, type: { kind: 'percentile' as const, percentile: 95 }, target: 7, tolerance: 0 },
      ];
      const obs = {
        ...lagged(5, 2, 45),
        requests: { [REQ]: { ...observe(5).requests[REQ]!, percentiles: { p95: 50 } } },
      };
      const d = decide(input({ observations: obs, policy: policy({ targets }) }));
      assert.equal(d.reason, 'GeneratorSaturated', d.message);
    });
  });

  it("a run's failures go into its history entry (share and kinds), for the history picture", () => {
    const failing = observe(5, {
      failures: 30,
      failuresByKind: { timeout: { count: 20, sample: 't' }, 'HTTP 503': { count: 10, sample: 's' } },
    });
    failing.aggregated = { ...failing.aggregated, failures: 30 };
    const d = decide(input({ observations: failing }));
    assert.deepEqual(d.state.history.at(-1)!.failures, { ratio: 0.3, kinds: { timeout: 20, 'HTTP 503': 10 } });
    assert.equal(decide(input({})).state.history.at(-1)!.failures, undefined, 'none when nothing failed');
  });

  it('history is bounded and records the decision', () => {
    let rec = null;
    for (let i = 0; i < 60; i++) rec = decide(input({ record: rec, now: NOW + i * 60_000 })).state;
    assert.equal(rec!.history.length, 50);
    assert.deepEqual(rec!.history.at(-1)!.observations, [{ target: `${REQ} mean`, value: 5, limit: 7 }]);
  });
});
