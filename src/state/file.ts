// The embedded default store: one JSON file per target, for runs by hand and the local demo.
// Compare-and-swap without a lock: a write claims version N+1 by hard-linking its content to
// <path>.versions/<N+1>.json, which is atomic and fails when another run claimed that version first;
// a rename onto <path> then publishes it. The newest claimed version is the state, so a run that
// crashed or paused between the two neither blocks nor loses another run's write: there is no lock to
// go stale (a crashed run's temp file stays until a reset).
import * as nodeFs from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ConflictError, NotOurStateError, StateError } from '../errors.ts';
import { decodeRecord, fitRecord, type StateRecord } from '../model/state-record.ts';
import { earlierVersion, ownedRecord, versionAtEarlier } from './earlier.ts';
import { readBeforeReset, type RemoveOptions } from './reset.ts';
import type { StateStore, VersionedRecord } from './types.ts';

interface FileContent {
  version: number;
  record: StateRecord;
}

/** The filesystem calls the store makes: injectable, so a test can pause a writer between any two. */
export interface StateFs {
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  readdir(path: string): Promise<string[]>;
  writeFile(path: string, data: string, options: { mode: number; flag: 'wx' }): Promise<void>;
  link(existing: string, path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: true; recursive?: true }): Promise<void>;
}

const nodeStateFs: StateFs = {
  mkdir: nodeFs.mkdir,
  readFile: nodeFs.readFile,
  readdir: nodeFs.readdir,
  writeFile: nodeFs.writeFile,
  link: nodeFs.link,
  rename: nodeFs.rename,
  rm: nodeFs.rm,
};

const MAX_BYTES = 1024 * 1024; // the same bound as a ConfigMap: a file record moves to a cluster unchanged
/**
 * Claimed versions kept; older ones are deleted. A slot is only deleted once KEEP newer versions
 * exist, which is how a write tells a real claim from a link into a deleted slot (see write).
 */
const KEEP = 8;
const MARKER = /^([1-9][0-9]*)\.json$/;

/** The version a file in <path>.versions claims; 0 for another file (a temp file). */
const versionOf = (name: string): number => Number(MARKER.exec(name)?.[1] ?? 0);
const codeOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

export class FileStateStore implements StateStore {
  readonly path: string;
  private readonly targetKey: string;
  private readonly earlierKey: string | undefined;
  /** The default file of the key earlier versions gave the target: read while this one has no record. */
  private readonly earlierFile: FileStateStore | undefined;
  private readonly fs: StateFs;
  private readonly versions: string;

  /** `earlier`: the target's earlier key (its records are ours) and, with the default path, its file. */
  constructor(
    path: string,
    targetKey: string,
    fs: StateFs = nodeStateFs,
    earlier: { key?: string | undefined; path?: string | undefined } = {},
  ) {
    this.path = path;
    this.targetKey = targetKey;
    this.earlierKey = earlier.key;
    this.earlierFile = earlier.path ? new FileStateStore(earlier.path, targetKey, fs, { key: earlier.key }) : undefined;
    this.fs = fs;
    this.versions = `${path}.versions`;
  }

  describe(): string {
    return `file ${this.path}`;
  }

  /** Local and short: the signal is checked before and after, not during, the file reads. */
  async read(signal?: AbortSignal): Promise<VersionedRecord> {
    signal?.throwIfAborted();
    const content = await this.head();
    if (!content && this.earlierFile) {
      const there = await this.earlierFile.read(signal);
      if (there.version !== null) return { record: there.record, version: earlierVersion(there.version) };
    }
    signal?.throwIfAborted();
    return content ? { record: content.record, version: String(content.version) } : { record: null, version: null };
  }

  async write(record: StateRecord, expected: string | null): Promise<string> {
    const atEarlier = versionAtEarlier(expected);
    if (atEarlier === undefined || !this.earlierFile) return this.writeHere(record, expected);
    // Read from the earlier file: written here as the first version, then that file goes. A write there
    // since the read is a conflict; not atomic: two runs at once may both take it, each into its own file.
    const there = (await this.earlierFile.read()).version;
    if (there !== atEarlier) throw this.conflict(expected, there === null ? null : earlierVersion(there));
    const written = await this.writeHere(record, null, expected);
    await this.earlierFile.removeAt(atEarlier).catch(() => undefined); // left, it is read only if this one goes
    return written;
  }

  /** `shown`: the version the caller read, for a conflict's message. */
  private async writeHere(record: StateRecord, expected: string | null, shown = expected): Promise<string> {
    await this.io(`cannot create state directory ${this.versions}`, () =>
      this.fs.mkdir(this.versions, { recursive: true }),
    );
    // The head check: the link alone would accept a version ahead of the head, or a write on a file
    // written before there was a versions directory.
    const head = await this.head();
    const actual = head ? String(head.version) : null;
    if (actual !== expected) throw this.conflict(shown, actual);
    const version = (head?.version ?? 0) + 1;
    const content = `${JSON.stringify({ version, record: fitRecord(record, MAX_BYTES) }, null, 2)}\n`;
    // In the versions directory: on the same filesystem as the link, and a run killed before its link
    // leaves the temp file where a reset removes it.
    const temp = join(this.versions, `${process.pid}-${randomUUID()}.tmp`);
    const marker = this.marker(version);
    try {
      await this.io(`cannot write state file ${temp}`, () =>
        this.fs.writeFile(temp, content, { mode: 0o644, flag: 'wx' }),
      );
      try {
        await this.fs.link(temp, marker); // the claim: atomic, and EEXIST when another run made it first
      } catch (err) {
        if (codeOf(err) === 'EEXIST') throw this.conflict(shown, String(version));
        throw new StateError(`cannot write state file ${marker}: ${(err as Error).message}`, { cause: err });
      }
      // A run paused after its head check while KEEP or more writes went by links into a slot already
      // deleted: that is no claim. A slot is deleted only once KEEP newer ones exist, so fewer means ours.
      const newest = await this.newestVersion();
      if (newest >= version + KEEP) throw this.conflict(shown, String(newest));
      await this.io(`cannot write state file ${this.path}`, () => this.fs.rename(temp, this.path));
    } finally {
      await this.fs.rm(temp, { force: true }).catch(() => undefined);
    }
    await this.prune();
    return String(version);
  }

