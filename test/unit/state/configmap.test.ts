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

function storeAnswering(fail: () => Error): ConfigMapStateStore {
  const reject = async (): Promise<never> => {
    throw fail();
  };
  const clients = {
    server: 'https://api.test:6443',
    core: {
      readNamespacedConfigMap: reject,
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
    const store = storeAnswering(() => status(500, 'etcd is down'));
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
    const store = storeAnswering(() => status(409, 'the object has been modified'));
    await assert.rejects(store.write(emptyRecord('k'), '7'), ConflictError);
  });
});
