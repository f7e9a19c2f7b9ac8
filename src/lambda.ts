// The cloud-function entry (AWS Lambda on an EventBridge schedule): one cycle per invocation.
// Resolves with the decision record; a conflict (another invocation won) and a redelivered event
// resolve too, marked as such, because neither is a failure to alarm on; every other failure
// rejects, so the platform records it. Configuration comes from the environment: SCALER_CONFIG (a
// path, relative to the bundle's directory) or SCALER_CONFIG_YAML (inline), plus SCALER_* overrides.
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { refuseDuplicateTargets } from './config/duplicates.ts';
import { loadFleet, type FleetMember } from './config/load.ts';
import type { ScalerConfig } from './config/types.ts';
import { formatDuration } from './config/duration.ts';
import {
  ConfigError,
  DuplicateEventError,
  ExitCode,
  InterruptedError,
  messageOf,
  ProbeError,
  ScalerError,
  type FieldIssue,
} from './errors.ts';
import { estimatedLoadMs } from './loadtest/plan.ts';
import type { CommandContext } from './commands/context.ts';
import { createLogger, withFields, type Logger } from './report/log.ts';
import type { DecisionRecord } from './report/record.ts';
import { plural } from './plural.ts';

export interface ScheduleEvent {
  /** EventBridge's event id: a redelivery of the same event is skipped, not run twice. */
  id?: string;
  /** Dotted setting paths → values, applied over the configuration for this invocation. */
  overrides?: Record<string, unknown>;
  dryRun?: boolean;
  [key: string]: unknown; // EventBridge's other fields (time, detail-type, …) are ignored
}

/** The part of Lambda's context object the handler uses. */
export interface InvocationContext {
  getRemainingTimeInMillis?: () => number;
}

export interface ConflictResult {
  conflict: true;
  message: string;
}

export interface DuplicateResult {
  duplicate: true;
  eventId: string;
  message: string;
}

/**
 * Time kept back from the invocation's deadline for the decision, the claim, the apply and (if it
 * fails) the restore: run.ts (AFTER_APPLY_MS) fits what follows the claim into it.
 */
export const DECIDE_MARGIN_MS = 5_000;

export async function handler(event: unknown = {}, context: InvocationContext = {}): Promise<unknown> {
  const env = process.env;
  const log = createLogger({ json: true });
  const controller = new AbortController();
  let disarm = (): void => undefined;
  try {
    const { overrides, dryRun, eventId } = readEvent(event);
    const configured = env['SCALER_CONFIG'];
    const configPath = configured && !isAbsolute(configured) ? resolve(bundleDir(), configured) : configured;
    const configFrom =
      configured && !isAbsolute(configured) ? "environment SCALER_CONFIG, from the bundle's directory" : undefined;
    const loaded = await loadFleet({ env, configPaths: configPath ? [configPath] : [], configFrom, overrides });
    const members = refuseDuplicateTargets(loaded); // one target, one autoscaler
    if (members.length > 1) return await fleetInvocation(members, { env, log, controller, context, dryRun, eventId });
    const config = members[0]!.config;
    if (!config) throw members[0]!.error;
    const remaining = context.getRemainingTimeInMillis?.();
    if (remaining !== undefined) refuseIfTooShort(config, remaining);
    const armed = armDeadline(remaining, controller);
    disarm = armed.disarm;
    const { runCommand } = await import('./commands/run.ts');
    const result = await runCommand(config, invocationContext(env, log, controller, armed.end), { dryRun, eventId });
    log.log('info', result.record.message, recordFields(result.record));
    if (result.exitCode !== ExitCode.ok) {
      throw new ProbeError(`the run could not measure the service: ${result.record.message}`, {
        context: { record: result.record },
      });
    }
    return result.record;
  } catch (err) {
    if (err instanceof ScalerError && err.exitCode === ExitCode.conflict) {
      log.log('warn', err.message, { code: err.code });
      return { conflict: true, message: err.message } satisfies ConflictResult;
    }
    if (err instanceof DuplicateEventError) {
      log.log('warn', err.message, { code: err.code });
      return {
        duplicate: true,
        eventId: (event as ScheduleEvent).id ?? '',
        message: err.message,
      } satisfies DuplicateResult;
    }
    log.log('error', messageOf(err), { code: err instanceof ScalerError ? err.code : 'UNEXPECTED' });
    throw err;
  } finally {
    disarm();
  }
}

