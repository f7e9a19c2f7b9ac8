// Pods the cluster cannot place are no capacity (DESIGN §4.13): while some are, a decision adds no
// replica beyond the current count — a limit, as HPA keeps its limits apart from the recommendation
// — and says why (the scheduler's message, or the node a cluster autoscaler is adding); a decision
// to go down is never held by it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type DecideInput } from '../../../src/decide/decide.ts';
import type { PendingPods, TargetStatus } from '../../../src/model/target-status.ts';
import { observe, policy, record } from './fixtures.ts';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const ago = (ms: number): string => new Date(NOW - ms).toISOString();
const MESSAGE = '0/1 nodes are available: 1 Insufficient cpu';
/** One pod of three the scheduler cannot place, unschedulable for `forMs`. */
const full = (forMs: number, extra: Partial<PendingPods> = {}): PendingPods => ({
  pods: 1,
  unschedulable: 1,
  message: MESSAGE,
  scalingUp: false,
  since: ago(forMs),
  ...extra,
});
const status = (pending?: PendingPods, extra: Partial<TargetStatus> = {}): TargetStatus => ({
  replicas: 3,
  readyReplicas: 2,
  paused: false,
  notSettled: { kind: 'starting', reason: '2 of 3 replicas ready' },
  ...(pending ? { pending } : {}),
  ...extra,
});
const input = (o: Partial<DecideInput>): DecideInput => ({
  targetKey: 'k',
  status: status(full(10 * 60_000)),
  record: record(0, 3, { unsettledSince: ago(10 * 60_000) }), // unsettled past settle.timeout (5 min)
  observations: observe(12.4),
  policy: policy(),
  now: NOW,
  ...o,
});

describe('the capacity limit: no replica added while pods cannot be scheduled', () => {
  it('a breach holds at the current count, naming the scheduler’s message (Unschedulable)', () => {
    const d = decide(input({}));
    assert.equal(d.applied, 3);
    assert.equal(d.action, 'hold');
    assert.equal(d.reason, 'Unschedulable');
    assert.equal(d.desired, 4, 'the recommendation is kept: what was wanted');
    assert.equal(d.limitedBy, undefined, 'not min or max');
    assert.equal(
      d.message,
      'hold at 3: GET /fibonacci?n=10 mean 12.4 ms > 7 ms; but 1 pod cannot be scheduled ' +
        `(${MESSAGE}): no replica added until the cluster has room`,
    );
    assert.equal(d.state.lastReplicas, 3);
    assert.equal(d.state.calmRuns, 0, 'a breach is not calm');
    assert.equal(d.state.history.at(-1)?.reason, d.message);
  });

  it('without unschedulable pods the same breach scales up (pending pods the scheduler has not judged yet)', () => {
    const starting = { pods: 1, unschedulable: 0, scalingUp: false };
    assert.equal(decide(input({ status: status(starting) })).applied, 4);
    assert.equal(decide(input({ status: status() })).applied, 4);
  });

  it('a proportional scale-up of several replicas is held alike', () => {
    const proportional = policy({ scaleUp: { mode: 'proportional', step: 1, maxStep: 10 } });
    const d = decide(input({ policy: proportional, observations: observe(30) }));
    assert.deepEqual([d.applied, d.reason], [3, 'Unschedulable']);
    assert.ok(d.desired > 4, `wanted ${d.desired}`);
  });

  it('a cluster autoscaler adding a node (TriggeredScaleUp): held, and it says so instead (WaitingForNode)', () => {
    const d = decide(input({ status: status(full(10 * 60_000, { scalingUp: true })) }));
    assert.deepEqual([d.applied, d.reason], [3, 'WaitingForNode']);
    assert.match(
      d.message,
      /; but 1 pod waits for a node a cluster autoscaler is adding \(TriggeredScaleUp\): no replica added until it is placed$/,
    );
  });

  it('unschedulable for less than settle.timeout: a node may be on its way — held, waiting', () => {
    const d = decide(input({ status: status(full(40_000)), record: record(0, 3) }));
    assert.deepEqual([d.applied, d.reason], [3, 'WaitingForNode']);
    assert.match(d.message, /1 pod has been unschedulable for 40 s, less than settle\.timeout 5m \(0\/1 nodes/);
    // settle.timeout 0 (off): no wait is assumed, the pods are unschedulable.
    const off = decide(input({ status: status(full(40_000)), policy: policy({ settle: { timeout: 0 } }) }));
    assert.equal(off.reason, 'Unschedulable');
  });

  it('decay is never held by it: calm runs still decay, and the message says what is pending', () => {
    const d = decide(input({ observations: observe(5), record: record(3, 3, { unsettledSince: ago(10 * 60_000) }) }));
    assert.deepEqual([d.action, d.applied, d.reason], ['down', 2, 'Decay']);
    assert.equal(d.message, `decay 3→2: 3 calm runs; 1 pod cannot be scheduled (${MESSAGE})`);
  });

  it('a hold for another reason names the unschedulable pods too', () => {
    const d = decide(input({ observations: observe(5) }));
    assert.equal(d.reason, 'WithinTargets');
    assert.match(d.message, /within target; 1 of 3 calm runs before decay; 1 pod cannot be scheduled \(0\/1 nodes/);
  });

  it('a probe failure with onProbeFailure: scaleUp is held too, and stays a probe failure', () => {
    const d = decide(input({ observations: observe(null), policy: policy({ onProbeFailure: 'scaleUp' }) }));
    assert.deepEqual([d.applied, d.reason, d.probeFailed], [3, 'ProbeFailed', true]);
    assert.match(d.message, /; but 1 pod cannot be scheduled \(0\/1 nodes are available: 1 Insufficient cpu\)/);
  });

  it("the operator's own number (paused-replicas) is applied as given", () => {
    const d = decide(input({ status: status(full(10 * 60_000), { pausedReplicas: 5 }) }));
    assert.deepEqual([d.applied, d.reason], [5, 'Paused']);
  });

  it('two pods, no scheduler message: the sentence still says it', () => {
    const two = { pods: 2, unschedulable: 2, scalingUp: false, since: ago(10 * 60_000) };
    const d = decide(
      input({ status: status(two, { replicas: 4 }), record: record(0, 4, { unsettledSince: ago(6e5) }) }),
    );
    assert.match(d.message, /; but 2 pods cannot be scheduled: no replica added until the cluster has room$/);
  });
});
