// The SAM template is well-formed and says what the README promises: schedule, on-demand table with
// point-in-time recovery, and an IAM policy limited to that table's item operations.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';

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
  assert.equal(statements.length, 1);
  assert.deepEqual(statements[0].Action, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']);
  assert.deepEqual(statements[0].Resource, { 'Fn::GetAtt': ['StateTable', 'Arn'] });
  assert.deepEqual(fn.Environment.Variables.SCALER_STATE_TABLE, { Ref: 'StateTable' });
});
