import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FileStateStore, type StateFs } from '../../../src/state/file.ts';
import { emptyRecord, type StateRecord } from '../../../src/model/state-record.ts';
import { ConflictError, RefusedError, StateError } from '../../../src/errors.ts';
import { claim } from '../../../src/run.ts';
import { silentLogger } from '../../../src/report/log.ts';

const dir = mkdtempSync(join(tmpdir(), 'scaler-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => new FileStateStore(join(dir, `s${++n}`, 'state.json'), 'http-a');
const rec = (calmRuns: number): StateRecord => ({ ...emptyRecord('http-a'), calmRuns });
const stored = (store: FileStateStore) => JSON.parse(readFileSync(store.path, 'utf8')) as { version: number };
const marker = (store: FileStateStore, version: number) => `${store.path}.versions/${version}.json`;

type Op = keyof StateFs;
type Phase = 'before' | 'after';

/** node:fs/promises with a hook around every call, awaited: a test pauses a writer between two steps. */
function hooked(hook: (phase: Phase, op: Op) => Promise<void>): StateFs {
  const call = async <T>(op: Op, run: () => Promise<T>): Promise<T> => {
    await hook('before', op);
    const result = await run();
    await hook('after', op);
    return result;
  };
  return {
    mkdir: (p, o) => call('mkdir', () => fsp.mkdir(p, o)),
    readFile: (p, e) => call('readFile', () => fsp.readFile(p, e)),
    readdir: (p) => call('readdir', () => fsp.readdir(p)),
    writeFile: (p, d, o) => call('writeFile', () => fsp.writeFile(p, d, o)),
    link: (a, b) => call('link', () => fsp.link(a, b)),
    rename: (a, b) => call('rename', () => fsp.rename(a, b)),
    rm: (p, o) => call('rm', () => fsp.rm(p, o)),
  };
}

/** A writer's fs that stops the first time it reaches `phase op`, until released. */
function pausedAt(phase: Phase, op: Op) {
  let reached!: () => void;
  let release!: () => void;
  const atStep = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  let stopped = false;
  const fs = hooked(async (p, o) => {
    if (stopped || p !== phase || o !== op) return;
    stopped = true;
    reached();
    await gate;
  });
  return { fs, atStep, release };
}

const settle = <T>(p: Promise<T>) => Promise.allSettled([p]).then(([r]) => r!);

describe('FileStateStore', () => {
  it('reads nothing before the first write, then the record and a new version', async () => {
    const store = fresh();
    assert.deepEqual(await store.read(), { record: null, version: null });
    await store.write(rec(2), null);
    const { record, version } = await store.read();
    assert.equal(record?.calmRuns, 2);
    assert.equal(version, '1');
    await store.write({ ...record!, calmRuns: 3 }, version);
    assert.equal((await store.read()).version, '2');
  });

  it('compare-and-swap: a write on a stale or unknown version is a conflict and changes nothing', async () => {
    const store = fresh();
    await store.write(emptyRecord('http-a'), null);
    const before = readFileSync(store.path, 'utf8');
    await assert.rejects(store.write(rec(9), null), /changed since it was read \(version none → 1\).*decided first/);
    await assert.rejects(store.write(rec(9), '7'), ConflictError);
    assert.equal(readFileSync(store.path, 'utf8'), before);
    assert.equal((await store.read()).version, '1');
  });

  // A writer paused at each step boundary while a second writer on the same version runs to its end.
  // Until the link the second one wins (the first one's link fails); from the link on, the first one has
  // claimed and a read already returns its record, before the rename publishes it.
  const steps: { phase: Phase; op: Op; step: string; firstWins: boolean }[] = [
    { phase: 'before', op: 'writeFile', step: 'after the head check', firstWins: false },
    { phase: 'before', op: 'link', step: 'after the temp write', firstWins: false },
    { phase: 'after', op: 'link', step: 'after the link', firstWins: true },
    { phase: 'before', op: 'rename', step: 'before the rename', firstWins: true },
  ];
  for (const { phase, op, step, firstWins } of steps) {
    it(`two writers on one version, the first paused ${step}: exactly one wins`, async () => {
      const store = fresh();
      await store.write(rec(0), null);
      const pause = pausedAt(phase, op);
      const first = settle(new FileStateStore(store.path, 'http-a', pause.fs).write(rec(1), '1'));
      await pause.atStep;
      const during = await store.read();
      assert.equal(during.record?.calmRuns, firstWins ? 1 : 0);
      assert.equal(during.version, firstWins ? '2' : '1');
      const second = await settle(new FileStateStore(store.path, 'http-a').write(rec(2), '1'));
      pause.release();
      const [winner, loser] = firstWins ? [await first, second] : [second, await first];
      assert.deepEqual(winner, { status: 'fulfilled', value: '2' });
      assert.ok(loser.status === 'rejected' && loser.reason instanceof ConflictError, String(loser));
      const winning = firstWins ? 1 : 2;
      assert.deepEqual(await store.read(), { record: rec(winning), version: '2' });
      assert.equal(stored(store).version, 2);
      assert.deepEqual(readdirSync(`${store.path}.versions`).sort(), ['1.json', '2.json'], 'no temp file left');
    });
  }

  it('of ten concurrent writers on the same version, exactly one wins and its record is stored', async () => {
    const store = fresh();
    await store.write(rec(0), null);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => new FileStateStore(store.path, 'http-a').write(rec(i + 1), '1')),
    );
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i + 1] : []));
    assert.equal(won.length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError);
    assert.deepEqual(await store.read(), { record: rec(won[0]!), version: '2' });
  });

  it('a writer paused after its head check while the versions it saw were deleted conflicts', async () => {
    const store = fresh();
    await store.write(rec(0), null);
    const pause = pausedAt('before', 'link');
    const stale = settle(new FileStateStore(store.path, 'http-a', pause.fs).write(rec(99), '1'));
    await pause.atStep;
    for (let v = 1; v <= 9; v++) await store.write(rec(v), String(v));
    assert.ok(!existsSync(marker(store, 2)), 'version 2 was deleted, so the paused link succeeds');
    pause.release();
    const result = await stale;
    assert.ok(result.status === 'rejected' && result.reason instanceof ConflictError, String(result));
    assert.deepEqual(await store.read(), { record: rec(9), version: '10' });
    assert.equal(stored(store).version, 10);
  });

  it('a writer paused before its rename while newer versions are written publishes late, not over them', async () => {
    const store = fresh();
    await store.write(rec(0), null);
    const pause = pausedAt('before', 'rename');
    const slow = settle(new FileStateStore(store.path, 'http-a', pause.fs).write(rec(1), '1'));
    await pause.atStep;
    for (let v = 2; v <= 11; v++) await store.write(rec(v), String(v));
    pause.release();
    assert.deepEqual(await slow, { status: 'fulfilled', value: '2' });
    assert.equal(stored(store).version, 2, 'the late rename put an old version in the file');
    assert.deepEqual(await store.read(), { record: rec(11), version: '12' }, 'the newest version is the state');
    await assert.rejects(store.write(rec(0), '2'), ConflictError);
    await store.write(rec(12), '12');
    assert.equal(stored(store).version, 13);
  });

  it('a writer that crashed after its link: the next read sees its record, the next write builds on it', async () => {
    const store = fresh();
    await store.write(rec(0), null);
    const crash = pausedAt('after', 'link'); // never released: the process is gone
    void new FileStateStore(store.path, 'http-a', crash.fs).write(rec(1), '1');
    await crash.atStep;
    assert.equal(stored(store).version, 1);
    assert.deepEqual(await store.read(), { record: rec(1), version: '2' });
    await assert.rejects(store.write(rec(5), '1'), ConflictError);
    assert.equal(await store.write(rec(2), '2'), '3');
    assert.deepEqual(await store.read(), { record: rec(2), version: '3' });
    assert.equal(stored(store).version, 3);
  });

  it('a claim whose answer was lost: the retry conflicts, and claim() recognises its own record', async () => {
    const store = fresh();
    await store.write(rec(0), null);
    const claimed = { ...rec(1), claim: { id: 'run-1', at: '2025-01-01T00:00:00.000Z' } };
    const lost = hooked(async (phase, op) => {
      if (phase === 'after' && op === 'rename') throw new Error('the answer was lost');
    });
    await assert.rejects(new FileStateStore(store.path, 'http-a', lost).write(claimed, '1'), /answer was lost/);
    await assert.rejects(store.write(claimed, '1'), ConflictError);
    assert.deepEqual(await store.read(), { record: claimed, version: '2' });
    assert.equal(await claim(store, claimed, '1', silentLogger), '2');
    const other = { ...claimed, claim: { id: 'run-2', at: claimed.claim.at } };
    await assert.rejects(claim(store, other, '1', silentLogger), /decided first; nothing applied/);
  });

  it('writes atomically: no temp file is left behind, and a reset leaves no file', async () => {
    const store = fresh();
    await store.write(emptyRecord('http-a'), null);
    await store.write(emptyRecord('http-a'), '1');
    assert.deepEqual(readdirSync(dirname(store.path)).sort(), ['state.json', 'state.json.versions']);
    assert.deepEqual(readdirSync(`${store.path}.versions`).sort(), ['1.json', '2.json']);
    for (let v = 2; v < 20; v++) await store.write(emptyRecord('http-a'), String(v));
    assert.equal(readdirSync(`${store.path}.versions`).length, 8, 'old versions are deleted');
    await store.remove();
    assert.deepEqual(readdirSync(dirname(store.path)), []);
    assert.deepEqual(await store.read(), { record: null, version: null });
    await store.write(rec(1), null);
    assert.equal((await store.read()).version, '1');
  });

  it('a file written by an earlier version (no versions, a lock file left behind) keeps working', async () => {
    const store = fresh();
    mkdirSync(dirname(store.path));
    writeFileSync(store.path, JSON.stringify({ version: 4, record: rec(3) }, null, 2));
    writeFileSync(`${store.path}.lock`, '12345'); // a live lock of the old store: there is no lock any more
    assert.deepEqual(await store.read(), { record: rec(3), version: '4' });
    await assert.rejects(store.write(rec(0), '3'), ConflictError);
    await assert.rejects(store.write(rec(0), null), ConflictError);
    assert.equal(await store.write(rec(4), '4'), '5');
    assert.deepEqual(await store.read(), { record: rec(4), version: '5' });
    assert.equal(readFileSync(`${store.path}.lock`, 'utf8'), '12345');
  });

  it("refuses a corrupt file and another target's record, with a message saying what to do", async () => {
    const store = fresh();
    await store.write(emptyRecord('http-a'), null);
    writeFileSync(store.path, '{"version": 1, "rec');
    await assert.rejects(
      store.read(),
      (e: Error) => e instanceof StateError && /not valid JSON.*state reset/.test(e.message),
    );
    await new FileStateStore(store.path, 'other').remove({ force: true });
    await new FileStateStore(store.path, 'other').write(emptyRecord('other'), null);
    await assert.rejects(store.read(), /belongs to target other, not http-a/);
    await assert.rejects(store.write(emptyRecord('http-a'), '1'), /belongs to target other, not http-a/);
  });

  it('refuses a corrupt claimed version, naming its file', async () => {
    const store = fresh();
    await store.write(emptyRecord('http-a'), null);
    writeFileSync(marker(store, 2), '{"version": 3, "record": {}}');
    await assert.rejects(
      store.read(),
      (e: Error) => e instanceof StateError && /2\.json holds version 3/.test(e.message),
    );
    writeFileSync(marker(store, 2), 'nonsense');
    await assert.rejects(store.read(), /2\.json is not valid JSON.*state reset --force/);
    await store.remove({ force: true });
    assert.deepEqual(await store.read(), { record: null, version: null });
  });
  it("a reset removes only this target's record: another target's, or a file that is no record, is refused", async () => {
    const other = fresh();
    await new FileStateStore(other.path, 'http-b').write(emptyRecord('http-b'), null);
    const refused = (found: RegExp) => (e: Error) =>
      e instanceof RefusedError &&
      e.exitCode === 2 &&
      found.test(e.message) &&
      /not this target's record, so it was left as it is; to remove it anyway: state reset --force/.test(e.message);
    await assert.rejects(other.remove(), refused(/state file .*state\.json belongs to target http-b, not http-a/));
    assert.equal((await new FileStateStore(other.path, 'http-b').read()).record?.target, 'http-b', 'left as it was');
    const notes = fresh();
    mkdirSync(dirname(notes.path));
    writeFileSync(notes.path, 'my notes, not a record\n');
    await assert.rejects(notes.remove(), refused(/state file .*state\.json is not valid JSON/));
    assert.equal(readFileSync(notes.path, 'utf8'), 'my notes, not a record\n');
    await notes.remove({ force: true });
    assert.equal(existsSync(notes.path), false, '--force removes it');
    const ours = fresh();
    await ours.write(rec(2), null);
    await ours.remove();
    assert.deepEqual(await ours.read(), { record: null, version: null });
    await ours.remove(); // nothing there: nothing to refuse
  });
});

