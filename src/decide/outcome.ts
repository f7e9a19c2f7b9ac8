// What a decision says and keeps: the sentence for humans, the history entry and the record to
// store, and the decision record itself. Pure.
import { formatDuration } from '../config/duration.ts';
import { appendHistory, type HistoryEntry, type StateRecord } from '../model/state-record.ts';
import { MATERIAL_LAG_SHARE, type FailureSummary } from './evaluate.ts';
import type { Limited } from './limits.ts';
import { modelStateAfter } from './model-policy.ts';
import type { Context, Decision, Draft } from './types.ts';
import { plural, word } from '../plural.ts';

/** The decision from a draft and its limits: action, message, the next state. */
export function outcome(ctx: Context, d: Draft, limited: Limited): Decision {
  const { current } = ctx;
  const { applied, limitedBy } = limited;
  const action = applied > current ? 'up' : applied < current ? 'down' : 'hold';
  const paused = limited.scaleDownPaused
    ? ' (scale-down paused by annotation latency-scaler.io/paused-scale-down)'
    : '';
  const held = paused + (limited.keptAtOne ? ` (not to 0: ${limited.keptAtOne})` : '');
  const message = describe(ctx, d, action, limited) + held;
  // A scale-up held for the cluster's capacity says so in its reason code (DESIGN §4.13); a probe
  // failure stays one (its sentence says the rest).
  const capacity = d.probeFailed ? undefined : limited.capacity;
  const reason = capacity === 'waiting' ? 'WaitingForNode' : capacity === 'unschedulable' ? 'Unschedulable' : d.reason;
  return {
    action,
    reason,
    message,
    current,
    desired: d.desired,
    applied,
    ...(limitedBy ? { limitedBy } : {}),
    manualChange: ctx.manualChange,
    probeFailed: d.probeFailed ?? false,
    calm: d.calm,
    evaluations: ctx.evaluations,
    failures: ctx.failures,
    ...unreliable(ctx),
    state: nextState(ctx, d, applied, action, message),
  };
}

/** The record to store: counters, times, the change in flight, the model, and the history entry. */
function nextState(ctx: Context, d: Draft, applied: number, action: Decision['action'], message: string): StateRecord {
  const { input, prior, current } = ctx;
  const at = new Date(input.now).toISOString();
  const changed = applied !== current;
  // A calm run needs fewer replicas than it has; a run that could not tell needs what it has; the
  // model says what it needs (a halving step down may apply more than that).
  const usual = changed ? applied : d.calm ? current - input.policy.decay.replicas : current;
  const needed = d.needed ?? usual;
  const entry = historyEntry(ctx, { desired: d.desired, applied, needed, action, reason: message });
  return {
    ...prior,
    calmRuns: changed || !d.calm ? 0 : ctx.calmBefore + 1,
    lastReplicas: applied,
    lastRunAt: at,
    lastSuccessAt: d.probeFailed ? prior.lastSuccessAt : at,
    lastScaleAt: changed ? at : prior.lastScaleAt,
    unsettledSince: changed ? null : ctx.unsettledSince,
    // In flight from our change; over once a run sees the target settled.
    changeInFlightSince: changed ? at : input.status.notSettled ? ctx.changeInFlightSince : null,
    ...(ctx.model ? { model: modelStateAfter(ctx, d, applied) } : {}),
    history: appendHistory(prior.history, entry, input.policy.history.limit),
  };
}

/** A run's history entry: what it decided, with its observations and failures. Paused runs record one too. */
export function historyEntry(
  ctx: Context,
  d: Pick<HistoryEntry, 'desired' | 'applied' | 'needed' | 'action' | 'reason'>,
): HistoryEntry {
  const at = new Date(ctx.input.now).toISOString();
  const observations = ctx.evaluations.map((e) => ({ target: e.target, value: e.value, limit: e.limit }));
  const failed = ctx.failures && ctx.failures.failures > 0 ? { failures: failuresEntry(ctx.failures) } : {};
  return { at, current: ctx.current, ...d, observations, ...failed };
}

/** The generator's delay as a material share of a measured latency: said in the record. */
function unreliable(ctx: Context): { unreliable?: string } {
  const g = ctx.generator;
  if (!g || g.share < MATERIAL_LAG_SHARE) return {};
  return { unreliable: `the load generator's own delay was ${Math.round(g.share * 100)}% of a latency (${g.text})` };
}

function describe(ctx: Context, d: Draft, action: Decision['action'], limited: Limited): string {
  const { applied, limitedBy } = limited;
  const { policy } = ctx.input;
  const verb =
    action === 'up' ? 'scale up' : action === 'down' ? (d.reason === 'Decay' ? 'decay' : 'scale down') : 'hold';
  const arrow = action === 'hold' ? ` at ${applied}` : ` ${ctx.current}→${applied}`;
  const bound =
    limitedBy === 'max'
      ? ` (limited by max ${policy.replicas.max})`
      : limitedBy === 'min'
        ? ` (limited by min ${policy.replicas.min})`
        : '';
  const manual = ctx.manualChange ? ' [replicas changed by someone else since the last run]' : '';
  return `${verb}${arrow}: ${d.why}${bound}${capacityNote(ctx, limited)}${manual}`;
}

/**
 * What pods the cluster cannot place mean for this decision, in words: the scheduler's message, or
 * the node a cluster autoscaler is adding. Said whenever there are some; as the reason of a hold
 * when they held a scale-up.
 */
function capacityNote(ctx: Context, limited: Limited): string {
  const pending = ctx.input.status.pending;
  if (!pending || pending.unschedulable === 0) return '';
  const n = pending.unschedulable;
  const pods = plural(n, 'pod');
  const scheduler = pending.message ? ` (${pending.message})` : '';
  const node = `for a node a cluster autoscaler is adding (TriggeredScaleUp)`;
  if (limited.capacity === 'unschedulable')
    return `; but ${pods} cannot be scheduled${scheduler}: no replica added until the cluster has room`;
  if (limited.capacity === 'waiting') {
    const placed = word(n, 'it is placed', 'they are placed');
    if (pending.scalingUp) return `; but ${pods} ${word(n, 'waits', 'wait')} ${node}: no replica added until ${placed}`;
    const since = pending.since === undefined ? 0 : ctx.input.now - Date.parse(pending.since);
    const timeout = formatDuration(ctx.input.policy.settle.timeout);
    const age = `${Math.max(0, Math.round(since / 1000))} s`;
    const wait = `unschedulable for ${age}, less than settle.timeout ${timeout}${scheduler}`;
    return `; but ${pods} ${word(n, 'has', 'have')} been ${wait}: waiting for a node, no replica added`;
  }
  return pending.scalingUp
    ? `; ${pods} ${word(n, 'waits', 'wait')} ${node}`
    : `; ${pods} cannot be scheduled${scheduler}`;
}

/** A run's failures as its history entry keeps them: the share, and the count of each kind. */
function failuresEntry(f: FailureSummary): { ratio: number; kinds: Record<string, number> } {
  return { ratio: Math.round(f.ratio * 10_000) / 10_000, kinds: f.kinds };
}
