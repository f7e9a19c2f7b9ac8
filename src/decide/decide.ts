// The decision: a pure function of (observations, target status, stored state, policy, now).
// No I/O, no clock: `now` is passed in, the new state is returned, nothing is mutated.
// DESIGN §4 is the contract; the LPA defaults reproduce the Locust Pod Autoscaler where only the
// scaler changes the replicas and the service answers. Three steps, as HPA keeps them apart: the
// recommendation (draft, here: the safety rules around one policy's seam — lpa-policy.ts or
// model-policy.ts), the limits (limits.ts), the outcome said and recorded (outcome.ts).
import { appendHistory, emptyRecord, type StateRecord } from '../model/state-record.ts';
import { evaluateTargets, failureSummary, generatorEffect, round } from './evaluate.ts';
import { applyLimits } from './limits.ts';
import { lpaRecommendation } from './lpa-policy.ts';
import { modelOf, modelRecommendation } from './model-policy.ts';
import { historyEntry, outcome } from './outcome.ts';
import type { Context, DecideInput, Decision, Draft, Policy, Reason, Recommend } from './types.ts';

export type { DecideInput, Decision, Policy, Reason } from './types.ts';

export function decide(input: DecideInput): Decision {
  const { status, policy, now } = input;
  const prior = input.record ?? emptyRecord(input.targetKey);
  const current = status.replicas;
  const manualChange = prior.lastReplicas !== null && prior.lastReplicas !== current;
  const settling = status.notSettled && policy.settle.timeout > 0 ? status.notSettled : undefined;
  const evaluations = evaluateTargets(policy.targets, input.observations);
  const ctx: Context = {
    input,
    prior,
    current,
    manualChange,
    // A change by someone else restarts the count of calm runs (DESIGN §4.5).
    calmBefore: manualChange ? 0 : prior.calmRuns,
    evaluations,
    failures: failureSummary(input.observations),
    generator: generatorEffect(policy.targets, evaluations, input.observations),
    unsettledSince: settling ? (prior.unsettledSince ?? new Date(now).toISOString()) : null,
    changeInFlightSince: manualChange ? new Date(now).toISOString() : prior.changeInFlightSince,
  };
  ctx.model = modelOf(ctx);
  if (status.paused) return paused(ctx, 'paused by annotation latency-scaler.io/paused');
  const pinned = status.pausedReplicas;
  if (pinned !== undefined && pinned === ctx.current)
    return paused(ctx, `paused at ${pinned} by annotation latency-scaler.io/paused-replicas`);
  if (pinned !== undefined) {
    // KEDA's paused-replicas: go to exactly that count (the operator's explicit number), then hold.
    const why = `paused at ${pinned} by annotation latency-scaler.io/paused-replicas`;
    return finish(ctx, { reason: 'Paused', desired: pinned, why, calm: false, exact: true });
  }
  return finish(ctx, draft(ctx));
}

/**
 * The safety rules, then one policy's recommendation: nothing to measure at zero, a change in flight,
 * a probe that measured nothing, the generator's own delay; then LPA's or the model's seam.
 */
