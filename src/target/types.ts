// A scale target: anything that has a replica count we can read and set.

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

export interface TargetEvent {
  type: 'Normal' | 'Warning';
  reason: string; // CamelCase, as Kubernetes Events
  message: string;
}

export interface ScaleTarget {
  describe(): string;
  read(signal?: AbortSignal): Promise<TargetStatus>;
  /** Sets the replica count; fails with ConflictError if it is no longer `expectedCurrent`. */
  apply(replicas: number, expectedCurrent: number, signal?: AbortSignal): Promise<void>;
  /** Best effort: where the platform has events (Kubernetes), record one on the target. */
  recordEvent?(event: TargetEvent): Promise<void>;
}
