// One invocation (DESIGN §1), the imperative shell around the pure decision:
// read state → read target → load test → decide → claim state (CAS) → apply → report.
// Until the claim, an interruption (signal, deadline) stops the run with nothing written; after
// it, the decision is complete and the apply runs to its end (or the claim is put back), within
// the run's hard deadline when it has one, and within api.graceAfterSignal of a signal.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { productionQueries } from './config/signals.ts';
import { describeTarget, hasProbe, type ScalerConfig } from './config/types.ts';
import { decide, type Decision } from './decide/decide.ts';
import {
  ConflictError,
  DuplicateEventError,
  ExitCode,
  messageOf,
  RunFailed,
  ScalerError,
  StateError,
  TargetError,
  type ExitCode as Exit,
} from './errors.ts';
import { planFor } from './loadtest/plan.ts';
import type { LoadTestEngine, Observations } from './loadtest/types.ts';
import { productionOnly, type ProductionObservations } from './model/observations.ts';
import { emptyRecord, type StateRecord } from './model/state-record.ts';
import { withinBounds, type TargetStatus } from './model/target-status.ts';
import { targetKey } from './model/target-key.ts';
import type { Logger } from './report/log.ts';
import { buildRecord, type DecisionRecord } from './report/record.ts';
import { forPeople } from './report/redact.ts';
import type { SignalSource } from './signals/types.ts';
import type { StateStore } from './state/types.ts';
import type { ScaleTarget } from './target/types.ts';
import { redactQuery } from './signals/promql.ts';
import { signalAt } from './transport.ts';
import { plural, word } from './plural.ts';

export interface RunDeps {
  store: StateStore;
  target: ScaleTarget;
  engine: () => Promise<LoadTestEngine>; // created only when load is sent
  /** The production signals' source (DESIGN §9), created only when the configuration reads any. */
  signals?: (() => Promise<SignalSource>) | undefined;
  now: () => number;
  log: Logger;
  /** Aborted by a signal or a deadline; its reason is the error the run ends with. */
  signal?: AbortSignal | undefined;
  /** Unique per run (default: a random UUID): the claim that a retried write recognises. */
  runId?: string;
  /**
   * The run's hard deadline (epoch ms, Date.now's clock), when it has one: a Lambda invocation's
   * end. What follows the claim is fitted into it (see AFTER_APPLY_MS).
   */
  deadline?: number | undefined;
}

/**
 * After the claim, the apply and the restore must end before the hard deadline, or the platform
 * kills the run between them (the state claimed, the target unchanged, nothing put back). A signal
 * after the claim sets one too: the platform kills the process a grace period after it (Kubernetes:
 * terminationGracePeriodSeconds, 30 s by default), so api.graceAfterSignal (25 s) after the signal,
 * or the run's own deadline if nearer, bounds what follows, and an apply still retrying is cut. The
 * Lambda handler interrupts the run 5 s (DECIDE_MARGIN_MS) before its end, so a claim starts at
 * least 5 s before it, while api.retryFor (30 s by default) would let one call retry far longer.
 * So, before the deadline:
 *   the claim and the apply retry until 2.5 s before it (AFTER_APPLY_MS + ANSWER_MS): ≥ 2.5 s;
 *   then, until 0.5 s before it, the look at the target after a failed apply (until 1.5 s before),
 *   the restore (one compare-and-swap write, normally ~50 ms, with room for a few retries) and
 *   the Event: 2 s;
 *   the last 0.5 s (ANSWER_MS) print the record and return the function's answer.
 * Without a deadline and without a signal, api.retryFor bounds each call.
 */
export const AFTER_APPLY_MS = 2_000;
export const ANSWER_MS = 500;

interface AfterClaim {
  apply?: number | undefined; // the claim and the apply
  check?: number | undefined; // reading the target after a failed apply
  restore?: number | undefined; // putting the state back, and the Event
}

