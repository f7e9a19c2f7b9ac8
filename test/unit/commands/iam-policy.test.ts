// `manifests --iam`: the IAM policy of a fleet's AWS side names only its resources, grants exactly the
// calls each kind makes, and is printed through the bundle as JSON (a fleet of Kubernetes targets
// alone needs none, and says so).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../../src/config/validate.ts';
import { CALLS, fleetIamPolicy } from '../../../src/commands/iam-policy.ts';
import { fleetManifests } from '../../../src/commands/manifests.ts';
import type { ScalerConfig } from '../../../src/config/types.ts';
import { runBundle } from '../../helpers/cli.ts';

const configOf = (target: object, state: object = { store: 'dynamodb', table: 'scaler-state' }): ScalerConfig =>
  validateConfig(
    {
      target,
      loadTest: { host: 'http://web:80', requests: [{ method: 'GET', path: '/' }] },
      targets: [{ method: 'GET', endpoint: '/', type: 'p95', target: 100 }],
      state,
    },
    { source: 'test', requireTarget: true, environment: 'lambda' },
  );

describe('fleetIamPolicy', () => {
  const fleet = [
    configOf({ kind: 'ecs-service', cluster: 'shop', service: 'web' }),
    configOf({ kind: 'ecs-service', cluster: 'arn:aws:ecs:us-east-1:111122223333:cluster/batch', service: 'worker' }),
    configOf({ kind: 'autoscaling-group', name: 'api', region: 'eu-central-1' }),
    configOf({ kind: 'Deployment', name: 'fib', namespace: 'default' }, { store: 'configmap' }),
  ];

  it('the writes on the named resources only; the describe calls IAM cannot limit, on "*"', () => {
    const policy = fleetIamPolicy(fleet, { account: '123456789012', region: 'eu-west-1' })!;
    assert.deepEqual(policy.Statement, [
      {
        Sid: 'ScaleTheseEcsServices',
        Effect: 'Allow',
        Action: [...CALLS.ecsWrite],
        Resource: [
          'arn:aws:ecs:eu-west-1:123456789012:service/shop/web',
          'arn:aws:ecs:us-east-1:111122223333:service/batch/worker', // the cluster ARN's own region and account
        ],
      },
      {
        Sid: 'ReadEcsScalingPoliciesNoResourceLevelPermissions',
        Effect: 'Allow',
        Action: [...CALLS.ecsRead],
        Resource: '*',
      },
      {
        Sid: 'ScaleTheseAutoScalingGroups',
        Effect: 'Allow',
        Action: [...CALLS.groupWrite],
        Resource: ['arn:aws:autoscaling:eu-central-1:123456789012:autoScalingGroup:*:autoScalingGroupName/api'],
      },
      {
        Sid: 'ReadAutoScalingGroupsNoResourceLevelPermissions',
        Effect: 'Allow',
        Action: [...CALLS.groupRead],
        Resource: '*',
      },
      {
        Sid: 'StateItemsOnly',
        Effect: 'Allow',
        Action: [...CALLS.state],
        Resource: ['arn:aws:dynamodb:eu-west-1:123456789012:table/scaler-state'],
      },
    ]);
  });

  it('without --aws-account and --aws-region: "*" in their place, never a wider resource', () => {
    const policy = fleetIamPolicy([fleet[0]!])!;
    assert.deepEqual(policy.Statement[0]!.Resource, ['arn:aws:ecs:*:*:service/shop/web']);
  });

  it('a fleet of Kubernetes targets with ConfigMap state needs none', () => {
    assert.equal(fleetIamPolicy([fleet[3]!]), undefined);
  });

  it('the RBAC output leaves the AWS targets out and says where their policy comes from', () => {
    const m = fleetManifests(
      fleet.map((config, i) => ({ source: `m${i}.yaml`, config })),
      { serviceAccount: 'latency-scaler', namespace: 'default' },
    );
    assert.ok(
      m.header.some((l) =>
        /AWS targets need an IAM policy, not RBAC \('manifests --iam' prints it\): m0\.yaml, m1\.yaml, m2\.yaml/.test(
          l,
        ),
      ),
    );
    const names = m.documents.flatMap((d) => d.object.rules ?? []).flatMap((r) => r.resourceNames ?? []);
    assert.deepEqual([...new Set(names)].sort(), ['fib', 'latency-scaler-deployment-fib']);
  });
});

describe('latency-scaler manifests --iam (the bundle)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scaler-iam-'));
  const write = (name: string, target: string, store = 'dynamodb, table: t') => {
    const path = join(dir, name);
    writeFileSync(
      path,
      `target: ${target}\nloadTest: { host: http://web, requests: [{ method: GET, path: / }] }\n` +
        `targets: [{ method: GET, endpoint: /, type: p95, target: 100 }]\nstate: { store: ${store} }\n`,
    );
    return path;
  };

  it('prints the policy as JSON for `aws iam put-role-policy`', async () => {
    const path = write('ecs.yaml', '{ kind: ecs-service, cluster: shop, service: web }');
    const r = await runBundle([
      'manifests',
      '-c',
      path,
      '--iam',
      '--aws-account',
      '123456789012',
      '--aws-region',
      'eu-west-1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const policy = JSON.parse(r.stdout) as { Version: string; Statement: { Resource: unknown }[] };
    assert.equal(policy.Version, '2012-10-17');
    assert.deepEqual(policy.Statement[0]!.Resource, ['arn:aws:ecs:eu-west-1:123456789012:service/shop/web']);
  });

  it('a fleet with nothing on AWS: exit 2, saying so', async () => {
    const path = write('kube.yaml', '{ kind: Deployment, name: fib, namespace: default }', 'configmap');
    const r = await runBundle(['manifests', '-c', path, '--iam']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--iam: no AWS target and no DynamoDB state in the fleet: it needs no IAM policy/);
  });
});
