// The SAM template is well-formed and says what the README promises: schedule, on-demand table with
// point-in-time recovery, and an IAM policy limited to that table's item operations and the calls of
// the one AWS target it scales.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { CALLS } from '../../../src/commands/iam-policy.ts';

it('jobs/lambda/template.yaml', () => {
  const t = load(readFileSync('jobs/lambda/template.yaml', 'utf8')) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const table = t.Resources.StateTable.Properties;
  assert.equal(table.BillingMode, 'PAY_PER_REQUEST');
  assert.equal(table.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, true);
  assert.deepEqual(table.KeySchema, [{ AttributeName: 'target', KeyType: 'HASH' }]);
  const fn = t.Resources.ScalerFunction.Properties;
  assert.equal(fn.Handler, 'scale.handler');
  assert.match(fn.Runtime, /^nodejs(22|24)\.x$/);
  assert.equal(fn.Events.Tick.Type, 'Schedule');
  // A failing tick must not run three load tests (Lambda's asynchronous default is two retries), nor
  // queue for hours behind the reserved concurrency; and the event must reach the handler with its id.
  assert.deepEqual(fn.EventInvokeConfig, { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  assert.deepEqual(fn.Events.Tick.Properties.RetryPolicy, { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  assert.equal(fn.Events.Tick.Properties.Input, undefined);
  const statements = fn.Policies.flatMap((p: { Statement: unknown[] }) => p.Statement);
  assert.deepEqual(statements[0].Action, [...CALLS.state]);
  assert.deepEqual(statements[0].Resource, { 'Fn::GetAtt': ['StateTable', 'Arn'] });
  assert.deepEqual(fn.Environment.Variables.SCALER_STATE_TABLE, { Ref: 'StateTable' });
  // Each AWS target kind's statements exist only when its parameters are set, and grant exactly the
  // calls that kind makes (the same list `manifests --iam` prints): the writes on the one resource.
  const when = (condition: string) =>
    statements
      .filter((s: any) => s['Fn::If']?.[0] === condition) // eslint-disable-line @typescript-eslint/no-explicit-any
      .map((s: any) => s['Fn::If'][1]); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(statements.length, 5);
  const ecs = when('ScalesEcsService');
  assert.deepEqual(
    ecs.map((s: { Action: string[] }) => s.Action),
    [[...CALLS.ecsWrite], [...CALLS.ecsRead]],
  );
  assert.deepEqual(ecs[0].Resource, {
    'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/${EcsCluster}/${EcsService}',
  });
  assert.equal(ecs[1].Resource, '*');
  const group = when('ScalesAutoScalingGroup');
  assert.deepEqual(
    group.map((s: { Action: string[] }) => s.Action),
    [[...CALLS.groupWrite], [...CALLS.groupRead]],
  );
  assert.match(group[0].Resource['Fn::Sub'], /:autoScalingGroup:\*:autoScalingGroupName\/\$\{AutoScalingGroup\}$/);
  // The scaler scales what the policy allows: its target comes from the same parameters.
  const env = fn.Environment.Variables;
  assert.deepEqual(env.SCALER_TARGET_CLUSTER, {
    'Fn::If': ['ScalesEcsService', { Ref: 'EcsCluster' }, { Ref: 'AWS::NoValue' }],
  });
  assert.deepEqual(env.SCALER_TARGET_NAME['Fn::If'].slice(0, 2), [
    'ScalesAutoScalingGroup',
    { Ref: 'AutoScalingGroup' },
  ]);
});
