import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  defaultStatePath,
  earlierDefaultStatePath,
  earlierTargetKey,
  targetKey,
} from '../../../src/model/target-key.ts';
import type { AwsTargetRef, KubernetesTargetRef } from '../../../src/config/types.ts';

const http = (url: string) => ({ kind: 'http' as const, url, headers: {} });
const kube = (kind: string, apiVersion: string, name = 'web', namespace = 'shop'): KubernetesTargetRef => ({
  kind,
  apiVersion,
  name,
  namespace,
});
const sha8 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

describe('targetKey', () => {
  it("a webhook: the earlier readable key, then the hash of its URL without the query; the earlier key's kept", () => {
    const hook = http('http://127.0.0.1:5001/replicas');
    assert.equal(targetKey(hook), `http-127.0.0.1-5001-replicas_${sha8('http://127.0.0.1:5001/replicas')}`);
    assert.equal(earlierTargetKey(hook), 'http-127.0.0.1-5001-replicas');
    assert.equal(defaultStatePath(hook), `.latency-scaler/${targetKey(hook)}.json`);
    assert.equal(earlierDefaultStatePath(hook), '.latency-scaler/http-127.0.0.1-5001-replicas.json');
  });
  it('webhooks whose readable forms fold together are distinct keys and distinct state files', () => {
    const pairs = [
      ['http://h:1/pool-a', 'http://h:1/pool_a'],
      ['http://h:1/a/b', 'http://h:1/a-b'],
      ['http://h:1/api/', 'http://h:1/api'],
      ['http://h:1/x', 'http://h/1/x'],
      ['http://h:1/a//b', 'http://h:1/a/b'],
      ['http://h:1/a%20b', 'http://h:1/a-20b'],
      ['http://h:1/pool-', 'http://h:1/pool'],
      ['http://h:1/a:b', 'http://h:1/a~b'],
      ['http://h/x', 'https://h/x'],
    ];
    for (const [a, b] of pairs) {
      assert.equal(earlierTargetKey(http(a!)), earlierTargetKey(http(b!)), `${a} and ${b} folded before`);
      assert.notEqual(targetKey(http(a!)), targetKey(http(b!)), `${a} and ${b}`);
      assert.notEqual(defaultStatePath(http(a!)), defaultStatePath(http(b!)), `${a} and ${b}`);
    }
    // Nor do two that differ in case share a file where the filesystem ignores it (macOS, Windows).
    const lower = (url: string) => defaultStatePath(http(url)).toLowerCase();
    assert.notEqual(lower('http://h:1/Pool'), lower('http://h:1/pool'));
  });
  it('a webhook key reads back: the earlier form, `_`, the hash of the exact scheme, host and path (seeded)', () => {
    const unit = fc.constantFrom('a', 'B', '1', '-', '_', '.', '/', ':', '~', '%20', 'é');
    const part = fc.string({ maxLength: 8, unit });
    const host = fc.constantFrom('h', 'h-1', '127.0.0.1', 'h:1', 'h:8080', '[::1]:9');
    fc.assert(
      fc.property(
        fc.constantFrom('http', 'https'),
        host,
        part,
        fc.option(part, { nil: undefined }),
        (scheme, h, path, query) => {
          const url = new URL(`${scheme}://${h}/${path}${query === undefined ? '' : `?${query}`}`);
          const key = targetKey(http(url.href));
          const earlier = earlierTargetKey(http(url.href))!;
          assert.ok(/^http-[A-Za-z0-9.-]*_[0-9a-f]{8}(-q[0-9a-f]{8})?$/.test(key), key);
          const [readable, rest] = key.split('_') as [string, string];
          assert.equal(rest.slice(0, 8), sha8(`${url.protocol}//${url.host}${url.pathname}`), key);
          assert.equal(`${readable}${rest.slice(8)}`, earlier, 'the earlier key is this one without the hash');
          assert.ok(!earlier.includes('_'), 'no earlier webhook key is a webhook key now');
        },
      ),
      { seed: 29, numRuns: 2000 },
    );
  });
  it('two webhooks that differ only in the query are two keys, and two state files', () => {
    const a = targetKey(http('http://hooks:8080/replicas?service=checkout'));
    const b = targetKey(http('http://hooks:8080/replicas?service=search'));
    assert.notEqual(a, b);
    assert.match(a, /^http-hooks-8080-replicas_[0-9a-f]{8}-q[0-9a-f]{8}$/);
    assert.equal(earlierTargetKey(http('http://hooks:8080/replicas?service=checkout')), a.replace(/_[0-9a-f]{8}/, ''));
    assert.notEqual(defaultStatePath(http('http://h/r?a=1')), defaultStatePath(http('http://h/r?a=2')));
  });
  it('a query enters the key only as a hash: a token in it is never in the key or the file name', () => {
    const key = targetKey(http('http://h/r?token=hook-secret-1'));
    assert.ok(!key.includes('secret') && !defaultStatePath(http('http://h/r?token=hook-secret-1')).includes('secret'));
  });
  it('queries that would fold together still differ (a=b&c vs a=b-c)', () => {
    assert.notEqual(targetKey(http('http://h/r?a=b&c')), targetKey(http('http://h/r?a=b-c')));
  });
  it('a Kubernetes target: namespace, kind, name; in core and apps/v1 as earlier versions wrote it', () => {
    assert.equal(targetKey(kube('Deployment', 'apps/v1')), 'shop.deployment.web');
    assert.equal(targetKey(kube('ReplicationController', 'v1')), 'shop.replicationcontroller.web');
    assert.equal(earlierTargetKey(kube('Deployment', 'apps/v1')), undefined);
    assert.equal(earlierDefaultStatePath(kube('Deployment', 'apps/v1')), undefined);
  });
  it('one kind name in two API groups is two keys; one group under two versions is one', () => {
    const argo = kube('Rollout', 'argoproj.io/v1alpha1');
    assert.equal(targetKey(argo), 'shop.rollout.web..argoproj.io');
    assert.equal(targetKey(kube('Rollout', 'argoproj.io/v1')), targetKey(argo));
    assert.notEqual(targetKey(kube('Rollout', 'rollouts.example.com/v1')), targetKey(argo));
    assert.notEqual(targetKey(kube('Deployment', 'example.com/v1')), targetKey(kube('Deployment', 'apps/v1')));
    // A dotted name and a dotted group: the `..` tells where one ends.
    assert.notEqual(targetKey(kube('Rollout', 'b.io/v1', 'a')), targetKey(kube('Rollout', 'io/v1', 'a.b')));
    assert.equal(earlierTargetKey(argo), 'shop.rollout.web');
    assert.equal(earlierDefaultStatePath(argo), '.latency-scaler/shop.rollout.web.json');
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
    // `_` is in no Kubernetes key; a webhook's begins `http-`: namespace `aws`, kind `ecs-service`… spell none.
    const k = targetKey({ kind: 'ECS', apiVersion: 'x.io/v1', name: 'service.shop.web', namespace: 'aws' });
    assert.ok(!k.includes('_') && targetKey(http('http://aws_ecs/service_shop')).startsWith('http-'));
    assert.equal(earlierTargetKey({ kind: 'ecs-service', cluster: 'shop', service: 'web' }), undefined);
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
