// The state kept between runs, one record per target: its shape, its bounded history, and the one
// decoder every store uses. Pure; the decision produces records, the stores persist them.
import { decodeModel, type ModelState } from './model-state.ts';

export type { ModelState } from './model-state.ts';

export interface HistoryEntry {
  at: string; // ISO time of the decision
  current: number;
  desired: number;
  applied: number;
  /**
   * The replica count this run needed (HPA's "recommendation"): what the stabilization window
   * takes the maximum of. A calm run needs fewer than it has; a breach needs more; a run that
   * could not tell (probe failure, failing service, not settled) needs what it has.
   */
  needed?: number;
  action: string;
  reason: string; // the sentence for humans
  observations: { target: string; value: number | null; limit: number }[];
  /** The share of requests that failed (0–1) and the failed requests by kind, when any failed. */
  failures?: { ratio: number; kinds?: Record<string, number> };
}

/** Written with the record by the run that claimed it, so a retried write can recognise itself. */
export interface Claim {
  id: string; // unique per run
  at: string;
}

export interface StateRecord {
  schema: 2;
  target: string; // targetKey(): a store holding another target's record is refused
  /** Consecutive calm runs since the last change, breach, failure or hold that was not calm. */
  calmRuns: number;
  lastReplicas: number | null; // the count we last saw or set; null before the first run
  lastRunAt: string | null;
  /** The last run that decided on a measurement (a probe failure records a hold, not a success). */
  lastSuccessAt: string | null;
  lastScaleAt: string | null;
  /** First run at which the target was seen not settled (for settle.timeout). */
  unsettledSince: string | null;
  /**
   * When the latest change of the replicas — ours, or someone else's when first seen — was made, until a
   * run sees the target settled: while it is set and not settled, the change is in flight (DESIGN §4.5, §4.10).
   */
  changeInFlightSince: string | null;
  claim: Claim | null;
  /** The scheduler's id of the event that caused the last run (a Lambda tick): a redelivery is skipped. */
  lastEventId: string | null;
  /** The model policy's state; null when the policy is not in use (or not yet learned). */
  model: ModelState | null;
  history: HistoryEntry[];
}

export function emptyRecord(target: string): StateRecord {
  return {
    schema: 2,
    target,
    calmRuns: 0,
    lastReplicas: null,
    lastRunAt: null,
    lastSuccessAt: null,
    lastScaleAt: null,
    unsettledSince: null,
    changeInFlightSince: null,
    claim: null,
    lastEventId: null,
    model: null,
    history: [],
  };
}

/** Bounded history, newest last: at most `limit` entries; pure. */
export function appendHistory(history: HistoryEntry[], entry: HistoryEntry, limit: number): HistoryEntry[] {
  const next = [...history, entry];
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/** The record as a store writes it (compact JSON). */
export function encodeRecord(record: StateRecord): string {
  return JSON.stringify(record);
}

/**
 * Drops the oldest history entries until the encoded record is at most `maxBytes` (UTF-8), so a
 * record always fits its store (a DynamoDB item ≤ 400 KB, a ConfigMap ≤ 1 MiB). Pure.
 */
export function fitRecord(record: StateRecord, maxBytes: number): StateRecord {
  const size = Buffer.byteLength(encodeRecord(record));
  if (size <= maxBytes) return record;
  const sizes = record.history.map((h) => Buffer.byteLength(JSON.stringify(h)) + 1); // + the comma
  let excess = size - maxBytes;
  let drop = 0;
  while (excess > 0 && drop < sizes.length) excess -= sizes[drop++]!;
  return { ...record, history: record.history.slice(drop) };
}

/** Why a stored document is not a usable record: the stores turn this into their own message. */
export class RecordShapeError extends Error {}

/**
 * Any stored document → a valid record, or RecordShapeError naming the first problem. Accepts the
 * schema-1 records of earlier versions (`runsSinceChange`, no claim), so an upgrade keeps its state.
 */
export function decodeRecord(value: unknown): StateRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RecordShapeError('not an object');
  const v = value as Record<string, unknown>;
  if (v['schema'] !== 1 && v['schema'] !== 2)
    throw new RecordShapeError(`unknown schema ${JSON.stringify(v['schema'])}`);
  const str = (k: string): string => {
    if (typeof v[k] !== 'string' || v[k] === '') throw new RecordShapeError(`${k} is not a non-empty string`);
    return v[k];
  };
  const count = (k: string): number => {
    const n = v[k];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
      throw new RecordShapeError(`${k} is not an integer ≥ 0`);
    return n;
  };
  const optional = <T>(k: string, check: (x: unknown) => x is T, what: string): T | null => {
    if (v[k] === undefined || v[k] === null) return null;
    if (!check(v[k])) throw new RecordShapeError(`${k} is not ${what}`);
    return v[k];
  };
  const isTime = (x: unknown): x is string => typeof x === 'string' && !Number.isNaN(Date.parse(x));
  const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  const isString = (x: unknown): x is string => typeof x === 'string';
  if (!Array.isArray(v['history'])) throw new RecordShapeError('history is not a list');
  const history = v['history'].map((h, i) => decodeEntry(h, i));
  const claim = optional('claim', isClaim, 'a claim { id, at }');
  return {
    schema: 2,
    target: str('target'),
    calmRuns: count(v['schema'] === 1 ? 'runsSinceChange' : 'calmRuns'),
    lastReplicas: optional('lastReplicas', isCount, 'an integer ≥ 0'),
    lastRunAt: optional('lastRunAt', isTime, 'a time'),
    lastSuccessAt: optional('lastSuccessAt', isTime, 'a time'),
    lastScaleAt: optional('lastScaleAt', isTime, 'a time'),
    unsettledSince: optional('unsettledSince', isTime, 'a time'),
    // A record of an earlier version knew only our own changes, in flight from lastScaleAt.
    changeInFlightSince: optional(
      v['changeInFlightSince'] === undefined ? 'lastScaleAt' : 'changeInFlightSince',
      isTime,
      'a time',
    ),
    claim,
    lastEventId: optional('lastEventId', isString, 'a string'),
    // A model that does not decode is learned afresh rather than failing the run: it is only a cache.
    model: decodeModel(v['model']),
    history,
  };
}

function isClaim(x: unknown): x is Claim {
  const c = x as Claim;
  return typeof c === 'object' && c !== null && typeof c.id === 'string' && typeof c.at === 'string';
}

function decodeEntry(h: unknown, i: number): HistoryEntry {
  const e = h as HistoryEntry;
  const ok =
    typeof e === 'object' &&
    e !== null &&
    typeof e.at === 'string' &&
    !Number.isNaN(Date.parse(e.at)) &&
    [e.current, e.desired, e.applied].every((n) => typeof n === 'number' && Number.isFinite(n)) &&
    (e.needed === undefined || (typeof e.needed === 'number' && Number.isFinite(e.needed))) &&
    typeof e.action === 'string' &&
    typeof e.reason === 'string' &&
    Array.isArray(e.observations) &&
    (e.failures === undefined || (typeof e.failures === 'object' && typeof e.failures?.ratio === 'number'));
  if (!ok) throw new RecordShapeError(`history[${i}] is not a decision entry { at, current, desired, applied, … }`);
  return e;
}
