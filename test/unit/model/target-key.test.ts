import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultStatePath, targetKey } from '../../../src/model/target-key.ts';

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
});
