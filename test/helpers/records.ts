// State records for store tests: one with a long history of multi-target decisions, as a
// history.limit of 1000 would grow it.
import { emptyRecord, type StateRecord } from '../../src/model/state-record.ts';

export function bigRecord(target: string, entries: number, targets: number): StateRecord {
  const history = Array.from({ length: entries }, (_, i) => ({
    at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    current: 3,
    desired: 3,
    applied: 3,
    needed: 2,
    action: 'hold',
    reason: `hold at 3: ${Array.from({ length: targets }, (_, t) => `GET /endpoint/${t}?n=${i} mean 5.${i % 10} ms ≤ 7 ms`).join('; ')} within target`,
    observations: Array.from({ length: targets }, (_, t) => ({
      target: `GET /endpoint/${t}?n=10 mean`,
      value: 5 + t / 10,
      limit: 7,
    })),
  }));
  return { ...emptyRecord(target), lastReplicas: 3, history };
}
