import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStateStore } from '../../../src/state/file.ts';
import { emptyRecord } from '../../../src/model/state-record.ts';
import { ConflictError, StateError } from '../../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'scaler-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => new FileStateStore(join(dir, `s${++n}`, 'state.json'), 'http-a');

describe('FileStateStore', () => {
  it('reads nothing before the first write, then the record and a new version', async () => {
    const store = fresh();
    assert.deepEqual(await store.read(), { record: null, version: null });
    await store.write({ ...emptyRecord('http-a'), calmRuns: 2 }, null);
    const { record, version } = await store.read();
    assert.equal(record?.calmRuns, 2);
    assert.equal(version, '1');
    await store.write({ ...record!, calmRuns: 3 }, version);
    assert.equal((await store.read()).version, '2');
  });

  it('compare-and-swap: a write on a stale version is a conflict and changes nothing', async () => {
    const store = fresh();
    await store.write(emptyRecord('http-a'), null);
    const before = readFileSync(store.path, 'utf8');
    await assert.rejects(store.write({ ...emptyRecord('http-a'), calmRuns: 9 }, null), ConflictError);
    await assert.rejects(store.write({ ...emptyRecord('http-a'), calmRuns: 9 }, '7'), ConflictError);
    assert.equal(readFileSync(store.path, 'utf8'), before);
  });

  it('of ten concurrent writers on the same version, exactly one wins', async () => {
    const store = fresh();
    await store.write(emptyRecord('http-a'), null);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        new FileStateStore(store.path, 'http-a').write({ ...emptyRecord('http-a'), calmRuns: i }, '1'),
      ),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError);
    assert.equal((await store.read()).version, '2');
  });

  it('writes atomically: no temp or lock file is left behind', async () => {
    const store = fresh();
    await store.write(emptyRecord('http-a'), null);
    assert.ok(!existsSync(`${store.path}.lock`));
    assert.ok(!existsSync(`${store.path}.${process.pid}.tmp`));
  });

  it('a live lock is a conflict; a stale one (a killed run) is taken over', async () => {
    const store = fresh();
    await store.write(emptyRecord('http-a'), null);
    writeFileSync(`${store.path}.lock`, '12345');
    await assert.rejects(store.write(emptyRecord('http-a'), '1'), /locked by another run/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${store.path}.lock`, old, old);
    await store.write(emptyRecord('http-a'), '1');
    assert.equal((await store.read()).version, '2');
  });

  it("refuses a corrupt file and another target's record, with a message saying what to do", async () => {
    const store = fresh();
    await store.write(emptyRecord('http-a'), null);
    writeFileSync(store.path, '{"version": 1, "rec');
    await assert.rejects(
      store.read(),
      (e: Error) => e instanceof StateError && /not valid JSON.*state reset/.test(e.message),
    );
    await new FileStateStore(store.path, 'other').remove();
    await new FileStateStore(store.path, 'other').write(emptyRecord('other'), null);
    await assert.rejects(store.read(), /belongs to target other, not http-a/);
  });

  it('remove clears the record', async () => {
    const store = fresh();
    await store.write(emptyRecord('http-a'), null);
    await store.remove();
    assert.deepEqual(await store.read(), { record: null, version: null });
  });
});