function afterClaim(deadline: number | undefined): AfterClaim {
  if (deadline === undefined) return {};
  const restore = deadline - ANSWER_MS;
  return { apply: restore - AFTER_APPLY_MS, check: restore - AFTER_APPLY_MS / 2, restore };
}

/**
 * The bounds after the claim, read at each step: from the run's deadline, or from a signal's grace
 * once one comes (whichever is nearer). `cut` aborts an apply still running when its bound passes,
 * `claimCut` a claim still being written (its retries would otherwise run for api.retryFor).
 */
interface AfterClaimClock {
  bounds: () => AfterClaim;
  cut: AbortSignal;
  claimCut: AbortSignal;
  dispose: () => void;
}

function afterClaimClock(deps: RunDeps, graceMs: number, what: string): AfterClaimClock {
  const controller = new AbortController();
  const claimController = new AbortController();
  let signalledAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const deadline = (): number | undefined => {
    const ends = [deps.deadline, signalledAt === undefined ? undefined : signalledAt + graceMs];
    const known = ends.filter((t): t is number => t !== undefined);
    return known.length > 0 ? Math.min(...known) : undefined;
  };
  const onSignal = (): void => {
    signalledAt = Date.now();
    const applyUntil = afterClaim(deadline()).apply ?? signalledAt;
    const seconds = (graceMs / 1000).toFixed(1);
    const reason = new TargetError(
      `${what}: the apply was cut short: the run was interrupted after its decision was claimed, and ` +
        `must put the state back within ${seconds} s of the signal (api.graceAfterSignal)`,
    );
    const claimReason = new StateError(
      `${deps.store.describe()}: the claim was cut short: the run was interrupted while its state write was ` +
        `still being retried, and must end within ${seconds} s of the signal (api.graceAfterSignal); nothing applied`,
    );
    const cutBoth = (): void => {
      claimController.abort(claimReason);
      controller.abort(reason);
    };
    timer = setTimeout(cutBoth, Math.max(0, applyUntil - Date.now()));
  };
  const signal = deps.signal;
  if (signal?.aborted) onSignal();
  else signal?.addEventListener('abort', onSignal, { once: true });
  return {
    bounds: () => afterClaim(deadline()),
    cut: controller.signal,
    claimCut: claimController.signal,
    dispose: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onSignal);
    },
  };
}

export interface RunOptions {
  dryRun: boolean;
  /** The scheduler's event id (a Lambda tick): an event already handled is skipped. */
  eventId?: string | undefined;
}

export interface RunResult {
  record: DecisionRecord;
  decision: Decision;
  observations?: Observations | undefined;
  exitCode: Exit;
}

