// Many autoscalers in one invocation (DESIGN §7): each member runs exactly as alone — its own reads,
// load test, decision, claim, apply, Event and record — concurrently within a budget the process can
// serve without distorting latency, and no member's failure stops or delays another. Past one pod,
// Kubernetes spreads the fleet (an Indexed Job): pod i of n takes the members whose key hashes to i.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FleetMember } from './config/load.ts';
import type { ScalerConfig } from './config/types.ts';
import { InvalidArgumentError, DuplicateEventError, ExitCode, exitCodeOf, messageOf } from './errors.ts';
import { targetKey } from './model/target-key.ts';
import { wait } from './wait.ts';
import { plural } from './plural.ts';

/** What one member's run ended with. */
export interface MemberOutcome {
  source: string;
  exitCode: number;
  /** The run's decision record, when it got that far (also for an apply that failed). */
  record?: unknown;
  error?: string;
  /** Not run: the scheduler's event was already handled for this member (a redelivery). */
  skipped?: true;
}

export interface FleetOptions {
  /** Members run at once, at most. */
  parallel: number;
  /** Not started while the event loop is this late (p99, ms): a queue, not an oversubscribed generator. */
  lagLimitMs?: number;
  signal?: AbortSignal | undefined;
}

export interface FleetResult {
  outcomes: MemberOutcome[];
  exitCode: number;
  summary: string; // `58 decided, 1 conflict, 1 failed: fleet/b.yaml: …`
}

/** Members of a fleet whose runs share one generator: each a small load test, mostly waiting on sockets. */
export const MEMBERS_PER_CORE = 25;
const LAG_LIMIT_MS = 20;

/**
 * The CPU this process may use: the cores it may run on, capped by a cgroup v2 CPU quota (a container's
 * `resources.limits.cpu`), never below a quarter of a core.
 */
export function cpuBudget(readQuota: () => string | undefined = cgroupQuota): number {
  const cores = availableParallelism();
  const [quota, period] = (readQuota() ?? 'max').trim().split(/\s+/);
  const limited = quota && quota !== 'max' && period ? Number(quota) / Number(period) : Infinity;
  return Math.max(0.25, Math.min(cores, Number.isFinite(limited) ? limited : cores));
}

function cgroupQuota(): string | undefined {
  try {
    return readFileSync('/sys/fs/cgroup/cpu.max', 'utf8');
  } catch {
    return undefined;
  }
}

/** `--parallel`'s default: members per core of the CPU budget. */
export function defaultParallel(cpu = cpuBudget()): number {
  return Math.max(1, Math.floor(cpu * MEMBERS_PER_CORE));
}

/** `i/n` (or JOB_COMPLETION_INDEX with SCALER_SHARDS) → the shard this process takes, or undefined. */
export function shardOf(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): { index: number; count: number } | undefined {
  const text =
    flag ??
    (env['JOB_COMPLETION_INDEX'] !== undefined
      ? `${env['JOB_COMPLETION_INDEX']}/${env['SCALER_SHARDS'] ?? ''}`
      : undefined);
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) {
    const from = flag !== undefined ? '--shard' : 'JOB_COMPLETION_INDEX / SCALER_SHARDS';
    const message = `${JSON.stringify(text)} is not i/n with 0 ≤ i < n (e.g. 0/2)`;
    throw new InvalidArgumentError([{ path: from, message }], from === '--shard' ? 'argument' : 'environment');
  }
  return { index, count };
}

/** The shard a member belongs to: its target key's hash (stable, so a target stays with its state). */
export function memberShard(member: FleetMember, count: number): number {
  const key = member.config ? targetKey(member.config.target) : member.source;
  return createHash('sha256').update(key).digest().readUInt32BE(0) % count;
}

/** How bad an exit code is, for the fleet's own: interrupted > invalid > failure > conflict > ok. */
function severity(code: number): number {
  const order: number[] = [ExitCode.ok, ExitCode.conflict, ExitCode.failure, ExitCode.invalidInput];
  const i = order.indexOf(code);
  return i >= 0 ? i : order.length; // 124, 130, 143: interrupted
}

/**
 * Runs the members, at most `parallel` at once and none started while the event loop is late;
 * `run` is one member's whole cycle (it throws what a single run would), given the member's source.
 * `onOutcome` sees each as it ends, in the order they end.
 */
