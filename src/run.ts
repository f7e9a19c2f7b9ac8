// One invocation (DESIGN §1), the imperative shell around the pure decision:
// read state → read target → load test → decide → claim state (CAS) → apply → report.
import { describeTarget, type ScalerConfig } from './config/types.ts';
import { targetKey } from './config/validate.ts';
import { decide, type Decision } from './decide/decide.ts';
import { ExitCode, messageOf, ScalerError, type ExitCode as Exit } from './errors.ts';
import { planFor } from './loadtest/index.ts';
import type { LoadTestEngine, Observations } from './loadtest/types.ts';
import type { Logger } from './report/log.ts';
import { buildRecord, type DecisionRecord } from './report/record.ts';
import type { StateRecord, StateStore } from './state/types.ts';
import type { ScaleTarget } from './target/types.ts';

export interface RunDeps {
  store: StateStore;
  target: ScaleTarget;
  engine: () => Promise<LoadTestEngine>; // created only when load is sent
  now: () => number;
  log: Logger;
  signal?: AbortSignal;
}

export interface RunResult {
  record: DecisionRecord;
  decision: Decision;
  observations?: Observations | undefined;
  exitCode: Exit;
}

export async function runOnce(config: ScalerConfig, deps: RunDeps, options: { dryRun: boolean }): Promise<RunResult> {
  const { store, target, log } = deps;
  const { record, version } = await store.read();
  const status = await target.read(deps.signal);
  log.log('debug', 'read target and state', { target: target.describe(), replicas: status.replicas, state: store.describe(), version });

  let observations: Observations | undefined;
  let probeError: string | undefined;
  // Paused or at zero: no load is sent (DESIGN §4.7, §4.8).
  if (!status.paused && status.replicas > 0) {
    const engine = await deps.engine(); // a broken scenario script is bad input (exit 2), not a probe failure
    try {
      observations = await engine.run(planFor(config), deps.signal);
    } catch (err) {
      if (deps.signal?.aborted) throw err;
      probeError = messageOf(err);
      log.log('warn', 'load test failed', { error: probeError });
    }
  }

  const decision = decide({ targetKey: targetKey(config.target), status, record, observations, probeError, policy: config, now: deps.now() });
  const base = { time: deps.now(), target: describeTarget(config.target), state: store.describe(), dryRun: options.dryRun, decision, observations };
  const failed = (decision.probeFailed ? ExitCode.failure : ExitCode.ok) as Exit;
  if (options.dryRun || decision.reason === 'Paused') {
    return { record: buildRecord(base), decision, observations, exitCode: failed };
  }

  // The claim: of two overlapping runs that read the same state, only the one whose CAS
  // succeeds applies anything; the other gets a ConflictError (exit 3).
  await store.write(decision.state, version);

  let applyFailed: string | undefined;
  if (decision.applied !== decision.current) {
    try {
      await target.apply(decision.applied, decision.current, deps.signal);
    } catch (err) {
      applyFailed = messageOf(err);
      // Best effort: put the record we claimed over back to what it was, so a failed apply leaves
      // no trace in the state; the next run then sees the real count (a change by someone else).
      await restore(store, record).catch((e: unknown) => log.log('warn', 'could not restore the state after the failed apply', { error: messageOf(e) }));
      await target.recordEvent?.({ type: 'Warning', reason: 'ScaleFailed', message: `${decision.message}; apply failed: ${applyFailed}` }).catch(() => undefined);
      const result = { record: buildRecord({ ...base, applyFailed }), decision, observations, exitCode: ExitCode.failure as Exit };
      throw new RunFailed(result, err);
    }
  }
  await recordEvent(target, decision, log);
  return { record: buildRecord(base), decision, observations, exitCode: failed };
}

async function restore(store: StateStore, prior: StateRecord | null): Promise<void> {
  const latest = await store.read();
  if (prior) await store.write(prior, latest.version);
  else await store.remove();
}

async function recordEvent(target: ScaleTarget, d: Decision, log: Logger): Promise<void> {
  if (!target.recordEvent) return;
  const event = d.probeFailed
    ? { type: 'Warning' as const, reason: 'ProbeFailed', message: d.message }
    : d.applied !== d.current
      ? { type: 'Normal' as const, reason: d.action === 'up' ? 'ScaledUp' : 'ScaledDown', message: d.message }
      : undefined;
  if (!event) return;
  try {
    await target.recordEvent(event);
  } catch (err) {
    log.log('warn', 'could not record an Event on the target', { error: messageOf(err) });
  }
}

/** The scale was decided and claimed but applying it failed: carries the record to print. */
export class RunFailed extends ScalerError {
  override readonly code = 'APPLY_FAILED';
  override readonly exitCode: Exit;
  readonly result: RunResult;

  constructor(result: RunResult, cause: unknown) {
    super(`applying ${result.decision.current}→${result.decision.applied} failed: ${messageOf(cause)}`, { cause });
    this.result = result;
    // The target changed under us (HTTP 409, a failed JSON Patch test): a conflict, exit 3.
    this.exitCode = cause instanceof ScalerError && cause.exitCode === ExitCode.conflict ? ExitCode.conflict : ExitCode.failure;
  }
}
