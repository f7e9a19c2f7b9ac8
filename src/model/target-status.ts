// What the scale target reported before the decision: its replicas, paused or not, settled or not.

export interface TargetStatus {
  replicas: number; // the desired count in the target's spec
  readyReplicas?: number;
  paused: boolean;
  /** Why the target is not settled (a rollout, replicas not ready); undefined when settled. */
  notSettled?: NotSettled;
}

/**
 * `rollout`: a new generation or template is being rolled out. `starting`: fewer replicas ready
 * than the spec asks — new ones starting after a change, or existing ones failing readiness.
 */
export interface NotSettled {
  kind: 'rollout' | 'starting';
  reason: string; // `2 of 3 replicas ready`
}
