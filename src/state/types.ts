// The state kept between runs, one record per target, and the store interface.

export interface HistoryEntry {
  at: string; // ISO time of the decision
  current: number;
  desired: number;
  applied: number;
  action: string;
  reason: string; // the sentence for humans
  observations: { target: string; value: number | null; limit: number }[];
}

export interface StateRecord {
  schema: 1;
  target: string; // targetKey(): a store holding another target's record is refused
  runsSinceChange: number;
  lastReplicas: number | null; // the count we last saw or set; null before the first run
  lastRunAt: string | null;
  lastScaleAt: string | null;
  /** First run at which the target was seen not settled (for settle.timeout). */
  unsettledSince: string | null;
  history: HistoryEntry[];
}

export interface VersionedRecord {
  record: StateRecord | null; // null: no record yet
  version: string | null; // opaque; null when nothing is stored
}

export interface StateStore {
  describe(): string;
  read(): Promise<VersionedRecord>;
  /** Compare-and-swap: throws ConflictError when the stored version is no longer `expected`. */
  write(record: StateRecord, expected: string | null): Promise<void>;
  /** Removes the record (state reset). */
  remove(): Promise<void>;
}

export function emptyRecord(target: string): StateRecord {
  return { schema: 1, target, runsSinceChange: 0, lastReplicas: null, lastRunAt: null, lastScaleAt: null, unsettledSince: null, history: [] };
}

/** Bounded history, newest last; pure. */
export function appendHistory(history: HistoryEntry[], entry: HistoryEntry, limit: number): HistoryEntry[] {
  const next = [...history, entry];
  return next.length > limit ? next.slice(next.length - limit) : next;
}
