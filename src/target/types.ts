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
  /** Sets the replica count; fails with ConflictError if it is no longer `expectedCurrent`. */
  apply(replicas: number, expectedCurrent: number, signal?: AbortSignal): Promise<void>;
  /** Best effort: where the platform has events (Kubernetes), record one on the target. */
  recordEvent?(event: TargetEvent): Promise<void>;
}
