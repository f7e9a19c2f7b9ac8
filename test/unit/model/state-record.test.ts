// The record's one decoder (every store uses it) and the size bound that keeps a record in its store.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeRecord,
  emptyRecord,
  encodeRecord,
  fitRecord,
  RecordShapeError,
  type HistoryEntry,
} from '../../../src/model/state-record.ts';

const entry = (i: number, reason = 'x'.repeat(200)): HistoryEntry => ({
  at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
  current: 3,
  desired: 3,
  applied: 3,
  needed: 2,
  action: 'hold',
  reason,
  observations: [{ target: 'GET /x mean', value: 5, limit: 7 }],
});

describe('decodeRecord', () => {
  it('reads a record it wrote', () => {
    const r = {
      ...emptyRecord('k'),
      calmRuns: 2,
      lastReplicas: 3,
      claim: { id: 'a', at: '2026-01-01T00:00:00Z' },
      history: [entry(1)],
    };
    assert.deepEqual(decodeRecord(JSON.parse(encodeRecord(r))), r);
  });

  it('reads the schema-1 records of 0.1 (runsSinceChange, no claim), so an upgrade keeps its counts', () => {
    const old = {
      schema: 1,
      target: 'k',
      runsSinceChange: 2,
      lastReplicas: 3,
      lastRunAt: null,
      lastScaleAt: null,
      unsettledSince: null,
      history: [],
    };
    const r = decodeRecord(old);
    assert.equal(r.calmRuns, 2);
    assert.equal(r.claim, null);
    assert.equal(r.lastEventId, null);
    assert.equal(r.changeInFlightSince, null);
  });

  it('a record of an earlier version (no changeInFlightSince): our last change counts as in flight', () => {
    const { changeInFlightSince: _, ...old } = { ...emptyRecord('k'), lastScaleAt: '2026-11-30T10:00:00.000Z' };
    assert.equal(decodeRecord(old).changeInFlightSince, '2026-11-30T10:00:00.000Z');
    const now = { ...emptyRecord('k'), lastScaleAt: '2026-11-30T10:00:00.000Z', changeInFlightSince: null };
    assert.equal(decodeRecord(now).changeInFlightSince, null, 'a settled change stays over');
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', 'x', /not an object/],
    ['unknown schema', { ...emptyRecord('k'), schema: 7 }, /unknown schema 7/],
    ['history null (crashed decide() before)', { ...emptyRecord('k'), history: null }, /history is not a list/],
    ['negative count', { ...emptyRecord('k'), calmRuns: -1 }, /calmRuns is not an integer ≥ 0/],
    ['a time that is no time', { ...emptyRecord('k'), lastRunAt: 'yesterday' }, /lastRunAt is not a time/],
    ['a broken history entry', { ...emptyRecord('k'), history: [{ at: 'x' }] }, /history\[0\] is not a decision entry/],
    ['no target', { ...emptyRecord('k'), target: '' }, /target is not a non-empty string/],
  ];
  for (const [name, value, message] of bad) {
    it(`refuses ${name}`, () =>
      assert.throws(
        () => decodeRecord(value),
        (e: Error) => e instanceof RecordShapeError && message.test(e.message),
      ));
  }
});

describe('fitRecord', () => {
  it('drops the oldest entries until the encoded record fits, and no more', () => {
    const history = Array.from({ length: 1000 }, (_, i) => entry(i));
    const record = { ...emptyRecord('k'), history };
    const full = Buffer.byteLength(encodeRecord(record));
    assert.ok(full > 300_000, `${full}`);
    const fitted = fitRecord(record, 100_000);
    const size = Buffer.byteLength(encodeRecord(fitted));
    assert.ok(size <= 100_000, `${size}`);
    assert.ok(size > 100_000 - 400, `dropped more than needed: ${size}`);
    assert.deepEqual(fitted.history.at(-1), history.at(-1), 'the newest entry stays');
    assert.equal(fitted.history[0]!.at, history[history.length - fitted.history.length]!.at);
  });

  it('counts bytes, not characters (multi-byte reasons)', () => {
    const record = { ...emptyRecord('k'), history: Array.from({ length: 100 }, (_, i) => entry(i, '≤'.repeat(100))) };
    assert.ok(Buffer.byteLength(encodeRecord(fitRecord(record, 20_000))) <= 20_000);
  });

  it('leaves a record that fits untouched', () => {
    const record = { ...emptyRecord('k'), history: [entry(1)] };
    assert.equal(fitRecord(record, 10_000), record);
  });
});