export async function runOnce(config: ScalerConfig, deps: RunDeps, options: RunOptions): Promise<RunResult> {
  const { store, target, log, signal } = deps;
  signal?.throwIfAborted();
  const { record, version } = await interruptible(store.read(signal), signal);
  if (options.eventId !== undefined && record?.lastEventId === options.eventId) {
    throw new DuplicateEventError(`event ${options.eventId} was already handled for ${store.describe()}: skipped`);
  }
  const status = await interruptible(target.read(signal), signal);
  signal?.throwIfAborted(); // a read that finished regardless (a local file) sends no load after the signal
  const where = { target: target.describe(), replicas: status.replicas, state: store.describe(), version };
  log.log('debug', 'read target and state', where);
  for (const warning of status.warnings ?? []) log.log('warn', warning);
  await refuseOtherAutoscalers(config, target, status.otherAutoscalers ?? []);

  const { observations, probeError } = await measure(config, deps, status);
  // The last point at which an interruption leaves nothing behind: from here to the claim nothing
  // waits, and a decision is never made on a truncated load test.
  signal?.throwIfAborted();

  const key = targetKey(config.target);
  const decision = decide({
    targetKey: key,
    status,
    record,
    observations,
    probeError,
    policy: policyWithin(config, status, log),
    now: deps.now(),
  });
  const base = {
    time: deps.now(),
    target: describeTarget(config.target),
    ...('namespaceFrom' in config.target && config.target.namespaceFrom
      ? { namespaceFrom: config.target.namespaceFrom }
      : {}),
    state: store.describe(),
    dryRun: options.dryRun,
    decision,
    observations,
  };
  const exitCode = (decision.probeFailed ? ExitCode.failure : ExitCode.ok) as Exit;
  // A paused run is claimed too: its record says it ran (status and the history agree with the metrics).
  if (options.dryRun) return { record: buildRecord(base), decision, observations, exitCode };

  const runId = deps.runId ?? randomUUID();
  const claimed: StateRecord = {
    ...decision.state,
    claim: { id: runId, at: new Date(deps.now()).toISOString() },
    lastEventId: options.eventId ?? decision.state.lastEventId,
  };
  // The claim: of two overlapping runs that read the same state, only the one whose CAS
  // succeeds applies anything; the other gets a ConflictError (exit 3).
  const clock = afterClaimClock(deps, config.api.graceAfterSignal, target.describe());
  try {
    const written = await claim(store, claimed, version, log, clock.bounds().apply, clock.claimCut);
    if (decision.applied !== decision.current) {
      const failure = await apply(target, decision, log, clock.bounds, clock.cut);
      if (failure) {
        const putBack = record ?? emptyRecord(key);
        await restore(store, putBack, written, decision, log, clock.bounds().restore);
        const message = `${decision.message}; apply failed: ${messageOf(failure)}`;
        const event = { type: 'Warning' as const, reason: 'ScaleFailed', message: forPeople(message) };
        await target.recordEvent?.(event, clock.bounds().restore).catch(() => undefined);
        const failed = buildRecord({ ...base, applyFailed: messageOf(failure) });
        const result = { record: failed, decision, observations, exitCode: ExitCode.failure as Exit };
        throw new RunFailed(result, decision, failure);
      }
    }
    const late = 'interrupted after the decision was claimed: the run finished its apply first';
    if (signal?.aborted) log.log('warn', late);
    await recordEvent(target, decision, log, clock.bounds().restore);
  } finally {
    clock.dispose();
  }
  return { record: buildRecord(base), decision, observations, exitCode };
}

/** The configuration, its replica bounds narrowed to the target's own (an Auto Scaling group's), said in the log. */
function policyWithin(config: ScalerConfig, status: TargetStatus, log: Logger): ScalerConfig {
  const { note, ...replicas } = withinBounds(config.replicas, status.bounds);
  if (!note) return config;
  log.log('warn', note);
  return { ...config, replicas };
}

/**
 * A read that failed because the run was interrupted (its call or its wait aborted, whatever error
 * the store or target made of it) ends the run with the interruption: exit 130/143/124, not a
 * state or target error.
 */
async function interruptible<T>(read: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  try {
    return await read;
  } catch (err) {
    signal?.throwIfAborted();
    throw err;
  }
}

/**
 * Two autoscalers on one workload undo each other's changes, silently (HPA or KEDA against us): refuse
 * before any load, with a Warning Event, unless target.allowOtherAutoscalers says it is intended.
 */
async function refuseOtherAutoscalers(config: ScalerConfig, target: ScaleTarget, others: string[]): Promise<void> {
  const allowed = 'allowOtherAutoscalers' in config.target && config.target.allowOtherAutoscalers === true;
  if (others.length === 0 || allowed) return;
  const message =
    `${others.join(' and ')} also scales ${target.describe()}: refusing to scale, as two autoscalers undo` +
    " each other's changes. Remove one, or set target.allowOtherAutoscalers: true if this is intended";
  await target.recordEvent?.({ type: 'Warning', reason: 'ConflictingAutoscaler', message }).catch(() => undefined);
  throw new TargetError(message);
}

