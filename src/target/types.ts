// A scale target: anything that has a replica count we can read and set.
import type { TargetStatus } from '../model/target-status.ts';

export type { NotSettled, TargetStatus } from '../model/target-status.ts';

export interface TargetEvent {
  type: 'Normal' | 'Warning';
  reason: string; // CamelCase, as Kubernetes Events
  message: string;
}

/** An Event recorded on the target, as the platform lists it (the console's target page). */
export interface RecordedEvent extends TargetEvent {
  at: string | null; // the last time it was seen (ISO)
  count: number;
  from: string; // the component that recorded it: latency-scaler, deployment-controller, …
}

/** An action on the target, and whether the credentials in use may take it (Kubernetes: RBAC). */
export type TargetAction = 'scale' | 'pause' | 'events';
export interface Access {
  allowed: boolean;
  /** The call the action makes, as a 403 would name it: `patch deployments/scale web in namespace shop`. */
  call: string;
  /** When not allowed: the words of the refusal, with the rule to add. */
  reason?: string;
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
  /** Where the platform keeps the pause on the target (Kubernetes: its annotation): sets or clears it. */
  setPaused?(paused: boolean, signal?: AbortSignal): Promise<void>;
  /** Where the platform has events: the newest recorded on the target, newest first. */
  recentEvents?(limit: number, signal?: AbortSignal): Promise<RecordedEvent[]>;
  /** Where the platform can tell: whether the credentials may take `action` (asked of the platform, not guessed). */
  access?(action: TargetAction, signal?: AbortSignal): Promise<Access>;
}
