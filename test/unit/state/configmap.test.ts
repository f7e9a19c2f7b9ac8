// The ConfigMap store's failures are state errors naming the ConfigMap (an operator looks at the
// state, not at the workload), while a conflict stays a conflict and an interruption an interruption.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConflictError, StateError } from '../../../src/errors.ts';
import type { KubernetesTargetRef } from '../../../src/config/types.ts';
import type { KubeClients, V1ConfigMap } from '../../../src/kube/client.ts';
import { emptyRecord } from '../../../src/model/state-record.ts';
import { earlierTargetKey, targetKey } from '../../../src/model/target-key.ts';
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

describe("ConfigMap store: a record under the target's earlier key", () => {
  /** A ConfigMap holding a record owned by `owner`; what the store sends back is kept in `sent`. */
  function holding(owner: string, target: KubernetesTargetRef) {
    const sent: V1ConfigMap[] = [];
    const cm = {
      metadata: { name: 'latency-scaler-rollout-web', namespace: 'shop', resourceVersion: '7' },
      data: { 'state.json': JSON.stringify({ ...emptyRecord(owner), calmRuns: 2 }) },
    };
    const clients = {
      server: 'https://api.test:6443',
      core: {
        readNamespacedConfigMap: async () => structuredClone(cm),
        replaceNamespacedConfigMap: async ({ body }: { body: V1ConfigMap }) => {
          sent.push(body);
          return { ...body, metadata: { ...body.metadata, resourceVersion: '8' } };
        },
      },
    } as unknown as KubeClients;
    const options = { name: 'latency-scaler-rollout-web', namespace: 'shop' };
    const keys = { targetKey: targetKey(target), earlierKey: earlierTargetKey(target) };
    return {
      sent,
      store: new ConfigMapStateStore({ ...options, ...keys }, clients, { deadlineMs: 0, callTimeoutMs: 1000 }),
    };
  }
  const rollout = (apiVersion: string): KubernetesTargetRef => ({
    kind: 'Rollout',
    apiVersion,
    name: 'web',
    namespace: 'shop',
  });

  it("is this target's (a CRD kind's key now names its group), its owner rewritten by the next write", async () => {
    const argo = rollout('argoproj.io/v1alpha1');
    const { store, sent } = holding('shop.rollout.web', argo);
    const read = await store.read();
    assert.equal(read.record?.target, 'shop.rollout.web..argoproj.io');
    assert.equal(read.record?.calmRuns, 2);
    await store.write(read.record!, read.version);
    assert.equal(JSON.parse(sent[0]!.data!['state.json']!).target, 'shop.rollout.web..argoproj.io');
  });

  it("a record the same kind name in another group wrote since is another target's: refused", async () => {
    const { store } = holding('shop.rollout.web..argoproj.io', rollout('rollouts.example.com/v1'));
    await assert.rejects(
      store.read(),
      /holds the state of shop\.rollout\.web\.\.argoproj\.io, not shop\.rollout\.web\.\.rollouts\.example\.com/,
    );
  });
});
