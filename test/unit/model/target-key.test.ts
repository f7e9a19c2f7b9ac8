import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultStatePath, targetKey } from '../../../src/model/target-key.ts';
import type { AwsTargetRef } from '../../../src/config/types.ts';

const http = (url: string) => ({ kind: 'http' as const, url, headers: {} });

describe('targetKey', () => {
  it('a webhook without a query keeps the key earlier versions wrote (their state is found)', () => {
    assert.equal(targetKey(http('http://127.0.0.1:5001/replicas')), 'http-127.0.0.1-5001-replicas');
  });
  it('two webhooks that differ only in the query are two keys, and two state files', () => {
    const a = targetKey(http('http://hooks:8080/replicas?service=checkout'));
    const b = targetKey(http('http://hooks:8080/replicas?service=search'));
    assert.notEqual(a, b);
    assert.match(a, /^http-hooks-8080-replicas-q[0-9a-f]{8}$/);
    assert.notEqual(defaultStatePath(http('http://h/r?a=1')), defaultStatePath(http('http://h/r?a=2')));
  });
  it('a query enters the key only as a hash: a token in it is never in the key or the file name', () => {
    const key = targetKey(http('http://h/r?token=hook-secret-1'));
    assert.ok(!key.includes('secret') && !defaultStatePath(http('http://h/r?token=hook-secret-1')).includes('secret'));
  });
  it('queries that would fold together still differ (a=b&c vs a=b-c)', () => {
    assert.notEqual(targetKey(http('http://h/r?a=b&c')), targetKey(http('http://h/r?a=b-c')));
  });
  it('a Kubernetes target: namespace, kind, name', () => {
    assert.equal(
      targetKey({ kind: 'Deployment', apiVersion: 'apps/v1', name: 'web', namespace: 'shop' }),
      'shop.deployment.web',
    );
  });
  it('an ECS service and an Auto Scaling group: readable, the region only when named', () => {
    assert.equal(targetKey({ kind: 'ecs-service', cluster: 'shop', service: 'web' }), 'aws_ecs-service_shop_web');
    assert.equal(
      targetKey({ kind: 'ecs-service', cluster: 'shop', service: 'web', region: 'eu-west-1' }),
      'aws-eu-west-1_ecs-service_shop_web',
    );
    assert.equal(
      targetKey({ kind: 'autoscaling-group', name: 'api/blue v2' }),
      'aws_autoscaling-group_api%2Fblue%20v2',
    );
  });
  it("an AWS target's key folds no two names together, nor meets another kind's key", () => {
    const ecs = (cluster: string, service: string) => targetKey({ kind: 'ecs-service', cluster, service });
    assert.notEqual(ecs('a_b', 'c'), ecs('a', 'b_c'));
    assert.notEqual(ecs('a.b', 'c'), ecs('a-b', 'c'));
    // `_` is in no Kubernetes or http key: namespace `aws`, kind `ecs-service`… cannot be spelled.
    const kube = targetKey({ kind: 'ECS', apiVersion: 'x.io/v1', name: 'service.shop.web', namespace: 'aws' });
    assert.ok(!kube.includes('_') && !targetKey(http('http://aws_ecs/service_shop')).includes('_'));
  });
  it('an AWS key decodes back to exactly its target (so no two share one), and is one file name (seeded)', () => {
    const unit = fc.constantFrom('a', 'b', '_', '.', '-', '/', ' ', '%', 'é');
    const name = fc.string({ minLength: 1, maxLength: 12, unit });
    const region = fc.option(fc.constantFrom('eu-west-1', 'us-east-1', 'a_b'), { nil: undefined });
    const ref: fc.Arbitrary<AwsTargetRef> = fc.oneof(
      fc.record({ kind: fc.constant('ecs-service' as const), cluster: name, service: name, region }),
      fc.record({ kind: fc.constant('autoscaling-group' as const), name, region }),
    );
    fc.assert(
      fc.property(ref, (t) => {
        const key = targetKey(t);
        assert.ok(!key.includes('/'), key);
        const [head, kind, ...names] = key.split('_').map(decodeURIComponent);
        const region = head === 'aws' ? undefined : head!.replace(/^aws-/, '');
        const given = t.kind === 'ecs-service' ? [t.cluster, t.service] : [t.name];
        assert.deepEqual({ region, kind, names }, { region: t.region, kind: t.kind, names: given }, key);
      }),
      { seed: 31, numRuns: 2000 },
    );
  });
});