/**
 * Interrupts the run DECIDE_MARGIN_MS before the invocation's time limit (none without one); `end` is
 * that limit (epoch ms): what follows the claim fits before it (run.ts).
 */
function armDeadline(
  remaining: number | undefined,
  controller: AbortController,
): { end: number | undefined; disarm: () => void } {
  if (remaining === undefined) return { end: undefined, disarm: () => undefined };
  const abort = (): void => controller.abort(new InterruptedError('deadline', `(the invocation's time limit is near)`));
  const timer = setTimeout(abort, remaining - DECIDE_MARGIN_MS);
  return { end: Date.now() + remaining, disarm: () => clearTimeout(timer) };
}

/** A run's command context inside an invocation: JSON records, nothing printed but the log. */
function invocationContext(
  env: Record<string, string | undefined>,
  log: Logger,
  controller: AbortController,
  end: number | undefined,
): CommandContext {
  return { out: () => {}, log, now: Date.now, signal: controller.signal, deadline: end, output: 'json', env };
}

/**
 * The decision record's gist for the log line each run writes: in CloudWatch Logs this line is what a
 * Kubernetes Event is elsewhere (the reason, the change, the message), one per target.
 */
function recordFields(record: DecisionRecord): Record<string, unknown> {
  const { target, action, reason, current, applied } = record;
  return {
    target,
    action,
    reason,
    current,
    applied,
    ...(record.applyFailed ? { applyFailed: record.applyFailed } : {}),
  };
}

/** What a fleet invocation resolves with: the summary and one line per member. */
export interface FleetInvocationResult {
  fleet: true;
  summary: string;
  exitCode: number;
  members: { source: string; exitCode: number; message?: string | undefined; skipped?: true }[];
  /** Every member had handled this event already (a redelivery): nothing ran. */
  duplicate?: true;
}

/** Time a member needs beside its load test: its reads, decision, claim and apply. */
const MEMBER_OVERHEAD_MS = 2_000;

/**
 * A fleet in one invocation (DESIGN §7): refused before any load when its waves of load tests at the
 * chosen parallelism cannot finish before the deadline; resolves with the summary when every member
 * decided (or lost a conflict), rejects naming the failures otherwise.
 */
async function fleetInvocation(
  members: FleetMember[],
  o: {
    env: Record<string, string | undefined>;
    log: Logger;
    controller: AbortController;
    context: InvocationContext;
    dryRun: boolean;
    /** As for one target: each member skips an event its record already holds (a redelivery). */
    eventId: string | undefined;
  },
): Promise<FleetInvocationResult> {
  const { defaultParallel, runFleet } = await import('./fleet.ts');
  const parallel = defaultParallel();
  const remaining = o.context.getRemainingTimeInMillis?.();
  if (remaining !== undefined) refuseFleetIfTooShort(members, parallel, remaining);
  const armed = armDeadline(remaining, o.controller);
  try {
    const { runCommand } = await import('./commands/run.ts');
    const member = (source: string) =>
      invocationContext(o.env, withFields(o.log, { member: source }), o.controller, armed.end);
    const result = await runFleet(
      members,
      (config, source) => runCommand(config, member(source), { dryRun: o.dryRun, eventId: o.eventId }),
      { parallel, signal: o.controller.signal },
      (m) => {
        const record = m.record as DecisionRecord | undefined;
        if (record) o.log.log('info', record.message, { member: m.source, ...recordFields(record) });
      },
    );
    const lines = result.outcomes.map((m) => ({
      source: m.source,
      exitCode: m.exitCode,
      message: m.error ?? (m.record as { message?: string } | undefined)?.message,
      ...(m.skipped ? { skipped: true as const } : {}),
    }));
    o.log.log(result.exitCode === ExitCode.ok ? 'info' : 'warn', result.summary);
    const fleet: FleetInvocationResult = {
      fleet: true,
      summary: result.summary,
      exitCode: result.exitCode,
      members: lines,
      ...(lines.length > 0 && lines.every((l) => l.skipped) ? { duplicate: true as const } : {}),
    };
    if (result.exitCode !== ExitCode.ok && result.exitCode !== ExitCode.conflict)
      throw new ProbeError(`the fleet did not all decide: ${result.summary}`, { context: { fleet } });
    return fleet;
  } finally {
    armed.disarm();
  }
}