export async function runFleet(
  members: FleetMember[],
  run: (config: ScalerConfig, source: string) => Promise<{ record: unknown; exitCode: number }>,
  options: FleetOptions,
  onOutcome: (o: MemberOutcome) => void = () => undefined,
): Promise<FleetResult> {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const lagLimitNs = (options.lagLimitMs ?? LAG_LIMIT_MS) * 1e6;
  const outcomes: MemberOutcome[] = [];
  const queue = [...members];
  let running = 0;
  const worker = async (): Promise<void> => {
    for (let member = queue.shift(); member; member = queue.shift()) {
      // The generator is shared: while its loop is late, wait for running members to finish.
      while (running > 0 && lag.percentile(99) > lagLimitNs && !options.signal?.aborted) {
        lag.reset();
        // Ended at once by an interruption: the loop then stops waiting, and runMember says so.
        await wait(250, options.signal).catch(() => undefined);
      }
      running++;
      const outcome = await runMember(member, run, options.signal);
      running--;
      outcomes.push(outcome);
      onOutcome(outcome);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel, members.length)) }, worker));
  } finally {
    lag.disable();
  }
  const exitCode = outcomes.reduce((worst, o) => (severity(o.exitCode) > severity(worst) ? o.exitCode : worst), 0);
  return { outcomes, exitCode, summary: summarize(outcomes) };
}

async function runMember(
  member: FleetMember,
  run: (config: ScalerConfig, source: string) => Promise<{ record: unknown; exitCode: number }>,
  signal: AbortSignal | undefined,
): Promise<MemberOutcome> {
  const { source } = member;
  if (!member.config) return { source, exitCode: exitCodeOf(member.error), error: messageOf(member.error) };
  if (signal?.aborted) return { source, exitCode: exitCodeOf(signal.reason), error: messageOf(signal.reason) };
  try {
    const { record, exitCode } = await run(member.config, source);
    return { source, exitCode, record };
  } catch (err) {
    if (err instanceof DuplicateEventError)
      return { source, exitCode: ExitCode.ok, error: messageOf(err), skipped: true };
    const record = (err as { result?: { record?: unknown } }).result?.record;
    return { source, exitCode: exitCodeOf(err), error: messageOf(err), ...(record ? { record } : {}) };
  }
}

/** The exit codes of a run a signal or the deadline stopped (124, 130, 143): interrupted, not failed. */
const INTERRUPTED: readonly number[] = [ExitCode.deadline, ExitCode.sigint, ExitCode.sigterm];

/** `3 decided, 1 conflict, 1 failed, 1 invalid, 2 interrupted: fleet/b.yaml: …; fleet.yaml#3: …` */
export function summarize(outcomes: MemberOutcome[]): string {
  const count = (f: (o: MemberOutcome) => boolean): number => outcomes.filter(f).length;
  const skipped = outcomes.filter((o) => o.skipped);
  const decided = count((o) => o.exitCode === ExitCode.ok && !o.skipped);
  const parts = [`${decided} decided`];
  const event = /^event (\S+)/.exec(skipped[0]?.error ?? '')?.[1];
  if (skipped.length) parts.push(`${skipped.length} skipped (event ${event ?? ''} already handled)`);
  const conflicts = count((o) => o.exitCode === ExitCode.conflict);
  const invalid = count((o) => o.exitCode === ExitCode.invalidInput);
  const interrupted = count((o) => INTERRUPTED.includes(o.exitCode));
  const failed = outcomes.length - decided - skipped.length - conflicts - invalid - interrupted;
  if (conflicts) parts.push(plural(conflicts, 'conflict'));
  if (failed) parts.push(`${failed} failed`);
  if (invalid) parts.push(`${invalid} invalid`);
  if (interrupted) parts.push(`${interrupted} interrupted`);
  const said = (o: MemberOutcome): string | undefined =>
    o.error ?? (o.record as { message?: string } | undefined)?.message;
  const errors = outcomes
    .filter((o) => o.exitCode !== ExitCode.ok)
    .map((o) => `${o.source}: ${said(o) ?? `exit ${o.exitCode}`}`);
  return `${parts.join(', ')}${errors.length ? `: ${errors.join('; ')}` : ''}`;
}