function draft(ctx: Context): Draft {
  const { input, current, evaluations, failures } = ctx;
  const { policy, status } = input;
  const hold = (reason: Reason, why: string): Draft => ({ reason, desired: current, why, calm: false });

  if (current === 0) {
    // At zero no probe can run, but the production load signal can (DESIGN §4.14, §9).
    const rate = input.observations?.production?.rate?.value ?? null;
    const demand = rate !== null && rate > 0;
    const min = Math.max(policy.replicas.min, demand ? 1 : 0);
    const why = demand
      ? `target has 0 replicas and production traffic (${round(rate)} req/s)`
      : min > 0
        ? `target has 0 replicas, below min ${min}`
        : 'target has 0 replicas; no load sent';
    return { reason: 'ZeroReplicas', desired: min, why, calm: false };
  }
  const settle = settleState(ctx);
  if (settle === 'wait') return hold('NotSettled', `not settled: ${status.notSettled!.reason}`);

  const measured = evaluations.filter((e) => e.value !== null);
  const unmeasured = evaluations.filter((e) => e.value === null);
  if (input.probeError !== undefined || measured.length === 0) {
    return probeFailed(ctx, input.probeError ?? unmeasured.map((e) => e.text).join('; '));
  }
  if (failures?.unreachable) return probeFailed(ctx, `the service could not be reached: ${failures.text}`);
  const breached = measured.filter((e) => e.breached);
  const generator = ctx.generator;
  if (breached.length > 0 && generator && breached.every((e) => generator.explained.includes(e))) {
    // Our own lateness is no reason to add replicas; nor is the run calm (DESIGN §4.1).
    const what = breached.map((e) => e.text).join('; ');
    const delay = `the load generator's own delay (${generator.text})`;
    return hold(
      'GeneratorSaturated',
      `${delay} is a material part of ${what}: not scaling up on it; give the scaler more CPU`,
    );
  }
  const failing = failures !== undefined && failures.ratio > policy.decay.maxFailureRatio;
  const recommend = recommenderOf(policy);
  if (breached.length > 0) {
    // A measured breach wins over unmeasured targets (DESIGN §4.2).
    const missing = unmeasured.length > 0 ? `; ${unmeasured.map((e) => e.text).join('; ')}` : '';
    const why = breached.map((e) => e.text).join('; ') + missing;
    return recommend(ctx, { situation: 'breached', measured, breached, failing, why });
  }
  // A probe within and a production signal unmeasured: the probe decides, but the run is not calm
  // (an unmeasured signal is never a reason to go down) and is no probe failure.
  const probeMeasured = measured.some((e) => !e.production);
  const onlyProduction = unmeasured.every((e) => e.production);
  if (unmeasured.length > 0 && (!probeMeasured || !onlyProduction)) {
    return probeFailed(ctx, unmeasured.map((e) => e.text).join('; '));
  }
  if (unmeasured.length > 0 && !failing) {
    const within = measured.map((e) => e.text).join('; ');
    const why = `${within} within target; ${unmeasured.map((e) => e.text).join('; ')}: not calm, no decay`;
    return { reason: 'SignalUnmeasured', desired: current, why, calm: false, neverDown: true };
  }
  if (failing) {
    const why = `${failures.text} > ${round(policy.decay.maxFailureRatio * 100)}%`;
    return recommend(ctx, { situation: 'failing', measured, breached, failing, why });
  }
  const within = measured.map((e) => e.text).join('; ');
  if (settle === 'no-decay')
    return hold('NotSettled', `${within} within target; not settled: ${status.notSettled!.reason}, so no decay`);
  return recommend(ctx, { situation: 'within', measured, breached, failing, why: within });
}

/** The policy whose recommendation the safety rules wrap: the model where either mode names it, else LPA's. */
function recommenderOf(policy: Policy): Recommend {
  return policy.scaleUp.mode === 'model' || policy.decay.mode === 'model' ? modelRecommendation : lpaRecommendation;
}

/**
 * A change in flight (a rollout; new replicas starting after a change by us or by someone else, until
 * a run sees the target settled) is waited for, so a slow start-up is not answered with a second
 * scale-up (overshoot). Replicas that stop being ready with no change in flight (overload failing
 * readiness probes) are not waited for: a breach still scales up, only decay waits. After
 * settle.timeout — from the first unsettled run, or from the change — neither.
 */
function settleState(ctx: Context): 'settled' | 'wait' | 'no-decay' {
  const { input, unsettledSince, changeInFlightSince } = ctx;
  const notSettled = input.status.notSettled;
  const timeout = input.policy.settle.timeout;
  if (!notSettled || timeout <= 0 || unsettledSince === null) return 'settled';
  if (input.now - Date.parse(unsettledSince) >= timeout) return 'settled';
  const recentChange = changeInFlightSince !== null && input.now - Date.parse(changeInFlightSince) < timeout;
  return notSettled.kind === 'rollout' || recentChange ? 'wait' : 'no-decay';
}

function probeFailed(ctx: Context, what: string): Draft {
  const { policy } = ctx.input;
  const up = policy.onProbeFailure === 'scaleUp';
  const desired = up ? ctx.current + policy.scaleUp.step : ctx.current;
  return {
    reason: 'ProbeFailed',
    desired,
    why: `probe failed: ${what}`,
    calm: false,
    neverDown: true,
    probeFailed: true,
  };
}

function paused(ctx: Context, why: string): Decision {
  const { current } = ctx;
  const message = `hold at ${current}: ${why}`;
  return {
    action: 'hold',
    reason: 'Paused',
    message,
    current,
    desired: current,
    applied: current,
    manualChange: ctx.manualChange,
    probeFailed: false,
    calm: false,
    evaluations: ctx.evaluations,
    failures: ctx.failures,
    state: pausedState(ctx, message),
  };
}

/**
 * A paused target's counters are left as they were (the calm count, the last replicas a change by hand
 * is told from, the model); the run itself is recorded — its time and a history entry — so `status`
 * and the history show a paused target as running, as its metrics do.
 */
function pausedState(ctx: Context, message: string): StateRecord {
  const { prior, current, input } = ctx;
  const entry = historyEntry(ctx, {
    desired: current,
    applied: current,
    needed: current,
    action: 'hold',
    reason: message,
  });
  return {
    ...prior,
    lastRunAt: entry.at,
    lastSuccessAt: entry.at,
    history: appendHistory(prior.history, entry, input.policy.history.limit),
  };
}

/** The draft through its limits to the decision. */
function finish(ctx: Context, d: Draft): Decision {
  return outcome(ctx, d, applyLimits(ctx, d));
}
