// After the claim, the apply and the restore must end before the run's hard deadline (a Lambda
// invocation's end), though api.retryFor (30 s by default) is longer than the 5 s the handler keeps
// back: run.ts hands each its bound, and the Kubernetes target and ConfigMap store stop retrying
// (and cut their calls) at it. Short figures, real time: 503 forever, a 300 ms bound.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../../src/config/validate.ts';
import { RunFailed, TargetError } from '../../../src/errors.ts';
import type { KubeClients } from '../../../src/kube/client.ts';
import { emptyRecord, type StateRecord } from '../../../src/model/state-record.ts';
import { ANSWER_MS, AFTER_APPLY_MS, runOnce } from '../../../src/run.ts';
import { ConfigMapStateStore } from '../../../src/state/configmap.ts';
import type { StateStore, VersionedRecord } from '../../../src/state/types.ts';
import { KubernetesScaleTarget } from '../../../src/target/kubernetes.ts';
import type { ScaleTarget, TargetStatus } from '../../../src/target/types.ts';
import { observe } from '../decide/fixtures.ts';

const unavailable = (): Promise<never> =>
  Promise.reject(
    Object.assign(new Error('HTTP 503'), { code: 503, body: JSON.stringify({ message: 'etcd leader changed' }) }),
  );

/** A cluster whose API answers discovery, then 503 to every write; `calls` counts the writes. */
function cluster(): { clients: KubeClients; calls: () => number } {
  let calls = 0;
  const fail = (): Promise<never> => {
    calls++;
    return unavailable();
  };
  const clients = {
    server: 'https://api.test:6443',
    custom: {
      getAPIResources: async () => ({
        resources: [
          { name: 'deployments', kind: 'Deployment', namespaced: true },
          { name: 'deployments/scale', kind: 'Scale', namespaced: true },
        ],
      }),
      patchNamespacedCustomObjectScale: fail,
    },
    core: { replaceNamespacedConfigMap: fail, createNamespacedConfigMap: fail },
  } as unknown as KubeClients;
  return { clients, calls: () => calls };
}

// retryFor 3 s (the default is 30 s): long enough to show, short enough for a red run to end.
const LIMITS = { deadlineMs: 3_000, callTimeoutMs: 10_000 };
const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'fib', namespace: 'prod' };

describe('after the claim: the apply and the restore end before the run deadline', () => {
  it('the Kubernetes target stops retrying its patch at the bound it is given, with the last error', async () => {
    const { clients, calls } = cluster();
    const target = new KubernetesScaleTarget(ref, clients, LIMITS);
    const started = Date.now();
    await assert.rejects(
      target.apply(3, 2, undefined, started + 300),
      (e: Error) => e instanceof TargetError && /HTTP 503: etcd leader changed/.test(e.message),
    );
    const took = Date.now() - started;
    assert.ok(took < 600, `took ${took} ms for a 300 ms bound`);
    assert.ok(calls() >= 1);
  });

  it('the ConfigMap store stops retrying its write at the bound it is given', async () => {
    const { clients } = cluster();
    const store = new ConfigMapStateStore({ name: 'cm', namespace: 'prod', targetKey: 'k' }, clients, LIMITS);
    const started = Date.now();
    await assert.rejects(store.write(emptyRecord('k'), '7', started + 300), /HTTP 503: etcd leader changed/);
    const took = Date.now() - started;
    assert.ok(took < 600, `took ${took} ms for a 300 ms bound`);
  });

  it('runOnce: the claim and the apply until 2.5 s before the deadline, the restore until 0.5 s before', async () => {
    const config = validateConfig(
      {
        target: { kind: 'http', url: 'http://127.0.0.1:1/replicas' },
        loadTest: { host: 'http://127.0.0.1:2', requests: [{ method: 'GET', path: '/fibonacci?n=10' }] },
        targets: [{ method: 'GET', endpoint: '/fibonacci?n=10', type: 'mean', target: 7 }],
        state: { store: 'file', path: '/nonexistent/state.json' },
      },
      { source: 'test', requireTarget: true, environment: 'local' },
    );
    const writes: (number | undefined)[] = [];
    const applies: (number | undefined)[] = [];
    let version = 0;
    const store: StateStore = {
      describe: () => 'memory',
      read: async (): Promise<VersionedRecord> => ({ record: null, version: version ? String(version) : null }),
      write: async (_r: StateRecord, _e: string | null, until?: number) => {
        writes.push(until);
        return String(++version);
      },
      remove: async () => undefined,
    };
    const target: ScaleTarget = {
      describe: () => 'memory target',
      read: async (): Promise<TargetStatus> => ({ replicas: 2, paused: false }),
      apply: async (_n: number, _c: number, _s?: AbortSignal, until?: number) => {
        applies.push(until);
        throw new TargetError('memory target: apply failed');
      },
    };
    const deadline = Date.now() + 60_000;
    await assert.rejects(
      runOnce(
        config,
        {
          store,
          target,
          engine: async () => ({ run: async () => observe(12) }),
          now: Date.now,
          log: { log: () => undefined },
          deadline,
        },
        { dryRun: false },
      ),
      RunFailed,
    );
    assert.equal(AFTER_APPLY_MS + ANSWER_MS, 2_500);
    assert.deepEqual(applies, [deadline - AFTER_APPLY_MS - ANSWER_MS], 'the apply');
    assert.deepEqual(writes, [deadline - AFTER_APPLY_MS - ANSWER_MS, deadline - ANSWER_MS], 'the claim, the restore');
  });
});
