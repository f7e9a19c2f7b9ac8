// What a workload's pending pods say about the cluster's capacity (target/capacity.ts): pods the
// scheduler marked Unschedulable, its message, since when, and whether a cluster autoscaler's latest
// word on one of them is that it is adding a node.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pendingPods, schedulerMessage, type EventView, type PodView } from '../../../src/target/capacity.ts';

const FULL =
  '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims ' +
  'found for incoming pod.';

function pod(name: string, scheduled: 'unschedulable' | 'unjudged' | 'placed', at = '2026-11-22T12:00:00Z'): PodView {
  const conditions =
    scheduled === 'unschedulable'
      ? [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: FULL, lastTransitionTime: at }]
      : scheduled === 'placed'
        ? [{ type: 'PodScheduled', status: 'True', lastTransitionTime: new Date(at) }]
        : [];
  return {
    metadata: { name, uid: `uid-${name}`, creationTimestamp: new Date(at) },
    status: { phase: 'Pending', conditions },
  };
}

const event = (reason: string, name: string, at: string): EventView => ({
  reason,
  involvedObject: { name, uid: `uid-${name}` },
  lastTimestamp: new Date(at),
});

describe('pending pods', () => {
  it('none pending: nothing to say', () => {
    assert.equal(pendingPods([]), undefined);
    const running = { ...pod('a', 'placed'), status: { phase: 'Running' } };
    assert.equal(pendingPods([running]), undefined);
  });

  it('counts the unschedulable, keeps the scheduler’s reason without its preemption addendum, and the oldest time', () => {
    const pods = [
      pod('a', 'unschedulable', '2026-11-22T12:03:00Z'),
      pod('b', 'unschedulable', '2026-11-22T12:01:00Z'),
      pod('c', 'unjudged'),
      pod('d', 'placed'), // scheduled, its containers starting: pending, not unschedulable
    ];
    assert.deepEqual(pendingPods(pods), {
      pods: 4,
      unschedulable: 2,
      message: '0/1 nodes are available: 1 Insufficient cpu',
      scalingUp: false,
      since: '2026-11-22T12:01:00.000Z',
    });
  });

  it('a pod being deleted (a scale-down) does not count', () => {
    const going = pod('a', 'unschedulable');
    going.metadata!.deletionTimestamp = new Date();
    assert.equal(pendingPods([going]), undefined);
  });

  it("a cluster autoscaler's latest word on a pod decides: TriggeredScaleUp, or withdrawn by NotTriggerScaleUp", () => {
    const pods = [pod('a', 'unschedulable')];
    const up = event('TriggeredScaleUp', 'a', '2026-11-22T12:01:00Z');
    const not = event('NotTriggerScaleUp', 'a', '2026-11-22T12:05:00Z');
    assert.equal(pendingPods(pods, [up])?.scalingUp, true);
    assert.equal(pendingPods(pods, [up, not])?.scalingUp, false, 'the later NotTriggerScaleUp withdraws it');
    assert.equal(pendingPods(pods, [event('TriggeredScaleUp', 'other', '2026-11-22T12:01:00Z')])?.scalingUp, false);
    // An event of an earlier pod of the same name (another uid) is not about this one.
    const earlier = { ...up, involvedObject: { name: 'a', uid: 'uid-old' } };
    assert.equal(pendingPods(pods, [earlier])?.scalingUp, false);
  });

  it('the scheduler’s message: trimmed, bounded, absent when empty', () => {
    assert.equal(
      schedulerMessage('0/3 nodes are available: 3 node(s) had untolerated taint.'),
      '0/3 nodes are available: 3 node(s) had untolerated taint',
    );
    assert.equal(schedulerMessage(''), undefined);
    assert.equal(schedulerMessage(undefined), undefined);
    assert.equal(schedulerMessage('x'.repeat(1000))!.length, 300);
  });
});
