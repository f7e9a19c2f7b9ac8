// A scale target: anything that has a replica count we can read and set.
import type { TargetStatus } from '../model/target-status.ts';

export type { NotSettled, TargetStatus } from '../model/target-status.ts';

export interface TargetEvent {
  type: 'Normal' | 'Warning';
  reason: string; // CamelCase, as Kubernetes Events
  message: string;
}

export interface ScaleTarget {
  describe(): string;
  read(signal?: AbortSignal): Promise<TargetStatus>;
  /**
   * Sets the replica count; fails with ConflictError if it is no longer `expectedCurrent`.
   * `until` (epoch ms): retries stop, and no call outlasts it (the run's deadline after the claim).
   */
  apply(replicas: number, expectedCurrent: number, signal?: AbortSignal, until?: number): Promise<void>;
  /** Best effort: where the platform has events (Kubernetes), record one on the target (within `until`). */
  recordEvent?(event: TargetEvent, until?: number): Promise<void>;
}
