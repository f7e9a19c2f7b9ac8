// The manual rescale (`set-replicas`), beside the run and built from its parts: it sets the replicas
// through the same target and restarts the decay count, recorded in the state like any decision so
// the next run does not mistake it for a stranger's. It claims the state first and puts it back if
// the apply fails, as a run does (DESIGN §1).
import { randomUUID } from 'node:crypto';
import type { ScalerConfig } from './config/types.ts';
import { messageOf, TargetError } from './errors.ts';
import { appendHistory, emptyRecord, type StateRecord } from './model/state-record.ts';
import { targetKey } from './model/target-key.ts';
import type { Logger } from './report/log.ts';
import { apply, claim, restore } from './run.ts';
import type { StateStore } from './state/types.ts';
import type { ScaleTarget } from './target/types.ts';

export interface ManualDeps {
  store: StateStore;
  target: ScaleTarget;
  now: () => number;
  log: Logger;
  signal: AbortSignal;
}

export interface ManualChange {
  current: number;
  applied: number;
  message: string; // `manual set 2→3 (forced)`
}

/** Sets `replicas` (already checked against min..max by the caller); `force` also overrides a pause. */
export async function applyManualChange(
  config: Pick<ScalerConfig, 'target' | 'history'>,
  deps: ManualDeps,
  replicas: number,
  force: boolean,
): Promise<ManualChange> {
  const { store, target, log, signal } = deps;
  const { record, version } = await store.read(signal);
  const status = await target.read(signal);
  if (status.paused && !force) {
    throw new TargetError(
      `${target.describe()} is paused (annotation latency-scaler.io/paused): pass --force to set it anyway`,
    );
  }
  signal.throwIfAborted();
  const at = new Date(deps.now()).toISOString();
  const message = `manual set ${status.replicas}→${replicas}${force ? ' (forced)' : ''}`;
  const prior = record ?? emptyRecord(targetKey(config.target));
  const entry = {
    at,
    current: status.replicas,
    desired: replicas,
    applied: replicas,
    needed: replicas,
    action: 'manual',
    reason: message,
    observations: [],
  };
  const next: StateRecord = {
    ...prior,
    calmRuns: 0,
    lastReplicas: replicas,
    lastRunAt: at,
    lastScaleAt: replicas !== status.replicas ? at : prior.lastScaleAt,
    unsettledSince: null,
    changeInFlightSince: replicas !== status.replicas ? at : prior.changeInFlightSince,
    claim: { id: randomUUID(), at },
    history: appendHistory(prior.history, entry, config.history.limit),
  };
  const written = await claim(store, next, version, log);
  const change = { applied: replicas, current: status.replicas };
  if (replicas !== status.replicas) {
    const failure = await apply(target, change, log);
    if (failure) {
      await restore(store, prior, written, change, log);
      throw new TargetError(`${target.describe()}: ${message} failed: ${messageOf(failure)}`, { cause: failure });
    }
  }
  await target.recordEvent?.({ type: 'Normal', reason: 'ManualScale', message }).catch(() => undefined);
  return { ...change, message };
}
