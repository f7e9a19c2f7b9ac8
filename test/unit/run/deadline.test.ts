// After the claim, the apply and the restore must end before the run's hard deadline (a Lambda
// invocation's end), though api.retryFor (30 s by default) is longer than the 5 s the handler keeps
// back: run.ts hands each its bound, and the Kubernetes target and ConfigMap store stop retrying
// (and cut their calls) at it. A signal after the claim sets such a deadline too (api.graceAfterSignal
// after it: Kubernetes kills the pod its grace period after SIGTERM). Short figures, real time:
// 503 forever, a 300 ms bound, a 1 s grace.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../../src/config/validate.ts';
import { RunFailed, StateError, TargetError } from '../../../src/errors.ts';
import type { KubeClients } from '../../../src/kube/client.ts';
import { emptyRecord, type StateRecord } from '../../../src/model/state-record.ts';
import { ANSWER_MS, AFTER_APPLY_MS, runOnce } from '../../../src/run.ts';
import { InterruptedError } from '../../../src/errors.ts';
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
    core: {
      // The state ConfigMap reads (at resourceVersion 7, empty); its writes meet 503s.
      readNamespacedConfigMap: async () => ({ metadata: { name: 'cm', namespace: 'prod', resourceVersion: '7' } }),
      replaceNamespacedConfigMap: fail,
      createNamespacedConfigMap: fail,
    },
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

  // retryFor 5 s, not the default 30 s: a red run (the apply not bounded) ends in 5 s, not 30.
  async function signalledRun(
    when: 'claim' | 'apply',
  ): Promise<{ error: Error; took: number; restore: readonly [number, number] }> {
    const config = validateConfig(
      {
        target: { kind: 'Deployment', apiVersion: 'apps/v1', name: 'fib', namespace: 'prod' },
        loadTest: { host: 'http://127.0.0.1:2', requests: [{ method: 'GET', path: '/fibonacci?n=10' }] },
        targets: [{ method: 'GET', endpoint: '/fibonacci?n=10', type: 'mean', target: 7 }],
        state: { store: 'file', path: '/nonexistent/state.json' },
        api: { retryFor: '5s', graceAfterSignal: '3s' },
      },
      { source: 'test', requireTarget: true, environment: 'local' },
    );
    const { clients, calls } = cluster();
    const target = new KubernetesScaleTarget(ref, clients, { deadlineMs: 5_000, callTimeoutMs: 10_000 });
    const interrupt = new AbortController();
    let signalledAt = 0;
    let signalEnded = 0; // the run reads its own clock within [signalledAt, signalEnded]
    const sigterm = (): void => {
      if (interrupt.signal.aborted) return;
      signalledAt = Date.now();
      interrupt.abort(new InterruptedError('SIGTERM', 'after the claim'));
      signalEnded = Date.now();
    };
    const writes: { record: StateRecord; until: number | undefined }[] = [];
    let version = 0;
    const store: StateStore = {
      describe: () => 'memory',
      read: async (): Promise<VersionedRecord> => ({ record: null, version: version ? String(version) : null }),
      write: async (record: StateRecord, _e: string | null, until?: number) => {
        writes.push({ record, until });
        if (when === 'claim') sigterm(); // while the claim is written: the decision is claimed
        return String(++version);
      },
      remove: async () => undefined,
    };
    const scaling: ScaleTarget = {
      describe: () => target.describe(),
      read: async (): Promise<TargetStatus> => ({ replicas: 2, paused: false }),
      apply: (n, c, s, until) => {
        if (when === 'apply') setTimeout(sigterm, 100); // while the patch meets 503s
        return target.apply(n, c, s, until);
      },
    };
    let error: Error | undefined;
    await runOnce(
      config,
      {
        store,
        target: scaling,
        engine: async () => ({ run: async () => observe(12) }),
        now: Date.now,
        log: { log: () => undefined },
        signal: interrupt.signal,
      },
      { dryRun: false },
    ).catch((e: Error) => (error = e));
    const took = Date.now() - signalledAt;
    assert.ok(error instanceof RunFailed, `the run failed its apply: ${error?.message}`);
    assert.ok(calls() >= 1, 'the patch was tried');
    assert.equal(writes.length, 2, 'the claim, then the restore');
    assert.equal(writes[0]!.until, undefined, 'the claim: no deadline before the signal');
    assert.equal(writes[1]!.record.history.length, 0, 'the record put back is the one before the claim');
    // The restore's bound after the signal, as the run saw the signal: its clock was read between the two.
    const until = writes[1]!.until!;
    return { error, took, restore: [until - signalEnded, until - signalledAt] as const };
  }

  it('a signal while the apply retries 503s: the apply is cut 0.5 s after it, the claim put back in time', async () => {
    const { error, took, restore } = await signalledRun('apply');
    assert.match(
      error.message,
      /applying 2→3 failed: .*cut short.*within 3\.0 s of the signal \(api\.graceAfterSignal\)/,
    );
    assert.ok(took < 1_500, `the run ended ${took} ms after the signal (grace 3 s, the apply cut at 0.5 s)`);
    const [early, late] = restore;
    assert.ok(
      early <= 3_000 - ANSWER_MS && 3_000 - ANSWER_MS <= late,
      `the restore: until 0.5 s before the grace ends (${early}–${late} ms after the signal)`,
    );
  });

  it('a signal while the claim is written: the apply that follows is bounded by the grace', async () => {
    const { error, took, restore } = await signalledRun('claim');
    assert.match(error.message, /applying 2→3 failed: .*HTTP 503/);
    assert.ok(took < 1_500, `the run ended ${took} ms after the signal (grace 3 s, the apply until 0.5 s)`);
    assert.ok(restore[0] <= 3_000 - ANSWER_MS && 3_000 - ANSWER_MS <= restore[1], String(restore));
  });
  it('a signal while the claim (the ConfigMap write) retries 503s: the claim is cut 0.5 s after it, nothing applied', async () => {
    const config = validateConfig(
      {
        target: { kind: 'Deployment', apiVersion: 'apps/v1', name: 'fib', namespace: 'prod' },
        loadTest: { host: 'http://127.0.0.1:2', requests: [{ method: 'GET', path: '/fibonacci?n=10' }] },
        targets: [{ method: 'GET', endpoint: '/fibonacci?n=10', type: 'mean', target: 7 }],
        state: { store: 'configmap' },
        api: { retryFor: '5s', graceAfterSignal: '3s' },
      },
      { source: 'test', requireTarget: true, environment: 'local' },
    );
    const { clients, calls } = cluster();
    const store = new ConfigMapStateStore(
      { name: 'cm', namespace: 'prod', targetKey: 'Deployment/prod/fib' },
      clients,
      { deadlineMs: 5_000, callTimeoutMs: 10_000 },
    );
    const interrupt = new AbortController();
    let signalledAt = 0;
    const writing: StateStore = {
      describe: () => store.describe(),
      read: (signal) => store.read(signal),
      write: (record, expected, until, cut) => {
        setTimeout(() => {
          signalledAt = Date.now();
          interrupt.abort(new InterruptedError('SIGTERM', 'during the claim'));
        }, 100); // while the claim's write meets 503s
        return store.write(record, expected, until, cut);
      },
      remove: async () => undefined,
    };
    let applied = 0;
    const target: ScaleTarget = {
      describe: () => 'Deployment prod/fib',
      read: async (): Promise<TargetStatus> => ({ replicas: 2, paused: false }),
      apply: async () => void applied++,
    };
    let error: Error | undefined;
    await runOnce(
      config,
      {
        store: writing,
        target,
        engine: async () => ({ run: async () => observe(12) }),
        now: Date.now,
        log: { log: () => undefined },
        signal: interrupt.signal,
      },
      { dryRun: false },
    ).catch((e: Error) => (error = e));
    const took = Date.now() - signalledAt;
    assert.ok(calls() >= 1, 'the claim was tried');
    assert.ok(error instanceof StateError, `a state error: ${error?.message}`);
    assert.match(
      error.message,
      /configmap prod\/cm: the claim was cut short: .*within 3\.0 s of the signal \(api\.graceAfterSignal\); nothing applied/,
    );
    assert.ok(took < 1_500, `the run ended ${took} ms after the signal (grace 3 s, the claim cut at 0.5 s)`);
    assert.equal(applied, 0, 'nothing applied');
  });
});
