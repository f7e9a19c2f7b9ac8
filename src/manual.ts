// The manual actions (`set-replicas`, `pause`/`resume`, `state reset`; the console takes the same),
// beside the run and built from its parts. The rescale sets the replicas through the same target and
// restarts the decay count, recorded in the state like any decision so the next run does not mistake it
// for a stranger's. It claims the state first and puts it back if the apply fails, as a run does
// (DESIGN §1). A caller that showed a person the figures first (the console) passes what it showed: if
// the state or the target moved since, the action loses as a conflict and changes nothing.
import { randomUUID } from 'node:crypto';
import type { ScalerConfig } from './config/types.ts';
import { ConflictError, messageOf, TargetError, type FieldIssue } from './errors.ts';
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

/** What a person was shown before asking for the action: the state's version and the replicas. */
export interface Seen {
  version: string | null;
  replicas?: number | undefined;
}

/**
 * The requested count against replicas.min..max: the issue to report, or undefined when it may be set.
 * `force` (the caller's word for overriding: `pass --force`, `tick "force"`) names how to override.
 */
export function checkManualCount(
  replicas: number,
  bounds: { min: number; max: number },
  force: { given: boolean; how: string },
  path = 'replicas (argument)',
): FieldIssue | undefined {
  if (!Number.isInteger(replicas) || replicas < 0) return { path, message: `${replicas} is not an integer ≥ 0` };
  if (force.given || (replicas >= bounds.min && replicas <= bounds.max)) return undefined;
  const { min, max } = bounds;
  return { path, message: `${replicas} is outside replicas.min..max (${min}..${max}); ${force.how} to set it anyway` };
}

/** The action was decided on figures that moved since: a run, another person or another tab acted first. */
function stale(what: string, was: string, now: string): ConflictError {
  return new ConflictError(
    `${what} changed since it was shown (${was}, now ${now}): a run or someone else acted first; ` +
      'nothing changed: look at the new figures and try again',
  );
}

/**
 * Sets `replicas` (already checked against min..max by the caller); `force` also overrides a pause.
 * `seen`: the figures the request was decided on; the change loses (ConflictError, nothing written) if
 * either moved. `forceHow`: the caller's word for forcing, in the message of a paused target.
 */
export async function applyManualChange(
  config: Pick<ScalerConfig, 'target' | 'history'>,
  deps: ManualDeps,
  replicas: number,
  force: boolean,
  seen?: Seen,
  forceHow = 'pass --force',
): Promise<ManualChange> {
  const { store, target, log, signal } = deps;
  const { record, version } = await store.read(signal);
  if (seen && seen.version !== version)
    throw stale(`the state in ${store.describe()}`, `version ${seen.version ?? 'none'}`, `${version ?? 'none'}`);
  const status = await target.read(signal);
  if (seen?.replicas !== undefined && seen.replicas !== status.replicas)
    throw stale(`the replicas of ${target.describe()}`, `${seen.replicas}`, `${status.replicas}`);
  if (status.paused && !force) {
    throw new TargetError(
      `${target.describe()} is paused (annotation latency-scaler.io/paused): ${forceHow} to set it anyway`,
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

/**
 * Sets or clears the pause where the target keeps it (Kubernetes: the latency-scaler.io/paused annotation),
 * and records an Event. `seen`: the pause state the request was decided on.
 */
export async function setPaused(
  deps: Pick<ManualDeps, 'target' | 'signal'>,
  paused: boolean,
  seen?: boolean,
): Promise<{ changed: boolean; message: string }> {
  const { target, signal } = deps;
  const word = paused ? 'paused' : 'resumed';
  if (!target.setPaused) {
    throw new TargetError(
      `${target.describe()} keeps its pause itself (its GET answers "paused"); it cannot be ${word} from here: ` +
        'set it where the webhook keeps its count',
    );
  }
  const status = await target.read(signal);
  if (seen !== undefined && seen !== status.paused)
    throw stale(`the pause of ${target.describe()}`, seen ? 'paused' : 'not paused', status.paused ? 'paused' : 'not');
  if (status.paused === paused)
    return { changed: false, message: `${target.describe()} is already ${paused ? 'paused' : 'running (not paused)'}` };
  await target.setPaused(paused, signal);
  const message = paused
    ? 'paused by hand: no run sends load or changes the replicas until it is resumed'
    : 'resumed by hand: the next run decides again';
  await target.recordEvent?.({ type: 'Normal', reason: paused ? 'Paused' : 'Resumed', message }).catch(() => undefined);
  return { changed: true, message: `${target.describe()} ${message}` };
}

/** `state reset`: clears the record. `seenVersion`: the version the request was decided on (else any). */
export async function resetState(store: StateStore, signal: AbortSignal, seenVersion?: string | null): Promise<void> {
  if (seenVersion !== undefined) {
    const { version } = await store.read(signal);
    if (version !== seenVersion)
      throw stale(`the state in ${store.describe()}`, `version ${seenVersion ?? 'none'}`, `${version ?? 'none'}`);
  }
  signal.throwIfAborted();
  await store.remove();
}
