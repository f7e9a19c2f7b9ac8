// The decision's vocabulary: its input, its output, and what passes between its steps (decide.ts
// recommends, limits.ts bounds, outcome.ts says and records, model-policy.ts the model's branches).
import type { ScalerConfig } from '../config/types.ts';
import type { Observations } from '../model/observations.ts';
import type { ModelState, StateRecord } from '../model/state-record.ts';
import type { TargetStatus } from '../model/target-status.ts';
import type { FailureSummary, GeneratorEffect, TargetEvaluation } from './evaluate.ts';
import type { ModelView } from './model.ts';

export type Reason =
  | 'TargetBreached' // scale up: a measured target is missed
  | 'Decay' // scale down: enough calm runs
  | 'WithinTargets' // hold: a calm run
  | 'DecayGuarded' // hold: within target, but above decay.maxLoad: not calm
  | 'Stabilizing' // hold or smaller step down: a higher need within the window
  | 'FailingService' // hold: failures above decay.maxFailureRatio: never down
  | 'ProbeFailed' // a target could not be measured: never down
  | 'Paused'
  | 'ZeroReplicas' // scaled to zero by someone: no load sent
  | 'NotSettled' // a change in flight, or replicas not ready
  | 'GeneratorSaturated' // hold: the load generator's own delay could explain the breach
  | 'Headroom' // model policy, scale up: within target, but the model predicts beyond the headroom
  | 'NotScalable' // model policy, hold or back: scale-ups did not move the latency beyond the load's own growth
  | 'TargetUnreachable' // model policy, hold or back: the service time itself is above the target
  | 'Calibrating' // model policy, one step up: learning the service time before any scale-down
  | 'SignalUnmeasured' // hold: the probe within, a production signal unmeasured: not calm, never down
  | 'Unschedulable' // hold: a scale-up, but pods the cluster cannot place are pending (Warning Event)
  | 'WaitingForNode'; // hold: a scale-up, but pending pods wait for a node a cluster autoscaler is adding

export type Policy = Pick<
  ScalerConfig,
  'replicas' | 'targets' | 'scaleUp' | 'decay' | 'model' | 'onProbeFailure' | 'stabilization' | 'settle' | 'history'
>;

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
  /** Calm (DESIGN §4.3): every target measured and within, failures at most the ratio, settled. */
  calm: boolean;
  evaluations: TargetEvaluation[];
  failures?: FailureSummary | undefined;
  /** Why the measurement cannot be fully trusted (the generator's own delay), in words; never scaled up on. */
  unreliable?: string;
  state: StateRecord; // the record to store
}

/** What one branch of the decision wants, before bounds and the new state are applied. */
export interface Draft {
  reason: Reason;
  desired: number;
  why: string;
  calm: boolean;
  /** Never lower the count, not even to reach max (nothing measured, a failing service). */
  neverDown?: boolean;
  probeFailed?: boolean;
  /** Apply `desired` as it is, outside min..max (paused-replicas: the operator's own number). */
  exact?: boolean;
  /** The replica count this run needed, when not the usual (the model's recommendation). */
  needed?: number;
  /** The model's scale-up is a test (of a slower service, of a target below s₀) or its calibration step. */
  test?: 'slower' | 'reach' | 'probe';
}

/** What one run shows a policy, once the safety rules let it recommend (decide.ts). */
export interface PolicyRun {
  /** Some measured target breached; else failures above decay.maxFailureRatio; else every target within. */
  situation: 'breached' | 'failing' | 'within';
  measured: TargetEvaluation[];
  breached: TargetEvaluation[];
  failing: boolean;
  /**
   * The sentence so far: the breached targets (and the unmeasured ones), or the failures against their
   * limit, or the targets within.
   */
  why: string;
}

/** A policy's seam (DESIGN §2): from the run to its recommendation and reasons. */
export type Recommend = (ctx: Context, run: PolicyRun) => Draft;

/** What every step of one decision reads: the input and what was derived from it once. */
export interface Context {
  input: DecideInput;
  prior: StateRecord;
  current: number;
  manualChange: boolean;
  /** Calm runs before this one that still count (0 after a change by someone else). */
  calmBefore: number;
  evaluations: TargetEvaluation[];
  failures: FailureSummary | undefined;
  generator: GeneratorEffect | undefined;
  unsettledSince: string | null;
  /** The change in flight, if any: ours, or someone else's from the run that first saw it. */
  changeInFlightSince: string | null;
  /** The model policy's state after this run, and what it recommends (DESIGN §4.12). */
  model?: { state: ModelState | null; view?: ModelView | undefined } | undefined;
}
