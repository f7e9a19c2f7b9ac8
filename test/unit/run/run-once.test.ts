// The contract of one run (DESIGN §1), pinned with an in-memory store and target that model the
// real ones' semantics — compare-and-swap on a version, an answer that is lost after the change
// was applied — so each ordering rule is checked in isolation. The real stores and targets meet
// the same faults through the fault-injecting proxy in the integration tests.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as wait } from 'node:timers/promises';
import { validateConfig } from '../../../src/config/validate.ts';
import {
  ConflictError,
  DuplicateEventError,
  InterruptedError,
  RunFailed,
  StateError,
  TargetError,
} from '../../../src/errors.ts';
import type { LoadPlan, LoadTestEngine, Observations } from '../../../src/loadtest/types.ts';
import { emptyRecord, type StateRecord } from '../../../src/model/state-record.ts';
import { targetKey } from '../../../src/model/target-key.ts';
import { runOnce, type RunDeps } from '../../../src/run.ts';
import type { StateStore, VersionedRecord } from '../../../src/state/types.ts';
import type { ScaleTarget, TargetStatus } from '../../../src/target/types.ts';
import { observe } from '../decide/fixtures.ts';

const config = validateConfig(
  {
    target: { kind: 'http', url: 'http://127.0.0.1:1/replicas' },
    loadTest: { host: 'http://127.0.0.1:2', requests: [{ method: 'GET', path: '/fibonacci?n=10' }] },
    targets: [{ method: 'GET', endpoint: '/fibonacci?n=10', type: 'mean', target: 7 }],
    state: { store: 'file', path: '/nonexistent/state.json' },
  },
  { source: 'test', requireTarget: true, environment: 'local' },
);
const KEY = targetKey(config.target);

type Fault = 'conflict' | 'lostAnswer' | 'fail' | undefined;

/** Compare-and-swap on a version; `lostAnswer` applies the write, then reports a failure. */
class MemoryStore implements StateStore {
  record: StateRecord | null = null;
  version = 0;
  log: string[];
  nextWrite: Fault[] = [];
  /** Runs inside read(), given the signal read() was given (a store waiting on the network). */
  onRead?: (signal?: AbortSignal) => Promise<void>;

  constructor(log: string[]) {
    this.log = log;
  }

  describe(): string {
    return 'memory';
  }

  async read(signal?: AbortSignal): Promise<VersionedRecord> {
    this.log.push('read state');
    await this.onRead?.(signal);
    return { record: this.record && structuredClone(this.record), version: this.record ? String(this.version) : null };
  }

  async write(record: StateRecord, expected: string | null): Promise<string> {
    const fault = this.nextWrite.shift();
    this.log.push(`write state${fault ? ` (${fault})` : ''}`);
    const actual = this.record ? String(this.version) : null;
    if (fault === 'fail') throw new StateError('memory: write failed');
    if (fault === 'conflict' || actual !== expected) throw new ConflictError('memory changed since it was read');
    this.record = structuredClone(record);
    this.version++;
    if (fault === 'lostAnswer') throw new ConflictError('memory: the retried write met a changed version'); // as a store reports a retry
    return String(this.version);
  }

  async remove(): Promise<void> {
    throw new Error('runOnce never removes');
  }
}

/** A replica count; `lostAnswer` applies the change, then reports a failure. */
class MemoryTarget implements ScaleTarget {
  replicas: number;
  log: string[];
  nextApply: Fault[] = [];
  onApply?: () => void;
  onRead?: (signal?: AbortSignal) => Promise<void>;

  constructor(replicas: number, log: string[]) {
    this.replicas = replicas;
    this.log = log;
  }

  describe(): string {
    return 'memory target';
  }

  async read(signal?: AbortSignal): Promise<TargetStatus> {
    this.log.push('read target');
    await this.onRead?.(signal);
    return { replicas: this.replicas, paused: false };
  }

  async apply(replicas: number, expected: number): Promise<void> {
    const fault = this.nextApply.shift();
    this.log.push(`apply ${replicas}${fault ? ` (${fault})` : ''}`);
    this.onApply?.();
    if (fault === 'fail') throw new TargetError('memory target: apply failed');
    if (fault === 'conflict' || this.replicas !== expected) throw new ConflictError('memory target changed');
    this.replicas = replicas;
    if (fault === 'lostAnswer') throw new TargetError('memory target: no answer within 10 s');
  }

  async recordEvent(event: { reason: string }): Promise<void> {
    this.log.push(`event ${event.reason}`);
  }
}

function setup(
  opts: {
    replicas?: number;
    mean?: number;
    signal?: AbortSignal;
    engine?: (signal?: AbortSignal) => Promise<Observations>;
  } = {},
) {
  const log: string[] = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  const store = new MemoryStore(log);
  const target = new MemoryTarget(opts.replicas ?? 2, log);
  const engine: LoadTestEngine = {
    run: async (_plan: LoadPlan, signal?: AbortSignal) => {
      log.push('load test');
      return opts.engine ? opts.engine(signal) : observe(opts.mean ?? 12);
    },
  };
  let n = 0;
  const deps: RunDeps = {
    store,
    target,
    engine: async () => engine,
    now: () => Date.parse('2026-11-24T12:00:00Z') + n++ * 1000,
    log: { log: (level, message) => void (level === 'warn' ? warnings : level === 'info' ? infos : []).push(message) },
    signal: opts.signal,
    runId: 'run-1',
  };
  return { log, warnings, infos, store, target, deps };
}

