// What the scale target reported before the decision: its replicas, paused or not, settled or not.

export interface TargetStatus {
  replicas: number; // the desired count in the target's spec
  readyReplicas?: number;
  paused: boolean;
  /** KEDA's paused-replicas: scale to this count, then hold; no load is sent. */
  pausedReplicas?: number;
  /** KEDA's paused-scale-in: scale-up still works, the count never goes down. */
  pausedScaleDown?: boolean;
  /** Other autoscalers that scale this target (an HPA, a KEDA ScaledObject), named for messages. */
  otherAutoscalers?: string[];
  /** For the operator: a GitOps controller owns the replicas, the ownership could not be checked … */
  warnings?: string[];
  /** The workload's template revision, when known: a new one means a new service time (the model policy). */
  revision?: string;
  /**
   * The target's own bounds, when it has any (an Auto Scaling group's MinSize and MaxSize): the platform
   * refuses a count outside them, so the run decides within them. `what` names them for messages.
   */
  bounds?: { min: number; max: number; what: string };
  /** Why the target is not settled (a rollout, replicas not ready); undefined when settled. */
  notSettled?: NotSettled;
  /** The workload's pods not running yet, when there are any: the capacity check (DESIGN §4.13). */
  pending?: PendingPods;
}

/** Pending pods: those the scheduler cannot place are no capacity, and no replica is added for them. */
export interface PendingPods {
  pods: number; // in phase Pending, placed or not
  unschedulable: number; // PodScheduled=False, reason Unschedulable
  /** The scheduler's message for them: `0/1 nodes are available: 1 Insufficient cpu`. */
  message?: string;
  /** A cluster autoscaler is adding a node for them (its TriggeredScaleUp Event, not since withdrawn). */
  scalingUp: boolean;
  /** When the longest-waiting of them became unschedulable (ISO time). */
  since?: string;
}

/**
 * `rollout`: a new generation or template is being rolled out. `starting`: fewer replicas ready
 * than the spec asks — new ones starting after a change, or existing ones failing readiness.
 */
export interface NotSettled {
  kind: 'rollout' | 'starting';
  reason: string; // `2 of 3 replicas ready`
}

/**
 * replicas.min and max narrowed to the target's own bounds (pure): each clamped into them, so the
 * decision never asks for a count the platform refuses. `note` says what changed, for the log.
 */
export function withinBounds(
  replicas: { min: number; max: number },
  bounds: TargetStatus['bounds'],
): { min: number; max: number; note?: string } {
  if (!bounds) return replicas;
  const clamp = (n: number): number => Math.min(Math.max(n, bounds.min), bounds.max);
  const min = clamp(replicas.min);
  const max = clamp(replicas.max);
  if (min === replicas.min && max === replicas.max) return replicas;
  const was = `replicas ${replicas.min}..${replicas.max}`;
  const own = `${bounds.what} (${bounds.min}..${bounds.max})`;
  const note = `${own} narrow ${was} to ${min}..${max}: a count outside them is refused`;
  return { min, max, note };
}
