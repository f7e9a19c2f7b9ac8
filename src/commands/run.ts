import {
  describeTarget,
  hasProbe,
  isKubernetesTarget,
  type KubernetesTargetRef,
  type LoadTestConfig,
  type ScalerConfig,
} from '../config/types.ts';
import { probed } from '../model/observations.ts';
import { defaultStatePath } from '../model/target-key.ts';
import type { StateStore } from '../state/types.ts';
import { engineFor } from './engine.ts';
import { decisionText, statsTable } from '../report/text.ts';
import { exitCodeOf, RunFailed } from '../errors.ts';
import { targetKey } from '../model/target-key.ts';
import type { RunOutcome } from '../report/metrics.ts';
import { ANSWER_MS, runOnce, type RunDeps, type RunOptions, type RunResult } from '../run.ts';
import { createStateStore } from '../state/index.ts';
import { createScaleTarget } from '../target/index.ts';
import { VERSION } from '../version.ts';
import { printJson, type CommandContext } from './context.ts';
import { openStateStore } from './state-home.ts';
import type { FleetMember } from '../config/load.ts';
import { runFleet, type MemberOutcome } from '../fleet.ts';
import type { DecisionRecord } from '../report/record.ts';
import { withFields } from '../report/log.ts';

/** One run, then its metrics pushed whatever the outcome (decided, conflict, failure): see pushMetrics. */
export async function runCommand(config: ScalerConfig, ctx: CommandContext, options: RunOptions): Promise<RunResult> {
  const startedAt = ctx.now();
  let result: RunResult;
  try {
    result = await runAndPrint(config, ctx, options);
  } catch (err) {
    const failed = err instanceof RunFailed ? (err as RunFailed<RunResult>).result : undefined;
    await pushMetrics(config, ctx, options, { exitCode: exitCodeOf(err), startedAt, result: failed });
    throw err;
  }
  await pushMetrics(config, ctx, options, { exitCode: result.exitCode, startedAt, result });
  return result;
}

async function runAndPrint(config: ScalerConfig, ctx: CommandContext, options: RunOptions): Promise<RunResult> {
  const use = options.dryRun ? 'read' : 'write';
  const [store, target] = await Promise.all([openStateStore(config, ctx, use), createScaleTarget(config, ctx.env)]);
  await noticeEarlierState(config, store, ctx);
  let result: RunResult;
  try {
    result = await runOnce(
      config,
      {
        store,
        target,
        engine: () => engineFor(probeOf(config), ctx),
        signals: signalsOf(config, ctx),
        now: ctx.now,
        log: ctx.log,
        signal: ctx.signal,
        deadline: ctx.deadline,
      },
      options,
    );
  } catch (err) {
    if (err instanceof RunFailed) print(ctx, (err as RunFailed<RunResult>).result); // runOnce's result
    throw err;
  }
  print(ctx, result);
  return result;
}

/** The configuration's load test; runOnce asks for an engine only where there is one. */
function probeOf(config: ScalerConfig): ScalerConfig & { loadTest: LoadTestConfig } {
  if (!hasProbe(config)) throw new Error('no load test in the probe-less mode: no engine to create');
  return config;
}

/** The production signals' source, when the configuration reads any; its module loads only then. */
function signalsOf(config: ScalerConfig, ctx: CommandContext): RunDeps['signals'] {
  const prometheus = config.signals.prometheus;
  if (!prometheus) return undefined;
  return async () =>
    (await import('../signals/prometheus.ts')).createPrometheus(prometheus, config.api.timeout, ctx.env);
}

function print(ctx: CommandContext, result: RunResult): void {
  if (ctx.output === 'json') return printJson(ctx, result.record);
  const probe = probed(result.observations) ? result.observations : undefined;
  if (ctx.progress && probe) ctx.progress('\n');
  if (probe) ctx.out(statsTable(probe));
  ctx.out(decisionText(result.record));
}

/**
 * A fleet (DESIGN §7): every member's run as `runCommand` does it, at most `parallel` at once, its
 * record printed as it ends — a JSON line each (with its source), or a line of text each — then the
 * summary. The exit code is the worst of them.
 */
export async function fleetCommand(
  members: FleetMember[],
  ctx: CommandContext,
  options: RunOptions & { parallel: number },
): Promise<number> {
  const quiet: CommandContext = { ...ctx, out: () => undefined, progress: undefined };
  const result = await runFleet(
    members,
    (config, source) => runCommand(config, { ...quiet, log: withFields(ctx.log, { member: source }) }, options),
    options,
    (o) => printOutcome(ctx, o),
  );
  if (ctx.output === 'json') ctx.out(`${JSON.stringify({ summary: result.summary, exitCode: result.exitCode })}\n`);
  else ctx.out(`${result.summary}\n`);
  return result.exitCode;
}

