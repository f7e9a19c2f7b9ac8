// Invariants of the decision over random inputs (fast-check).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide, type DecideInput } from '../../../src/decide/decide.ts';
import { observe, policy, record } from './fixtures.ts';
import { emptyRecord } from '../../../src/model/state-record.ts';

const arbInput: fc.Arbitrary<DecideInput> = fc
  .record({
    min: fc.integer({ min: 0, max: 5 }),
    span: fc.integer({ min: 0, max: 10 }),
    current: fc.integer({ min: 0, max: 20 }),
    paused: fc.boolean(),
    notSettled: fc.option(
      fc.constantFrom(
        { kind: 'starting' as const, reason: '2 of 3 replicas ready' },
        { kind: 'rollout' as const, reason: 'rollout in progress' },
      ),
      { nil: undefined },
    ),
    mean: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null }),
    failures: fc.integer({ min: 0, max: 100 }),
    maxFailureRatio: fc.constantFrom(0, 0.01, 0.5),
    target: fc.double({ min: 0.1, max: 50, noNaN: true }),
    tolerance: fc.constantFrom(0, 0.1),
    runs: fc.integer({ min: 0, max: 12 }),
    lastReplicas: fc.option(fc.integer({ min: 0, max: 20 }), { nil: null }),
    unchangedRuns: fc.integer({ min: 1, max: 5 }),
    decayBy: fc.integer({ min: 0, max: 3 }),
    mode: fc.constantFrom('step' as const, 'proportional' as const),
    step: fc.integer({ min: 1, max: 3 }),
    maxLoad: fc.option(fc.constantFrom(0.5, 0.8), { nil: undefined }),
    onProbeFailure: fc.constantFrom('hold' as const, 'scaleUp' as const),
    window: fc.constantFrom(0, 300_000),
    settle: fc.constantFrom(0, 300_000),
  })
  .map((r) => ({
    targetKey: 'k',
    status: { replicas: r.current, paused: r.paused, ...(r.notSettled ? { notSettled: r.notSettled } : {}) },
    record: record(r.runs, r.lastReplicas),
    observations: observe(r.mean, { failures: Math.min(r.failures, 99) }),
    policy: policy({
      replicas: { min: r.min, max: Math.max(1, r.min + r.span) },
      targets: [
        {
          label: 'mean',
          request: 'GET /fibonacci?n=10',
          type: { kind: 'mean' },
          target: r.target,
          tolerance: r.tolerance,
        },
      ],
      scaleUp: { mode: r.mode, step: r.step, maxStep: 4 },
      decay: {
        replicas: r.decayBy,
        unchangedRuns: r.unchangedRuns,
        maxFailureRatio: r.maxFailureRatio,
        ...(r.maxLoad !== undefined ? { maxLoad: r.maxLoad } : {}),
      },
      onProbeFailure: r.onProbeFailure,
      stabilization: { downscaleWindow: r.window },
      settle: { timeout: r.settle },
    }),
    now: Date.parse('2026-11-22T12:00:00Z'),
  }));

const RUNS = { numRuns: 2000 };

describe('decide: invariants', () => {
  it('applied ∈ [min, max], except when paused, or when a never-down run (nothing measured, failing) is above max', () => {
    fc.assert(
      fc.property(arbInput, (i) => {
        const d = decide(i);
        const { min, max } = i.policy.replicas;
        if (d.reason === 'Paused') return d.applied === i.status.replicas;
        const failing = d.failures !== undefined && d.failures.ratio > i.policy.decay.maxFailureRatio;
        const neverDown = d.probeFailed || failing;
        if (neverDown && i.status.replicas > max) return d.applied === i.status.replicas;
        return d.applied >= min && d.applied <= max;
      }),
      RUNS,
    );
  });

  it('never down on a probe failure, nor with failures above decay.maxFailureRatio', () => {
    fc.assert(
      fc.property(arbInput, (i) => {
        const d = decide(i);
        const failing = d.failures !== undefined && d.failures.ratio > i.policy.decay.maxFailureRatio;
        return !(d.probeFailed || failing) || d.applied >= i.status.replicas;
      }),
      RUNS,
    );
  });

  it('never up when no target is breached (unless below min or probing failed with onProbeFailure scaleUp)', () => {
    fc.assert(
      fc.property(arbInput, (i) => {
        const d = decide(i);
        const breached = d.evaluations.some((e) => e.breached);
        if (
          breached ||
          i.status.replicas < i.policy.replicas.min ||
          (d.probeFailed && i.policy.onProbeFailure === 'scaleUp')
        )
          return true;
        return d.applied <= i.status.replicas;
      }),
      RUNS,
    );
  });

  it('the calm count: +1 after a calm run without change, else 0; a paused run keeps the counters, records the run', () => {
    fc.assert(
      fc.property(arbInput, (i) => {
        const d = decide(i);
        if (d.reason === 'Paused' && d.applied === d.current) {
          const prior = i.record ?? emptyRecord(d.state.target);
          const { history, lastRunAt, lastSuccessAt, ...counters } = d.state;
          const { history: before, lastRunAt: _r, lastSuccessAt: _s, ...kept } = prior;
          assert.deepEqual(counters, kept);
          assert.equal(history.at(-1)?.at, new Date(i.now).toISOString());
          assert.equal(lastRunAt, lastSuccessAt);
          return history.length === Math.min(before.length + 1, i.policy.history.limit);
        }
        const before =
          i.record && i.record.lastReplicas !== null && i.record.lastReplicas !== i.status.replicas
            ? 0
            : (i.record?.calmRuns ?? 0);
        const expected = d.calm && d.applied === d.current ? before + 1 : 0;
        return d.state.calmRuns === expected;
      }),
      RUNS,
    );
  });

  it('deterministic: equal inputs, equal decisions', () => {
    fc.assert(
      fc.property(arbInput, (i) => {
        assert.deepEqual(decide(structuredClone(i)), decide(structuredClone(i)));
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it('pure: the input is not mutated', () => {
    fc.assert(
      fc.property(arbInput, (i) => {
        const copy = structuredClone(i);
        decide(i);
        assert.deepEqual(i, copy);
        return true;
      }),
      { numRuns: 500 },
    );
  });
});
