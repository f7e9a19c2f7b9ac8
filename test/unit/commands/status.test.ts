// status: when each target last decided successfully, and a flag when that is more than two periods of
// its schedule ago (the period read from the history's gaps).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { successOf } from '../../../src/commands/status.ts';
import { decide } from '../../../src/decide/decide.ts';
import { emptyRecord, type StateRecord } from '../../../src/model/state-record.ts';
import { observe, policy } from '../decide/fixtures.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');

/** Runs a minute apart through the real decide(): measured (true) or a probe failure (false). */
function history(runs: boolean[]): StateRecord {
  let record: StateRecord = emptyRecord('k');
  runs.forEach((measured, i) => {
    const d = decide({
      targetKey: 'k',
      status: { replicas: 2, paused: false },
      record,
      ...(measured ? { observations: observe(5) } : { probeError: 'connect ECONNREFUSED' }),
      policy: policy(),
      now: T0 + i * 60_000,
    });
    record = d.state;
  });
  return record;
}

describe('status: the last success and its age against the schedule', () => {
  it('a probe failure is no success; the period is the median gap between runs', () => {
    const record = history([true, true, true, false, false]);
    assert.equal(record.lastSuccessAt, new Date(T0 + 2 * 60_000).toISOString());
    const s = successOf(record, T0 + 3 * 60_000 + 59_000);
    assert.equal(s.periodMs, 60_000);
    assert.equal(s.stale, false, 'a second short of two periods since the last success: not yet');
    assert.equal(successOf(record, T0 + 4 * 60_000 + 1000).stale, true, 'two periods and a second: stale');
  });

  it('a target that runs and decides is never stale; one with too little history cannot tell', () => {
    const record = history([true, true, true, true]);
    assert.equal(successOf(record, T0 + 3 * 60_000 + 5000).stale, false);
    assert.deepEqual(successOf(history([true]), T0 + 3_600_000), {
      lastSuccessAt: new Date(T0).toISOString(),
      periodMs: null,
      stale: false,
    });
  });
});