function refuseFleetIfTooShort(members: FleetMember[], parallel: number, remainingMs: number): void {
  const loads = members.flatMap((m) => (m.config ? [estimatedLoadMs(m.config) + MEMBER_OVERHEAD_MS] : []));
  const waves = Math.ceil(loads.length / parallel);
  const needed = waves * Math.max(0, ...loads) + DECIDE_MARGIN_MS;
  if (remainingMs >= needed) return;
  const left = formatDuration(Math.floor(remainingMs / 1000) * 1000);
  const each = `${(Math.max(0, ...loads) / 1000).toFixed(1)} s`;
  const run = `${plural(loads.length, 'autoscaler')} at ${parallel} at once run in ${plural(waves, 'wave')}`;
  const message =
    `${left} left in this invocation, but ${run} of up to ${each} each, plus ${formatDuration(DECIDE_MARGIN_MS)}: ` +
    "raise the function's Timeout or its memory (more CPU: more at once), or split the fleet";
  throw new ConfigError([{ path: 'Lambda Timeout', message }], 'the invocation');
}

/** A load test that cannot finish before the invocation's deadline is refused before any load is sent. */
function refuseIfTooShort(config: ScalerConfig, remainingMs: number): void {
  const needed = estimatedLoadMs(config) + DECIDE_MARGIN_MS;
  if (remainingMs >= needed) return;
  const left = formatDuration(Math.floor(remainingMs / 1000) * 1000);
  const load = formatDuration(estimatedLoadMs(config));
  const margin = formatDuration(DECIDE_MARGIN_MS);
  const message =
    `${left} left in this invocation, but the load test needs about ${load} plus ${margin} to decide and apply: ` +
    "raise the function's Timeout or shorten loadTest.duration";
  throw new ConfigError([{ path: 'Lambda Timeout', message }], 'the invocation');
}

function readEvent(event: unknown): { overrides: Record<string, unknown>; dryRun: boolean; eventId?: string } {
  if (event === null || event === undefined) return { overrides: {}, dryRun: false };
  const show = (v: unknown): string => JSON.stringify(v)?.slice(0, 80) ?? String(v);
  if (typeof event !== 'object' || Array.isArray(event)) {
    const message = `${show(event)} is not an object; expected a schedule event, optionally with overrides and dryRun`;
    throw new ConfigError([{ path: 'event', message }]);
  }
  const e = event as ScheduleEvent;
  const issues: FieldIssue[] = [];
  const { overrides } = e;
  if (overrides !== undefined && (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides))) {
    issues.push({
      path: 'event.overrides',
      message: `${show(overrides)} is not an object of setting paths, e.g. {"loadTest.users": 20}`,
    });
  }
  if (e.dryRun !== undefined && typeof e.dryRun !== 'boolean')
    issues.push({ path: 'event.dryRun', message: `${show(e.dryRun)} is not true or false` });
  if (e.id !== undefined && typeof e.id !== 'string')
    issues.push({ path: 'event.id', message: `${show(e.id)} is not a string` });
  if (issues.length) throw new ConfigError(issues, 'the invocation event');
  return {
    overrides: overrides ?? {},
    dryRun: e.dryRun === true,
    ...(typeof e.id === 'string' && e.id !== '' ? { eventId: e.id } : {}),
  };
}

function bundleDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}
