// The store interface: one record per target, written with compare-and-swap on an opaque version.
import type { StateRecord } from '../model/state-record.ts';
import type { RemoveOptions } from './reset.ts';

export type { RemoveOptions } from './reset.ts';

export interface VersionedRecord {
  record: StateRecord | null; // null: no record yet
  version: string | null; // opaque; null when nothing is stored
}

export interface StateStore {
  describe(): string;
  /**
   * The record and its version. `signal` is the run's interruption: a read waiting on the network
   * (a call, a retry's wait) ends at once with the signal's reason.
   */
  read(signal?: AbortSignal): Promise<VersionedRecord>;
  /**
   * Compare-and-swap: writes the record if the stored version is still `expected`, and returns the
   * version it wrote; throws ConflictError when it is not. A retried write that meets its own
   * earlier success also throws ConflictError: the caller recognises it by the record's claim id.
   * `until` (epoch ms): retries stop, and no call outlasts it (the run's deadline after the claim).
   * `cut`: ends the write and its retries when it fires (a signal's grace running out), with its reason.
   */
  write(record: StateRecord, expected: string | null, until?: number, cut?: AbortSignal): Promise<string>;
  /**
   * Clears this target's record (state reset) without deleting a store object the scaler may not
   * re-create. What is not this target's record is refused (RefusedError, exit 2) unless `force`.
   */
  remove(options?: RemoveOptions): Promise<void>;
}
