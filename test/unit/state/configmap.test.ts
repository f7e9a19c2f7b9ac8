// The ConfigMap store's failures are state errors naming the ConfigMap (an operator looks at the
// state, not at the workload), while a conflict stays a conflict and an interruption an interruption.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConflictError, StateError } from '../../../src/errors.ts';
import type { KubeClients } from '../../../src/kube/client.ts';
import { emptyRecord } from '../../../src/model/state-record.ts';
import { ConfigMapStateStore } from '../../../src/state/configmap.ts';

const status = (code: number, message: string) =>
  Object.assign(new Error(`HTTP ${code}`), { code, body: JSON.stringify({ message }) });

/** Every call fails with `fail()`; with `readable`, a read answers (at resourceVersion 7) and only writes fail. */
function storeAnswering(fail: () => Error, readable = false): ConfigMapStateStore {
  const reject = async (): Promise<never> => {
    throw fail();
  };
  const read = async () => ({ metadata: { name: 'latency-scaler-deployment-fib', resourceVersion: '7' } });
  const clients = {
    server: 'https://api.test:6443',
    core: {
      readNamespacedConfigMap: readable ? read : reject,
      replaceNamespacedConfigMap: reject,
      createNamespacedConfigMap: reject,
    },
  } as unknown as KubeClients;
  const limits = { deadlineMs: 0, callTimeoutMs: 1000 }; // no retries
  return new ConfigMapStateStore(
    { name: 'latency-scaler-deployment-fib', namespace: 'prod', targetKey: 'k' },
    clients,
    limits,
  );
}

const isStateError = (verb: string, cause: RegExp) => (e: Error) =>
  e instanceof StateError &&
  e.code === 'STATE_ERROR' &&
  e.message.startsWith('state configmap prod/latency-scaler-deployment-fib: ') &&
  e.message.includes(`${verb} configmaps latency-scaler-deployment-fib in namespace prod`) &&
  cause.test(e.message);

describe('ConfigMap store failures', () => {
  it('a read the Role forbids: STATE_ERROR naming the ConfigMap, with the rule to add', async () => {
    const store = storeAnswering(() => status(403, 'configmaps "latency-scaler-deployment-fib" is forbidden'));
    await assert.rejects(store.read(), isStateError('get', /forbidden: the service account may not get/));
  });

  it('a write the API server fails (HTTP 500): STATE_ERROR naming the ConfigMap', async () => {
    const store = storeAnswering(() => status(500, 'etcd is down'), true);
    await assert.rejects(store.write(emptyRecord('k'), '7'), isStateError('update', /HTTP 500: etcd is down/));
  });

  it('a connection refused: STATE_ERROR naming the ConfigMap and the API server', async () => {
    const store = storeAnswering(() => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    await assert.rejects(
      store.write(emptyRecord('k'), null),
      isStateError('create', /the Kubernetes API at https:\/\/api\.test:6443: connection refused/),
    );
  });

  it('a 409 stays a conflict', async () => {
    const store = storeAnswering(() => status(409, 'the object has been modified'), true);
    await assert.rejects(store.write(emptyRecord('k'), '7'), ConflictError);
  });

  it('a write on a version the ConfigMap is no longer at is a conflict before anything is sent', async () => {
    const store = storeAnswering(() => status(500, 'not sent'), true);
    await assert.rejects(store.write(emptyRecord('k'), '6'), (e: Error) => {
      assert.ok(e instanceof ConflictError);
      assert.match(e.message, /is at resourceVersion 7 since it was read \(resourceVersion 6\)/);
      return true;
    });
  });
});
