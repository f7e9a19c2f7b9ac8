// When an ECS service or an Auto Scaling group is settled (pure), and the group's own bounds narrowing
// the configured replicas: case tables, from the shapes DescribeServices and DescribeAutoScalingGroups answer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ecsSettleReason } from '../../../src/target/ecs-service.ts';
import { groupSettleReason } from '../../../src/target/autoscaling-group.ts';
import { withinBounds } from '../../../src/model/target-status.ts';

const td = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7';

describe('ecsSettleReason', () => {
  const cases: [string, object, string | undefined][] = [
    [
      'all tasks running, one deployment COMPLETED',
      {
        desiredCount: 3,
        runningCount: 3,
        deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: td }],
      },
      undefined,
    ],
    [
      'two deployments (a rolling update)',
      {
        desiredCount: 3,
        runningCount: 3,
        deployments: [{ status: 'PRIMARY', taskDefinition: td }, { status: 'ACTIVE' }],
      },
      'rollout: deployment in progress (to web:7): 2 deployments active',
    ],
    [
      'the primary IN_PROGRESS',
      {
        desiredCount: 3,
        runningCount: 3,
        deployments: [{ status: 'PRIMARY', rolloutState: 'IN_PROGRESS', taskDefinition: td }],
      },
      'rollout: deployment in progress: the rollout of web:7 is IN_PROGRESS',
    ],
    [
      'tasks starting',
      {
        desiredCount: 4,
        runningCount: 2,
        pendingCount: 2,
        deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
      },
      'starting: 2 of 4 tasks running, 2 pending',
    ],
    [
      'tasks stopping after a scale-in',
      { desiredCount: 2, runningCount: 3, deployments: [] },
      'starting: 3 tasks running for 2 desired (stopping)',
    ],
  ];
  for (const [name, service, expected] of cases)
    it(name, () => {
      const r = ecsSettleReason(service);
      assert.equal(r && `${r.kind}: ${r.reason}`, expected);
    });
});

describe('groupSettleReason', () => {
  const inService = { LifecycleState: 'InService', HealthStatus: 'Healthy' };
  const cases: [string, object, object[], string | undefined][] = [
    ['every instance InService and healthy', { DesiredCapacity: 2, Instances: [inService, inService] }, [], undefined],
    [
      'a finished refresh is no refresh',
      { DesiredCapacity: 1, Instances: [inService] },
      [{ InstanceRefreshId: 'r-0', Status: 'Successful' }],
      undefined,
    ],
    [
      'an instance refresh in progress',
      { DesiredCapacity: 1, Instances: [inService] },
      [{ InstanceRefreshId: 'r-1', Status: 'InProgress', PercentageComplete: 30 }],
      'rollout: instance refresh r-1 InProgress, 30% complete',
    ],
    [
      'a refresh rolling back',
      { DesiredCapacity: 1, Instances: [inService] },
      [{ InstanceRefreshId: 'r-2', Status: 'RollbackInProgress' }],
      'rollout: instance refresh r-2 RollbackInProgress',
    ],
    [
      'an instance launching',
      { DesiredCapacity: 2, Instances: [inService, { LifecycleState: 'Pending', HealthStatus: 'Healthy' }] },
      [],
      'starting: 1 of 2 instances InService (1 Pending)',
    ],
    [
      'an unhealthy instance',
      { DesiredCapacity: 2, Instances: [inService, { LifecycleState: 'InService', HealthStatus: 'Unhealthy' }] },
      [],
      'starting: 1 of 2 instances InService (1 Unhealthy)',
    ],
    [
      'one terminating after a scale-in',
      { DesiredCapacity: 1, Instances: [inService, { LifecycleState: 'Terminating' }] },
      [],
      'starting: 1 of 1 instances InService (1 Terminating)',
    ],
  ];
  for (const [name, group, refreshes, expected] of cases)
    it(name, () => {
      const r = groupSettleReason(group as never, refreshes);
      assert.equal(r && `${r.kind}: ${r.reason}`, expected);
    });
});

describe("withinBounds: replicas.min and max within the group's own", () => {
  const bounds = { min: 2, max: 5, what: "the group's MinSize and MaxSize" };
  const cases: [string, { min: number; max: number }, { min: number; max: number }, boolean][] = [
    ['inside them: unchanged, nothing said', { min: 2, max: 4 }, { min: 2, max: 4 }, false],
    ['wider: narrowed, said', { min: 1, max: 10 }, { min: 2, max: 5 }, true],
    ['entirely above them: the group max', { min: 7, max: 9 }, { min: 5, max: 5 }, true],
  ];
  for (const [name, replicas, expected, said] of cases)
    it(name, () => {
      const { note, ...narrowed } = withinBounds(replicas, bounds);
      assert.deepEqual(narrowed, expected);
      assert.equal(note !== undefined, said, note);
    });
  it('a target without bounds (ECS, Kubernetes) leaves them as configured', () => {
    assert.deepEqual(withinBounds({ min: 1, max: 10 }, undefined), { min: 1, max: 10 });
  });
});