/**
 * Paused or at zero: no load is sent (DESIGN §4.7, §4.8); nor in the probe-less mode (§9). A failed load
 * test is a probe failure. The production signals are read first (at zero too: the load signal sees
 * demand there), so the probe's own requests are not in them when their window is shorter than the
 * schedule's interval.
 */
async function measure(
  config: ScalerConfig,
  deps: RunDeps,
  status: { paused: boolean; replicas: number; pausedReplicas?: number | undefined },
): Promise<{ observations?: Observations; probeError?: string }> {
  if (status.paused || status.pausedReplicas !== undefined) return {};
  const production = await readProduction(config, deps);
  const alone = production && { observations: productionOnly(production, new Date(deps.now()).toISOString()) };
  if (status.replicas === 0 || !hasProbe(config)) return alone ?? {};
  const engine = await deps.engine(); // a broken scenario script is bad input (exit 2), not a probe failure
  try {
    const observations = await engine.run(planFor(config), deps.signal);
    const folded = observations.folded;
    if (folded) {
      const shared = `${plural(folded.requests, 'request')} ${word(folded.requests, 'shares', 'share')}`;
      const why = `more than ${folded.limit} request names (the first past it: ${JSON.stringify(folded.first)})`;
      deps.log.log('warn', `the load test saw ${why}; ${shared} the row "(other names)"`, {
        fix: "name the script's requests: user.get(`/items/${id}`, { name: 'GET /items/{id}' })",
      });
    }
    return { observations: production ? { ...observations, production } : observations };
  } catch (err) {
    if (deps.signal?.aborted) throw deps.signal.reason;
    if (err instanceof ScalerError && err.exitCode === ExitCode.invalidInput) throw err;
    const probeError = messageOf(err);
    deps.log.log('warn', 'load test failed', { error: probeError });
    return { probeError, ...alone };
  }
}

/**
 * The production signals of this run, or none when the configuration reads none. A signal that cannot
 * be read is unmeasured: one warning each, naming the query, the server and the cause.
 */
async function readProduction(config: ScalerConfig, deps: RunDeps): Promise<ProductionObservations | undefined> {
  const queries = productionQueries(config);
  if (queries.length === 0 || !deps.signals) return undefined;
  const source = await deps.signals(); // a token that cannot be read is bad input (exit 2)
  let production: ProductionObservations;
  try {
    production = await interruptible(source.read(queries, { signal: deps.signal, until: deps.deadline }), deps.signal);
  } finally {
    await source.close();
  }
  const probe = hasProbe(config) ? 'the probe decides; ' : '';
  for (const q of queries) {
    const reading = q.kind === 'rate' ? production.rate : production.targets[q.name];
    if (reading?.unmeasured === undefined) continue;
    const then = q.kind === 'rate' ? 'the load signal is unmeasured this run' : `${probe}never a reason to scale down`;
    const what = `production signal ${JSON.stringify(q.name)} (${redactQuery(q.query)})`;
    deps.log.log('warn', `${what} unmeasured: ${reading.unmeasured}; ${then}`);
  }
  return production;
}

/**
 * The record as people will read it from the store (`status`, `history`, the console): its messages quote
 * errors and URLs, so URLs are masked and a remote body's control characters escaped (report/redact.ts).
 */
function storedForPeople(record: StateRecord): StateRecord {
  return JSON.parse(forPeople(JSON.stringify(record))) as StateRecord;
}

/**
 * Writes the claimed record. A write retried after a lost answer meets its own first attempt as a
 * conflict: re-read, and if the stored record carries our claim id, it is ours (DESIGN §1). Within
 * `until`, and ended by `cut` (a signal's grace running out while the write is still retrying).
 */
