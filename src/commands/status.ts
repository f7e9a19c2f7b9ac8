// `latency-scaler status`: what the scaler thinks, at a glance, as `kubectl get hpa` shows an HPA —
// read from the target and the state store only (no load is sent, nothing is written).
import type { FleetMember } from '../config/load.ts';
import { typeOfTarget, withUnit } from '../config/target-type.ts';
import { describeTarget, type ScalerConfig } from '../config/types.ts';
import { messageOf } from '../errors.ts';
import type { StateRecord } from '../model/state-record.ts';
import type { PendingPods, TargetStatus } from '../model/target-status.ts';
import { createScaleTarget } from '../target/index.ts';
import { printJson, type CommandContext } from './context.ts';
import { openStateStore } from './state-home.ts';
import { plural } from '../plural.ts';

export interface StatusRow {
  target: string;
  replicas: number | null;
  min: number;
  max: number;
  /** Each target's last value against its limit: `mean 12.4 ms/7 ms`. */
  targets: string[];
  /** Calm runs still needed before a decay; null when no decay can come (none configured, at min). */
  decayIn: number | null;
  lastDecision: string | null;
  lastRunAt: string | null;
  /** The last run that decided on a measurement (probe failures are no success). */
  lastSuccessAt: string | null;
  /** The schedule's period as the history shows it (the median gap between runs), ms. */
  periodMs: number | null;
  /** No success within two periods: the schedule, the image or the service may be broken. */
  stale: boolean;
  paused: string; // no, yes, replicas=N, scale-down
  /** The target's pods not running yet (those the cluster cannot place among them), when any. */
  pending?: PendingPods;
  state: string;
  error?: string;
}

export async function statusCommand(members: FleetMember[], ctx: CommandContext, wide: boolean): Promise<number> {
  const rows = await Promise.all(members.map((m) => (m.config ? statusOf(m.config, ctx) : invalidRow(m))));
  if (ctx.output === 'json') printJson(ctx, rows);
  else ctx.out(table(rows, ctx.now(), wide));
  return rows.some((r) => r.error) ? 1 : 0;
}

/** A row before anything is read: no replicas, no decision, no state. */
function blankRow(target: string, min: number, max: number): StatusRow {
  const never = { lastDecision: null, lastRunAt: null, lastSuccessAt: null, periodMs: null, stale: false };
  return { target, replicas: null, min, max, targets: [], decayIn: null, ...never, paused: '-', state: '-' };
}

/** A document of the fleet that does not validate: its row says so. */
export function invalidRow(member: FleetMember): StatusRow {
  return { ...blankRow(member.source, 0, 0), error: messageOf(member.error) };
}

/** One target's row, read from its target and state store (the console's overview shows the same). */
export async function statusOf(
  config: ScalerConfig,
  ctx: Pick<CommandContext, 'env' | 'signal' | 'now'>,
): Promise<StatusRow> {
  const row = blankRow(describeTarget(config.target), config.replicas.min, config.replicas.max);
  try {
    const [store, target] = await Promise.all([
      openStateStore(config, ctx, 'read'),
      createScaleTarget(config, ctx.env),
    ]);
    row.state = store.describe();
    const [{ record }, status] = await Promise.all([store.read(ctx.signal), target.read(ctx.signal)]);
    Object.assign(row, fromRecord(record, config, status), successOf(record, ctx.now()));
  } catch (err) {
    row.error = messageOf(err);
  }
  return row;
}

function fromRecord(record: StateRecord | null, config: ScalerConfig, status: TargetStatus): Partial<StatusRow> {
  const last = record?.history.at(-1);
  const { unchangedRuns, replicas } = config.decay;
  const canDecay = replicas > 0 && status.replicas > config.replicas.min;
  const paused = status.paused
    ? 'yes'
    : status.pausedReplicas !== undefined
      ? `replicas=${status.pausedReplicas}`
      : status.pausedScaleDown
        ? 'scale-down'
        : 'no';
  return {
    replicas: status.replicas,
    targets: (last?.observations ?? []).map(againstLimit),
    // The decaying run is itself calm and comes after unchangedRuns calm runs.
    decayIn: canDecay && record ? Math.max(1, unchangedRuns - record.calmRuns + 1) : null,
    lastDecision: last?.reason ?? null,
    lastRunAt: record?.lastRunAt ?? null,
    paused,
    ...(status.pending ? { pending: status.pending } : {}),
  };
}

/**
 * When the target last decided successfully, and whether that is too long ago: more than two periods of
 * its schedule, the period read from the history (the median gap between runs — a CronJob's schedule,
 * whatever it is). A Job that stopped running (an image pull error, a broken config, an expired token)
 * shows here, as nothing else fails loudly.
 */
export function successOf(
  record: StateRecord | null,
  now: number,
): Pick<StatusRow, 'lastSuccessAt' | 'periodMs' | 'stale'> {
  const times = (record?.history ?? []).map((h) => Date.parse(h.at)).filter((t) => Number.isFinite(t));
  const gaps = times
    .slice(1)
    .map((t, i) => t - times[i]!)
    .filter((g) => g > 0)
    .sort((a, b) => a - b);
  const periodMs = gaps.length >= 2 ? gaps[Math.floor(gaps.length / 2)]! : null;
  const last = record?.lastSuccessAt ?? null;
  const stale = periodMs !== null && (last === null || now - Date.parse(last) > 2 * periodMs);
  return { lastSuccessAt: last, periodMs, stale };
}

/** `mean 12.4 ms/7 ms`, `failureRatio 2%/5%`, `rps 40 req/s/45 req/s`; a production target's as it is. */
function againstLimit(o: { target: string; value: number | null; limit: number }): string {
  const type = typeOfTarget(o.target);
  const value = o.value === null ? '?' : withUnit(o.value, type, round);
  return `${o.target.split(' ').at(-1)} ${value}/${withUnit(o.limit, type)}`;
}

const round = (n: number): string => String(Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100);

/** `42s`, `5m`, `3h`, `2d` since `at`; `-` for never. */
export function age(at: string | null, now: number): string {
  if (!at) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

function table(rows: StatusRow[], now: number, wide: boolean): string {
  const head = [
    'TARGET',
    'REPLICAS',
    'TARGETS',
    'DECAY IN',
    'LAST DECISION',
    'AGE',
    'LAST SUCCESS',
    'PAUSED',
    ...(wide ? ['STATE'] : []),
  ];
  const cells = rows.map((r) => {
    const decision = r.error ? `error: ${r.error}` : (r.lastDecision ?? '-');
    return [
      r.target,
      `${r.replicas ?? '?'}/${r.min}/${r.max}${pendingText(r.pending)}`,
      r.targets.join(', ') || '-',
      r.decayIn === null ? '-' : plural(r.decayIn, 'run'),
      wide ? decision : clip(decision, 60),
      age(r.lastRunAt, now),
      `${age(r.lastSuccessAt, now)}${r.stale ? ' STALE' : ''}`,
      r.paused,
      ...(wide ? [r.state] : []),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c
      .map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return `${[head, ...cells].map(line).join('\n')}\n`;
}

/** ` (1 unschedulable)`, ` (1 unschedulable, a node coming)`, ` (2 pending)`: beside the replicas. */
function pendingText(p: PendingPods | undefined): string {
  if (!p) return '';
  if (p.unschedulable === 0) return ` (${p.pods} pending)`;
  return ` (${p.unschedulable} unschedulable${p.scalingUp ? ', a node coming' : ''})`;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