describe("file state store: the target's earlier key and its default file", () => {
  const moving = () => {
    const base = join(dir, `e${++n}`);
    const earlier = new FileStateStore(join(base, 'http-old.json'), 'http-old');
    const store = new FileStateStore(join(base, 'http-new.json'), 'http-new', undefined, {
      key: 'http-old',
      path: earlier.path,
    });
    return { earlier, store };
  };
  const old = (calmRuns: number): StateRecord => ({ ...emptyRecord('http-old'), calmRuns });

  it("a record under the earlier key at this path is this target's: read as its own, rewritten on write", async () => {
    const path = join(dir, `e${++n}`, 'state.json');
    await new FileStateStore(path, 'http-old').write(old(1), null);
    const store = new FileStateStore(path, 'http-new', undefined, { key: 'http-old' });
    const read = await store.read();
    assert.deepEqual(read, { record: { ...old(1), target: 'http-new' }, version: '1' });
    await store.write({ ...read.record!, calmRuns: 2 }, read.version);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).record.target, 'http-new');
    await assert.rejects(new FileStateStore(path, 'http-other', undefined, { key: 'http-old' }).read(), /belongs to/);
  });

  it('the earlier default file is read while this one has none, and moved by the next write', async () => {
    const { earlier, store } = moving();
    await earlier.write(old(1), null);
    await earlier.write(old(2), '1');
    const read = await store.read();
    assert.deepEqual(read, { record: { ...old(2), target: 'http-new' }, version: 'earlier:2' });
    assert.equal(await store.write({ ...read.record!, calmRuns: 3 }, read.version), '1');
    assert.ok(!existsSync(earlier.path) && !existsSync(`${earlier.path}.versions`), 'the earlier file is gone');
    assert.deepEqual(await store.read(), { record: { ...old(3), target: 'http-new' }, version: '1' });
  });

  it('a write here, or in the earlier file, since the read is a conflict: nothing moved, nothing lost', async () => {
    const { earlier, store } = moving();
    await earlier.write(old(1), null);
    const read = await store.read();
    await store.write(read.record!, read.version); // another run moved it first
    await assert.rejects(store.write(read.record!, read.version), ConflictError);

    const next = moving();
    await next.earlier.write(old(1), null);
    const before = await next.store.read();
    await next.earlier.write(old(8), '1'); // an earlier version's run, meanwhile
    await assert.rejects(next.store.write(before.record!, before.version), ConflictError);
    assert.ok(!existsSync(next.store.path));
    assert.equal((await next.earlier.read()).record?.calmRuns, 8);
  });

  it('a reset with no record here removes the earlier file (what a read finds)', async () => {
    const { earlier, store } = moving();
    await earlier.write(old(1), null);
    await store.remove();
    assert.ok(!existsSync(earlier.path));
    assert.deepEqual(await store.read(), { record: null, version: null });
  });
});