export async function claim(
  store: StateStore,
  record: StateRecord,
  expected: string | null,
  log: Logger,
  until?: number,
  cut?: AbortSignal,
): Promise<string> {
  try {
    return await store.write(storedForPeople(record), expected, until, cut);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    const now = await store.read(signalAt(until)).catch(() => undefined);
    if (now?.version && now.record?.claim?.id === record.claim?.id) {
      log.log('info', 'the state write met its own earlier attempt (an answer was lost): the claim is ours', {
        state: store.describe(),
      });
      return now.version;
    }
    throw new ConflictError(`${err.message}; nothing applied`, { cause: err });
  }
}

/**
 * Applies the decision, not cut short by an interruption itself (the claim is made), but within the
 * run's deadline (`bounds`, read as each call starts), and stopped by `cut` when a signal's grace
 * runs out. A failure whose answer may have been lost is checked by reading the target again: at
 * the applied count, the change is in place. Returns the failure, or undefined when it is applied.
 */
export async function apply(
  target: ScaleTarget,
  d: Pick<Decision, 'applied' | 'current'>,
  log: Logger,
  bounds: () => Pick<AfterClaim, 'apply' | 'check'> = () => ({}),
  cut?: AbortSignal,
): Promise<unknown> {
  try {
    await target.apply(d.applied, d.current, cut, bounds().apply);
    return undefined;
  } catch (err) {
    if (err instanceof ConflictError) return err;
    const now = await target.read(signalAt(bounds().check)).catch(() => undefined);
    if (now?.replicas === d.applied) {
      log.log('warn', 'the apply reported a failure, but the target is at the applied count: the change is in place', {
        error: messageOf(err),
      });
      return undefined;
    }
    return err;
  }
}

/**
 * Puts back the record the claim replaced, with a CAS on the version this run wrote: never over a
 * newer record, never by deleting the store object. If that fails, says what the state now holds.
 * A retried write that meets its own first attempt (an answer lost) fails its CAS too: the state
 * then holds the record put back, at a version after ours, and that is a success.
 */
export async function restore(
  store: StateStore,
  prior: StateRecord,
  written: string,
  d: Pick<Decision, 'applied' | 'current'>,
  log: Logger,
  until?: number,
): Promise<void> {
  try {
    await store.write(prior, written, until);
  } catch (err) {
    if (err instanceof ConflictError) {
      const now = await store.read(signalAt(until)).catch(() => undefined);
      if (now && now.version !== written && isDeepStrictEqual(now.record, prior)) {
        const what = 'the state was put back: the retried write met its own first attempt (its answer was lost)';
        log.log('info', what, { state: store.describe() });
        return;
      }
    }
    const holds = `${store.describe()} still records ${plural(d.applied, 'replica')} while the target has ${d.current}`;
    const next = 'the next run treats the difference as a change by someone else and decides from the real count';
    const why = err instanceof ConflictError ? 'another run wrote the state after ours' : messageOf(err);
    log.log('warn', `could not put the state back after the failed apply (${why}): ${holds}; ${next}`);
  }
}

/** Holds an operator should see on the target: a Warning Event each run. */
const WARNINGS = new Set<Decision['reason']>([
  'FailingService',
  'GeneratorSaturated',
  'NotScalable',
  'TargetUnreachable',
  'Unschedulable',
]);

async function recordEvent(target: ScaleTarget, d: Decision, log: Logger, until?: number): Promise<void> {
  if (!target.recordEvent) return;
  const event = d.probeFailed
    ? { type: 'Warning' as const, reason: 'ProbeFailed', message: d.message }
    : WARNINGS.has(d.reason)
      ? { type: 'Warning' as const, reason: d.reason, message: d.message }
      : d.applied !== d.current
        ? { type: 'Normal' as const, reason: d.action === 'up' ? 'ScaledUp' : 'ScaledDown', message: d.message }
        : undefined;
  if (!event) return;
  try {
    await target.recordEvent({ ...event, message: forPeople(event.message) }, until);
  } catch (err) {
    log.log('warn', 'could not record an Event on the target', { error: messageOf(err) });
  }
}