  /**
   * The files are ours (the store creates them), so a reset removes them — once read as this
   * target's record: another target's, or a file that is no record at all, is refused unless forced.
   */
  async remove(options: RemoveOptions = {}): Promise<void> {
    const found = await readBeforeReset(() => this.head(), options);
    // Where this file holds no record, a read finds the earlier file's: that is the one reset (forced, both).
    if ('foreign' in found || found.ours === null) await this.earlierFile?.remove(options);
    // The versions first: while they exist, they are the state.
    await this.io(`cannot remove state directory ${this.versions}`, () =>
      this.fs.rm(this.versions, { recursive: true, force: true }),
    );
    await this.io(`cannot remove state file ${this.path}`, () => this.fs.rm(this.path, { force: true }));
  }

  /** Removes the file if it is still at `version`: the record read from it has moved. */
  private async removeAt(version: string): Promise<void> {
    const head = await this.head();
    if (head && String(head.version) === version) await this.remove({ force: true });
  }

  /**
   * The state: the newest claimed version, or <path> when it is as new (or there are no versions: a file
   * written before them). <path> alone can be behind: a run paused before its rename publishes late.
   */
  private async head(): Promise<FileContent | null> {
    for (;;) {
      const published = await this.readContent(this.path);
      const newest = await this.newestVersion();
      if (newest <= (published?.version ?? 0)) return published;
      const claimed = await this.readContent(this.marker(newest), newest);
      if (claimed) return claimed;
      // Deleted meanwhile: KEEP newer versions were written since the listing, so look again.
    }
  }

  private async newestVersion(): Promise<number> {
    let names: string[];
    try {
      names = await this.fs.readdir(this.versions);
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return 0;
      throw new StateError(`cannot read state directory ${this.versions}: ${(err as Error).message}`, { cause: err });
    }
    return Math.max(0, ...names.map(versionOf));
  }

  /** Deletes the versions older than the newest KEEP; best effort, as more of them only costs room. */
  private async prune(): Promise<void> {
    const names = await this.fs.readdir(this.versions).catch(() => [] as string[]);
    const numbers = names.map(versionOf);
    const newest = Math.max(0, ...numbers);
    const old = numbers.filter((n) => n > 0 && n <= newest - KEEP);
    await Promise.all(old.map((n) => this.fs.rm(this.marker(n), { force: true }).catch(() => undefined)));
  }

  private marker(version: number): string {
    return join(this.versions, `${version}.json`);
  }

  private conflict(expected: string | null, actual: string | null): ConflictError {
    const change = `version ${expected ?? 'none'} → ${actual ?? 'none'}`;
    return new ConflictError(`state ${this.path} changed since it was read (${change}): another run decided first`);
  }

  private async io<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new StateError(`${what}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The content of a state file (of a claimed `version`); null when there is none. */
  private async readContent(file: string, version?: number): Promise<FileContent | null> {
    let text: string;
    try {
      text = await this.fs.readFile(file, 'utf8');
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return null;
      throw new StateError(`cannot read state file ${file}: ${(err as Error).message}`, { cause: err });
    }
    // Not ours, or not a record: refused by a reset unless forced, so the hint says --force.
    const notOurs = (found: string, fix: string, cause?: unknown): NotOurStateError =>
      new NotOurStateError(`${found}; ${fix}`, found, { cause });
    const fix = 'fix or delete it (latency-scaler state reset --force)';
    let content: { version?: unknown; record?: unknown };
    try {
      content = JSON.parse(text) as typeof content;
    } catch (err) {
      throw notOurs(`state file ${file} is not valid JSON (${(err as Error).message})`, fix, err);
    }
    if (typeof content?.version !== 'number' || !Number.isInteger(content.version)) {
      throw notOurs(`state file ${file} is not a latency-scaler state file (no version)`, fix);
    }
    if (version !== undefined && content.version !== version) {
      throw notOurs(`state file ${file} holds version ${content.version}, not ${version}`, fix);
    }
    let record: StateRecord;
    try {
      record = decodeRecord(content.record);
    } catch (err) {
      throw notOurs(`state file ${file} holds no valid state record: ${(err as Error).message}`, fix, err);
    }
    const ours = ownedRecord(record, this.targetKey, this.earlierKey);
    if (!ours) {
      const found = `state file ${file} belongs to target ${record.target}, not ${this.targetKey}`;
      throw notOurs(found, 'give each target its own state.path');
    }
    return { version: content.version, record: ours };
  }
}
