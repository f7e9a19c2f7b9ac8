// The decision: a pure function of (observations, target status, stored state, policy, now).
// No I/O, no clock: `now` is passed in, the new state is returned, nothing is mutated.
import type { ScalerConfig } from '../config/types.ts';
import type { Observations } from '../loadtest/types.ts';
import { appendHistory, emptyRecord, type StateRecord } from '../state/types.ts';
import type { TargetStatus } from '../target/types.ts';
import { evaluateTargets, round, type TargetEvaluation } from './evaluate.ts';

export type Reason =
  | 'TargetBreached' // scale up: a target is missed
  | 'Decay' // scale down: enough runs without change
  | 'WithinTargets' // hold
  | 'DecayGuarded' // hold: decay due but load above decay.maxLoad
  | 'Stabilizing' // hold or smaller step down: a higher recommendation within the window
  | 'ProbeFailed' // nothing measured: never down
  | 'Paused'
  | 'ZeroReplicas' // scaled to zero by someone: no load sent
  | 'NotSettled'; // the previous change is not in effect yet

export type Policy = Pick<ScalerConfig, 'replicas' | 'targets' | 'scaleUp' | 'decay' | 'onProbeFailure' | 'stabilization' | 'settle' | 'historyLimit'>;

export interface DecideInput {
  targetKey: string;
  status: TargetStatus;
  record: StateRecord | null;
  observations?: Observations | undefined;
  probeError?: string | undefined; // the load test itself failed
  policy: Policy;
  now: number; // epoch ms
}

export interface Decision {
  action: 'up' | 'down' | 'hold';
  reason: Reason;
  message: string; // `scale up 2→3: GET /x mean 12.4 ms > 7 ms`
  current: number;
  desired: number; // before bounds
  applied: number; // after bounds: what is set
  limitedBy?: 'min' | 'max';
  manualChange: boolean; // someone else changed the replicas since our last run
  probeFailed: boolean;
  evaluations: TargetEvaluation[];
  state: StateRecord; // the record to store
}

export function decide(input: DecideInput): Decision {
  const { status, policy, now } = input;
  const prior = input.record ?? emptyRecord(input.targetKey);
  const current = status.replicas;
  const manualChange = prior.lastReplicas !== null && prior.lastReplicas !== current;
  // A change by someone else restarts the count of runs without change (DESIGN §4.5).
  const runs = manualChange ? 0 : prior.runsSinceChange;
  const evaluations = evaluateTargets(policy.targets, input.observations);
  const base = { current, manualChange, evaluations };

  if (status.paused) {
    return finish(input, prior, { ...base, action: 'hold', reason: 'Paused', desired: current, probeFailed: false, why: 'paused by annotation latency-scaler.io/paused' }, runs);
  }
  if (current === 0) {
    const desired = Math.max(policy.replicas.min, 0);
    const why = desired > 0 ? `target has 0 replicas, below min ${desired}` : 'target has 0 replicas; no load sent';
    return finish(input, prior, { ...base, action: desired > 0 ? 'up' : 'hold', reason: 'ZeroReplicas', desired, probeFailed: false, why }, runs);
  }

  let unsettledSince: string | null = null;
  if (status.notSettled && policy.settle.timeoutMs > 0) {
    unsettledSince = prior.unsettledSince ?? new Date(now).toISOString();
    const waited = now - Date.parse(unsettledSince);
    if (waited < policy.settle.timeoutMs) {
      return finish(input, prior, { ...base, action: 'hold', reason: 'NotSettled', desired: current, probeFailed: false, why: `not settled: ${status.notSettled}`, unsettledSince }, runs);
    }
  }

  const unmeasured = evaluations.filter((e) => e.value === null);
  if (input.probeError !== undefined || unmeasured.length > 0) {
    const what = input.probeError ?? unmeasured.map((e) => e.text).join('; ');
    const up = policy.onProbeFailure === 'scaleUp';
    return finish(input, prior, { ...base, action: up ? 'up' : 'hold', reason: 'ProbeFailed', desired: up ? current + policy.scaleUp.step : current, probeFailed: true, why: `probe failed: ${what}`, unsettledSince }, runs);
  }

  const breached = evaluations.filter((e) => e.breached);
  if (breached.length > 0) {
    return finish(input, prior, { ...base, action: 'up', reason: 'TargetBreached', desired: scaleUpTo(current, evaluations, policy), probeFailed: false, why: breached.map((e) => e.text).join('; '), unsettledSince }, runs);
  }

  const within = evaluations.map((e) => e.text).join('; ');
  if (runs >= policy.decay.unchangedRuns && policy.decay.replicas > 0 && current <= policy.replicas.min) {
    // Nothing to decay at the floor: say so, and keep counting (LPA reset its counter here).
    return finish(input, prior, { ...base, action: 'hold', reason: 'WithinTargets', desired: current, probeFailed: false, why: `${within} within target; at replicas.min ${policy.replicas.min}, nothing to decay`, unsettledSince }, runs);
  }
  if (runs >= policy.decay.unchangedRuns && policy.decay.replicas > 0) {
    const maxLoad = policy.decay.maxLoad;
    const heaviest = Math.max(...evaluations.map((e) => e.load ?? 0));
    if (maxLoad !== undefined && heaviest > maxLoad) {
      return finish(input, prior, { ...base, action: 'hold', reason: 'DecayGuarded', desired: current, probeFailed: false, why: `${within}; decay held: load ${round(heaviest)} of target above decay.maxLoad ${maxLoad}`, unsettledSince }, runs);
    }
    const desired = current - policy.decay.replicas;
    const floor = stabilizedFloor(prior, policy, now);
    if (floor !== undefined && floor > desired) {
      const to = Math.min(floor, current);
      return finish(input, prior, { ...base, action: to < current ? 'down' : 'hold', reason: 'Stabilizing', desired: to, probeFailed: false, why: `${within}; ${runs} runs without change, but ${floor} replicas were recommended within the stabilization window`, unsettledSince }, runs);
    }
    return finish(input, prior, { ...base, action: 'down', reason: 'Decay', desired, probeFailed: false, why: `${runs} runs without change`, unsettledSince }, runs);
  }
  const left = policy.decay.replicas > 0 ? `; ${runs} of ${policy.decay.unchangedRuns} runs before decay` : '';
  return finish(input, prior, { ...base, action: 'hold', reason: 'WithinTargets', desired: current, probeFailed: false, why: `${within} within target${left}`, unsettledSince }, runs);
}

