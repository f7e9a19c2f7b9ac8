// The decision: a pure function of (observations, target status, stored state, policy, now).
// No I/O, no clock: `now` is passed in, the new state is returned, nothing is mutated.
// DESIGN §4 is the contract; the LPA defaults reproduce the Locust Pod Autoscaler where only the
// scaler changes the replicas and the service answers. Three steps, as HPA keeps them apart: the
// recommendation (draft, here), the limits (limits.ts), the outcome said and recorded (outcome.ts).
import { emptyRecord } from '../model/state-record.ts';
import { evaluateTargets, failureSummary, generatorEffect, round, type TargetEvaluation } from './evaluate.ts';
import { applyLimits } from './limits.ts';
import type { ModelView } from './model.ts';
import { modelDecay, modelOf, notScalable, sizedBy } from './model-policy.ts';
import { outcome } from './outcome.ts';
import { neededWithin, runs } from './stabilization.ts';
import type { Context, DecideInput, Decision, Draft, Policy, Reason } from './types.ts';

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

function draft(ctx: Context): Draft {
  const { input, current, evaluations, failures } = ctx;
  const { policy, status } = input;
  const hold = (reason: Reason, why: string, extra: Partial<Draft> = {}): Draft => ({
    reason,
    desired: current,
    why,
    calm: false,
    ...extra,
  });

  if (current === 0) {
    const min = Math.max(policy.replicas.min, 0);
    const why = min > 0 ? `target has 0 replicas, below min ${min}` : 'target has 0 replicas; no load sent';
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
  const view = policy.scaleUp.mode === 'model' ? ctx.model?.view : undefined;
  const failing = failures !== undefined && failures.ratio > policy.decay.maxFailureRatio;
  if (breached.length > 0) {
    // A measured breach wins over unmeasured targets (DESIGN §4.2).
    const missing = unmeasured.length > 0 ? `; ${unmeasured.map((e) => e.text).join('; ')}` : '';
    const why = breached.map((e) => e.text).join('; ') + missing;
    if (view?.notScalable) return notScalable(current, view.notScalable, why, failing);
    if (view?.draining && !failing) {
      const drain = 'the latency fell by a fifth since the scale-up from an overloaded run: its backlog draining';
      return hold('TargetBreached', `${why}; ${drain}, not more load (acting if the next run is no better)`);
    }
    // One run past a target by less than the latency's own noise, after a run that asked for nothing,
    // is no evidence of more load: the model acts when the next run shows it too (as on its headroom).
    const askedBefore = view?.earlier !== undefined && view.earlier > current;
    if (view && !failing && !askedBefore && withinNoise(ctx, breached, view.noise)) {
      const noise = `±${Math.round(view.noise * 100)}%`;
      return hold(
        'TargetBreached',
        `${why}, within the latency's run-to-run noise (${noise}): acting if the next run agrees`,
      );
    }
    return {
      reason: 'TargetBreached',
      desired: scaleUpTo(current, measured, policy, view),
      why: view ? `${why}; ${sizedBy(view, current)}` : why,
      calm: false,
    };
  }
  if (unmeasured.length > 0) return probeFailed(ctx, unmeasured.map((e) => e.text).join('; '));

  const within = measured.map((e) => e.text).join('; ');
  if (failing) {
    const why = `${failures.text} > ${round(policy.decay.maxFailureRatio * 100)}%`;
    if (view?.notScalable) return notScalable(current, view.notScalable, why, true);
    // The model sizes a service failing under load from the share it still serves (goodput).
    if (view?.need !== undefined && view.need > current) {
      const desired = view.doubting ? current + policy.scaleUp.step : view.need;
      return { reason: 'FailingService', desired, why: `${why}; ${sizedBy(view, current)}`, calm: false };
    }
    return hold('FailingService', why, { neverDown: true });
  }
  if (settle === 'no-decay') {
    return hold('NotSettled', `${within} within target; not settled: ${status.notSettled!.reason}, so no decay`);
  }
  if (view?.needEarly !== undefined && view.needEarly > current) {
    const why = `${within} within target, but ${sizedBy(view, current)}`;
    return { reason: 'Headroom', desired: view.needEarly, why, calm: false };
  }
  if (policy.decay.mode === 'model' && ctx.model?.view) return modelDecay(ctx, ctx.model.view, within);
  const maxLoad = policy.decay.maxLoad;
  const heaviest = Math.max(...measured.map((e) => e.load ?? 0));
  if (maxLoad !== undefined && heaviest > maxLoad) {
    return hold(
      'DecayGuarded',
      `${within}; load ${round(heaviest)} of target above decay.maxLoad ${maxLoad}: not calm`,
    );
  }
  return calmRun(ctx, within);
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

function calmRun(ctx: Context, within: string): Draft {
  const { current, calmBefore, input } = ctx;
  const { decay, replicas, stabilization } = input.policy;
  const due = calmBefore >= decay.unchangedRuns && decay.replicas > 0;
  if (!due) {
    const left =
      decay.replicas > 0
        ? `; ${calmBefore} of ${decay.unchangedRuns} calm ${runs(decay.unchangedRuns)} before decay`
        : '';
    return { reason: 'WithinTargets', desired: current, why: `${within} within target${left}`, calm: true };
  }
  if (current <= replicas.min) {
    // Nothing to decay at the floor: say so, and keep counting (LPA reset its counter here).
    const why = `${within} within target; at replicas.min ${replicas.min}, nothing to decay`;
    return { reason: 'WithinTargets', desired: current, why, calm: true };
  }
  const desired = current - decay.replicas;
  const floor = neededWithin(ctx.prior, stabilization.downscaleWindow, input.now);
  if (floor !== undefined && floor > desired) {
    const to = Math.min(floor, current);
    const window = `${floor} replicas were needed within the stabilization window`;
    const why = `${within}; ${calmBefore} calm ${runs(calmBefore)}, but ${window}`;
    return { reason: 'Stabilizing', desired: to, why, calm: true };
  }
  return { reason: 'Decay', desired, why: `${calmBefore} calm ${runs(calmBefore)}`, calm: true };
}

/** Every breached target a latency, past its limit by less than the noise of the latency. */
function withinNoise(ctx: Context, breached: TargetEvaluation[], noise: number): boolean {
  const { targets } = ctx.input.policy;
  return breached.every((e) => {
    const spec = targets[ctx.evaluations.indexOf(e)];
    const latency = spec !== undefined && spec.type.kind !== 'failureRatio' && spec.type.kind !== 'rps';
    return latency && e.value !== null && e.value / (1 + noise) <= e.limit * (1 + spec.tolerance);
  });
}

function scaleUpTo(
  current: number,
  evaluations: TargetEvaluation[],
  policy: Policy,
  view: ModelView | undefined,
): number {
  const { mode, step, maxStep } = policy.scaleUp;
  if (mode === 'step') return current + step;
  // The model: its count in one step, at least one more; until it can tell, a step.
  // After a scale-up that did not help, one step: a test whether more replicas help at all.
  if (mode === 'model') {
    return view?.need !== undefined && !view.doubting ? Math.max(view.need, current + 1) : current + step;
  }
  // Proportional, as HPA: enough replicas to bring the worst ratio back to 1, at least one more.
  const worst = Math.max(...evaluations.map((e) => e.load ?? 0));
  const wanted = Number.isFinite(worst) ? Math.ceil(current * worst) : current + maxStep;
  return Math.min(Math.max(wanted, current + 1), current + maxStep);
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
    state: ctx.prior, // a paused target's state is left as it was
  };
}

/** The draft through its limits to the decision. */
function finish(ctx: Context, d: Draft): Decision {
  return outcome(ctx, d, applyLimits(ctx, d));
}