function printOutcome(ctx: CommandContext, o: MemberOutcome): void {
  const record = o.record as DecisionRecord | undefined;
  if (ctx.output === 'json') {
    const line = { source: o.source, exitCode: o.exitCode, ...(record ?? {}), ...(o.error ? { error: o.error } : {}) };
    ctx.out(`${JSON.stringify(line)}\n`);
    return;
  }
  const what = record ? `${record.target}: ${record.message}` : (o.error ?? '');
  ctx.out(`${o.source}  ${what}${o.error && record ? ` — ${o.error}` : ''} (exit ${o.exitCode})\n`);
}

/**
 * Earlier versions took the namespace `default` when none was set; now it is the kubeconfig context's
 * (as kubectl). Where this target has no state yet but the same workload's in `default` has, say so in
 * one line: it is that target's record, not this one's, so pinning the namespace is the way to keep it.
 */
async function noticeEarlierState(config: ScalerConfig, store: StateStore, ctx: CommandContext): Promise<void> {
  const t = config.target;
  if (!isKubernetesTarget(t) || !t.namespaceFrom?.startsWith('kubeconfig') || t.namespace === 'default') return;
  const here = await store.read(ctx.signal).catch(() => undefined);
  if (here?.record !== null) return; // state here (or unreadable: the run itself says so)
  const before: KubernetesTargetRef = { ...t, namespace: 'default' };
  const keepsPath = config.state.store === 'file' && config.state.path === defaultStatePath(t);
  const state = keepsPath ? { store: 'file' as const, path: defaultStatePath(before) } : config.state;
  const old = await createStateStore({ ...config, target: before, state }, ctx.env);
  const earlier = await old.read(ctx.signal).catch(() => undefined);
  if (!earlier?.record) return;
  ctx.log.log(
    'warn',
    `${old.describe()} holds the state of ${describeTarget(before)} (earlier versions' default namespace); ` +
      `this run scales ${describeTarget(t)} (namespace from ${t.namespaceFrom}): to keep scaling the ` +
      "former, set target.namespace: default; otherwise that state is another target's and can go " +
      '(latency-scaler state reset --set target.namespace=default)',
  );
}

/** A decided run's push after an interruption: a bound of its own, well inside what is left. */
export const PUSH_AFTER_INTERRUPT_MS = 2_000;

/**
 * Pushes the run's outcome to metrics.pushgateway, if set (the push module, and its HTTP client, load
 * only then). A dry run persists nothing, metrics included: a dry run by hand must not pass for the
 * scheduled run's success. A failed push is a warning (push.ts), within api.timeout and the deadline.
 * A run that decided pushes even when the interruption came meanwhile (a Lambda's abort 5 s before
 * its end, a signal after the claim): it is not cut by it, but given PUSH_AFTER_INTERRUPT_MS, so a
 * healthy function does not look stopped. An interrupted run that decided nothing pushes nothing.
 */
async function pushMetrics(
  config: ScalerConfig,
  ctx: CommandContext,
  options: RunOptions,
  run: { exitCode: number; startedAt: number; result?: RunResult | undefined },
): Promise<void> {
  const pushgateway = config.metrics.pushgateway;
  if (pushgateway === undefined) return;
  if (options.dryRun) return ctx.log.log('debug', 'a dry run pushes no metrics');
  const { pushRun } = await import('../report/push.ts');
  const outcome: RunOutcome = {
    exitCode: run.exitCode,
    startedAt: run.startedAt,
    endedAt: ctx.now(),
    version: VERSION,
    decided: run.result && {
      decision: run.result.decision,
      observations: run.result.observations,
      replicas: config.replicas,
      targets: config.targets,
    },
  };
  const decided = run.result !== undefined;
  const ends = [
    ctx.deadline === undefined ? undefined : ctx.deadline - ANSWER_MS,
    decided && ctx.signal?.aborted ? Date.now() + PUSH_AFTER_INTERRUPT_MS : undefined,
  ].filter((t): t is number => t !== undefined);
  await pushRun(outcome, {
    pushgateway,
    targetKey: targetKey(config.target),
    timeoutMs: config.api.timeout,
    until: ends.length > 0 ? Math.min(...ends) : undefined,
    signal: decided ? undefined : ctx.signal,
    log: ctx.log,
  });
}