describe('runOnce: the order of one run and what each failure leaves behind', () => {
  it('reads, measures, decides, claims the state, then applies and reports', async () => {
    const { log, store, target, deps } = setup();
    const r = await runOnce(config, deps, { dryRun: false });
    assert.deepEqual(log, ['read state', 'read target', 'load test', 'write state', 'apply 3', 'event ScaledUp']);
    assert.equal(r.decision.applied, 3);
    assert.equal(target.replicas, 3);
    assert.equal(store.record?.claim?.id, 'run-1');
    assert.equal(store.record?.lastReplicas, 3);
  });

  it('the claim lost to another run: a conflict, nothing applied', async () => {
    const { log, store, target, deps } = setup();
    store.nextWrite = ['conflict'];
    await assert.rejects(
      runOnce(config, deps, { dryRun: false }),
      (e: Error) => e instanceof ConflictError && /nothing applied$/.test(e.message),
    );
    assert.equal(target.replicas, 2);
    assert.ok(!log.some((l) => l.startsWith('apply')));
  });

  it('the claim landed but its answer was lost: recognised as ours by the claim id, applied once', async () => {
    const { log, store, target, deps } = setup();
    store.nextWrite = ['lostAnswer'];
    const r = await runOnce(config, deps, { dryRun: false });
    assert.equal(r.exitCode, 0);
    assert.equal(target.replicas, 3);
    assert.deepEqual(
      log.filter((l) => l.startsWith('apply')),
      ['apply 3'],
    );
    assert.equal(store.record?.lastReplicas, 3);
  });

  it("another run's record with another claim id is not mistaken for ours", async () => {
    const { store, target, deps } = setup();
    store.nextWrite = ['lostAnswer'];
    await assert.rejects(
      runOnce(
        config,
        {
          ...deps,
          runId: 'run-2',
          store: Object.assign(store, {
            write: async (record: StateRecord, expected: string | null) => {
              await MemoryStore.prototype.write.call(
                store,
                { ...record, claim: { id: 'someone-else', at: 'x' } },
                expected,
              );
              return '1';
            },
          }),
        },
        { dryRun: false },
      ),
      ConflictError,
    );
    assert.equal(target.replicas, 2);
  });

  it('the apply failed: the claim is put back with a CAS on the version this run wrote; exit 1', async () => {
    const { store, target, deps } = setup();
    const prior = { ...emptyRecord(KEY), lastReplicas: 2, calmRuns: 1 };
    store.record = prior;
    store.version = 7;
    target.nextApply = ['fail'];
    await assert.rejects(
      runOnce(config, deps, { dryRun: false }),
      (e: Error) => e instanceof RunFailed && e.exitCode === 1,
    );
    assert.equal(target.replicas, 2);
    assert.deepEqual(store.record, prior, 'the record is the one the claim replaced');
    assert.equal(store.version, 9, 'claimed (8), then put back on 8 (9)');
  });

  it('with no prior record, a failed apply leaves an empty record, never a deleted store object', async () => {
    const { store, target, deps } = setup();
    target.nextApply = ['fail'];
    await assert.rejects(runOnce(config, deps, { dryRun: false }), RunFailed);
    assert.deepEqual(store.record, emptyRecord(KEY));
  });

  it('the apply landed but its answer was lost: the target is read again, the change is in place, exit 0', async () => {
    const { store, target, deps, warnings } = setup();
    target.nextApply = ['lostAnswer'];
    const r = await runOnce(config, deps, { dryRun: false });
    assert.equal(r.exitCode, 0);
    assert.equal(target.replicas, 3);
    assert.equal(store.record?.lastReplicas, 3, 'state and replicas agree');
    assert.match(warnings.join('\n'), /the target is at the applied count: the change is in place/);
  });

  it('the apply failed and another run wrote the state meanwhile: its record is not overwritten', async () => {
    const { store, target, deps, warnings } = setup();
    target.nextApply = ['fail'];
    target.onApply = () => {
      store.record = { ...emptyRecord(KEY), lastReplicas: 5, claim: { id: 'later-run', at: 'x' } };
      store.version += 1;
    };
    await assert.rejects(runOnce(config, deps, { dryRun: false }), RunFailed);
    assert.equal(store.record?.claim?.id, 'later-run');
    assert.match(
      warnings.join('\n'),
      /could not put the state back after the failed apply \(another run wrote the state after ours\)/,
    );
  });

  it('the put-back landed but its answer was lost: its retry meets itself, not "another run"', async () => {
    const { store, target, deps, warnings, infos } = setup();
    const prior = { ...emptyRecord(KEY), lastReplicas: 2, calmRuns: 1 };
    store.record = prior;
    store.version = 7;
    store.nextWrite = [undefined, 'lostAnswer']; // the claim; the restore lands, then reports a conflict
    target.nextApply = ['fail'];
    await assert.rejects(runOnce(config, deps, { dryRun: false }), RunFailed);
    assert.deepEqual(store.record, prior);
    assert.deepEqual(warnings, [], 'nothing to warn about: the state is put back');
    assert.match(infos.join('\n'), /the state was put back: the retried write met its own first attempt/);
  });

  it('the target changed under us (its CAS failed): exit 3, the claim put back', async () => {
    const { store, target, deps } = setup();
    target.nextApply = ['conflict'];
    await assert.rejects(
      runOnce(config, deps, { dryRun: false }),
      (e: Error) => e instanceof RunFailed && e.exitCode === 3,
    );
    assert.deepEqual(store.record, emptyRecord(KEY));
  });

  it('interrupted during the load test: no decision, nothing written, nothing applied', async () => {
    const controller = new AbortController();
    const { log, store, target, deps } = setup({
      signal: controller.signal,
      engine: async (signal) => {
        controller.abort(new InterruptedError('SIGTERM', '2.0 s into the run'));
        throw signal!.reason;
      },
    });
    await assert.rejects(
      runOnce(config, deps, { dryRun: false }),
      (e: Error) => e instanceof InterruptedError && e.exitCode === 143,
    );
    assert.equal(store.record, null);
    assert.equal(target.replicas, 2);
    assert.ok(!log.includes('write state'));
  });

  it('interrupted after the load test returned, before the claim: still nothing written', async () => {
    const controller = new AbortController();
    const { store, deps } = setup({
      signal: controller.signal,
      engine: async () => {
        controller.abort(new InterruptedError('SIGINT'));
        return observe(12);
      },
    });
    await assert.rejects(
      runOnce(config, deps, { dryRun: false }),
      (e: Error) => e instanceof InterruptedError && e.exitCode === 130,
    );
    assert.equal(store.record, null);
  });

  // A read that waits on the network (a retry's wait, a slow answer) as the real stores and targets
  // do: abortable by the signal it is given, and only by it.
  const slowRead = (controller: AbortController, by: 'SIGTERM' | 'SIGINT') => async (signal?: AbortSignal) => {
    setTimeout(() => controller.abort(new InterruptedError(by)), 20);
    await wait(3_000, undefined, { signal });
  };

  it('interrupted during the state read: stops within a second, before the target read; nothing written', async () => {
    const controller = new AbortController();
    const { log, store, target, deps } = setup({ signal: controller.signal });
    store.onRead = slowRead(controller, 'SIGTERM');
    const started = Date.now();
    await assert.rejects(
      runOnce(config, deps, { dryRun: false }),
      (e: Error) => e instanceof InterruptedError && e.exitCode === 143,
    );
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    assert.deepEqual(log, ['read state']);
    assert.equal(store.record, null);
    assert.equal(target.replicas, 2);
  });

  it("interrupted during the target read: the InterruptedError (130), not the read's AbortError", async () => {
    const controller = new AbortController();
    const { log, store, target, deps } = setup({ signal: controller.signal });
    target.onRead = slowRead(controller, 'SIGINT');
    const started = Date.now();
    await assert.rejects(
      runOnce(config, deps, { dryRun: false }),
      (e: Error) => e instanceof InterruptedError && e.exitCode === 130,
    );
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    assert.deepEqual(log, ['read state', 'read target']);
    assert.equal(store.record, null);
    assert.equal(target.replicas, 2);
  });

  it('interrupted during the apply (after the claim): the apply finishes, state and replicas agree', async () => {
    const controller = new AbortController();
    const { store, target, deps, warnings } = setup({ signal: controller.signal });
    target.onApply = () => controller.abort(new InterruptedError('SIGTERM'));
    const r = await runOnce(config, deps, { dryRun: false });
    assert.equal(r.exitCode, 0);
    assert.equal(target.replicas, 3);
    assert.equal(store.record?.lastReplicas, 3);
    assert.match(warnings.join('\n'), /interrupted after the decision was claimed/);
  });

  it('an event id already handled is skipped before the target is read or any load sent', async () => {
    const { log, store, deps } = setup();
    store.record = { ...emptyRecord(KEY), lastReplicas: 2, lastEventId: 'tick-1' };
    await assert.rejects(runOnce(config, deps, { dryRun: false, eventId: 'tick-1' }), DuplicateEventError);
    assert.deepEqual(log, ['read state']);
    const r = await runOnce(config, deps, { dryRun: false, eventId: 'tick-2' });
    assert.equal(r.decision.applied, 3);
    assert.equal(store.record?.lastEventId, 'tick-2');
  });

  it('a store failure on the claim: nothing applied, the error says so', async () => {
    const { store, target, deps } = setup();
    store.nextWrite = ['fail'];
    await assert.rejects(runOnce(config, deps, { dryRun: false }), StateError);
    assert.equal(target.replicas, 2);
  });
});