function scaleUpTo(current: number, evaluations: TargetEvaluation[], policy: Policy): number {
  const { mode, step, maxStep } = policy.scaleUp;
  if (mode === 'step') return current + step;
  // Proportional, as HPA: enough replicas to bring the worst ratio back to 1, at least one more.
  const worst = Math.max(...evaluations.map((e) => e.load ?? 0));
  const wanted = Number.isFinite(worst) ? Math.ceil(current * worst) : current + maxStep;
  return Math.min(Math.max(wanted, current + 1), current + maxStep);
}

/** The highest recommendation within the downscale window (HPA's stabilization), if any. */
function stabilizedFloor(prior: StateRecord, policy: Policy, now: number): number | undefined {
  const window = policy.stabilization.downscaleWindowMs;
  if (window <= 0) return undefined;
  const recent = prior.history.filter((h) => now - Date.parse(h.at) <= window).map((h) => h.desired);
  return recent.length > 0 ? Math.max(...recent) : undefined;
}

interface Draft {
  action: Decision['action'];
  reason: Reason;
  desired: number;
  current: number;
  manualChange: boolean;
  probeFailed: boolean;
  evaluations: TargetEvaluation[];
  why: string;
  unsettledSince?: string | null;
}

function finish(input: DecideInput, prior: StateRecord, d: Draft, runs: number): Decision {
  const { min, max } = input.policy.replicas;
  let applied = Math.min(Math.max(d.desired, min), max);
  // Nothing measured is no reason to remove capacity, not even to reach max: the run exits 1.
  if (d.probeFailed && applied < d.current) applied = d.current;
  if (d.reason === 'Paused' || (d.reason === 'ZeroReplicas' && d.desired === 0)) applied = d.current;
  const limitedBy = applied < d.desired ? 'max' : applied > d.desired ? 'min' : undefined;
  const action = applied > d.current ? 'up' : applied < d.current ? 'down' : 'hold';
  const message = describe(action, d, applied, limitedBy, input.policy);
  const at = new Date(input.now).toISOString();
  const changed = applied !== d.current;
  const state: StateRecord = d.reason === 'Paused' ? prior : {
    ...prior,
    // Counters reset only when the count really changes: a decay clamped at min is no change.
    runsSinceChange: changed ? 0 : runs + 1,
    lastReplicas: applied,
    lastRunAt: at,
    lastScaleAt: changed ? at : prior.lastScaleAt,
    unsettledSince: changed ? null : d.unsettledSince ?? null,
    history: appendHistory(prior.history, {
      at, current: d.current, desired: d.desired, applied, action, reason: message,
      observations: d.evaluations.map((e) => ({ target: e.target, value: e.value, limit: e.limit })),
    }, input.policy.historyLimit),
  };
  return { action, reason: d.reason, message, current: d.current, desired: d.desired, applied, ...(limitedBy ? { limitedBy } : {}), manualChange: d.manualChange, probeFailed: d.probeFailed, evaluations: d.evaluations, state };
}

function describe(action: Decision['action'], d: Draft, applied: number, limitedBy: string | undefined, policy: Policy): string {
  const verb = action === 'up' ? 'scale up' : action === 'down' ? (d.reason === 'Decay' ? 'decay' : 'scale down') : 'hold';
  const arrow = action === 'hold' ? ` at ${applied}` : ` ${d.current}→${applied}`;
  const bound = limitedBy === 'max' ? ` (limited by max ${policy.replicas.max})` : limitedBy === 'min' ? ` (limited by min ${policy.replicas.min})` : '';
  const manual = d.manualChange ? ' [replicas changed by someone else since the last run]' : '';
  return `${verb}${arrow}: ${d.why}${bound}${manual}`;
}
