// The embedded default store: one JSON file per target, for runs by hand and the local demo.
// Writes are atomic (temp file + rename) and compare-and-swap on a version number, checked
// under an exclusive lock file, so two local runs cannot both apply from the same state.
import { link, mkdir, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConflictError, StateError } from '../errors.ts';
import { decodeRecord, fitRecord, type StateRecord } from '../model/state-record.ts';
import type { StateStore, VersionedRecord } from './types.ts';

interface FileContent {
  version: number;
  record: StateRecord;
}

const STALE_LOCK_MS = 30_000; // a lock older than any write can take was left by a killed run
const MAX_BYTES = 1024 * 1024; // the same bound as a ConfigMap: a file record moves to a cluster unchanged

export class FileStateStore implements StateStore {
  readonly path: string;
  private readonly targetKey: string;

  constructor(path: string, targetKey: string) {
    this.path = path;
    this.targetKey = targetKey;
  }

  describe(): string {
    return `file ${this.path}`;
  }

  async read(): Promise<VersionedRecord> {
    const content = await this.readContent();
    return content ? { record: content.record, version: String(content.version) } : { record: null, version: null };
  }

  async write(record: StateRecord, expected: string | null): Promise<string> {
    return this.withLock(async () => {
      const content = await this.readContent();
      const actual = content ? String(content.version) : null;
      if (actual !== expected) {
        const change = `version ${expected ?? 'none'} → ${actual ?? 'none'}`;
        throw new ConflictError(`state ${this.path} changed since it was read (${change}): another run decided first`);
      }
      const version = (content?.version ?? 0) + 1;
      const fitted = fitRecord(record, MAX_BYTES);
      const temp = `${this.path}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify({ version, record: fitted }, null, 2)}\n`, { mode: 0o644 });
      await rename(temp, this.path);
      return String(version);
    });
  }

  /** The file is ours (the store creates it), so a reset removes it. */
  async remove(): Promise<void> {
    await this.withLock(() => rm(this.path, { force: true }));
  }

  private async readContent(): Promise<FileContent | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StateError(`cannot read state file ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    const fix = 'fix or delete it (latency-scaler state reset)';
    let content: { version?: unknown; record?: unknown };
    try {
      content = JSON.parse(text) as typeof content;
    } catch (err) {
      throw new StateError(`state file ${this.path} is not valid JSON (${(err as Error).message}); ${fix}`, {
        cause: err,
      });
    }
    if (typeof content?.version !== 'number' || !Number.isInteger(content.version)) {
      throw new StateError(`state file ${this.path} is not a latency-scaler state file (no version); ${fix}`);
    }
    let record: StateRecord;
    try {
      record = decodeRecord(content.record);
    } catch (err) {
      throw new StateError(`state file ${this.path} holds no valid state record: ${(err as Error).message}; ${fix}`);
    }
    if (record.target !== this.targetKey) {
      const why = `belongs to target ${record.target}, not ${this.targetKey}`;
      throw new StateError(`state file ${this.path} ${why}; give each target its own state.path`);
    }
    return { version: content.version, record };
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = `${this.path}.lock`;
    await mkdir(dirname(this.path), { recursive: true });
    const handle = await this.acquire(lock);
    try {
      await handle.writeFile(String(process.pid));
      return await fn();
    } finally {
      await handle.close();
      await rm(lock, { force: true });
    }
  }

  private async acquire(lock: string): Promise<FileHandle> {
    const locked = (): ConflictError => new ConflictError(`state ${this.path} is locked by another run (${lock})`);
    try {
      return await open(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StateError(`cannot lock state file ${lock}: ${(err as Error).message}`, { cause: err });
      }
    }
    const seen = await stat(lock).catch(() => undefined);
    if (seen && Date.now() - seen.mtimeMs < STALE_LOCK_MS) throw locked();
    // Take over a stale lock by moving it aside: of two runs doing this at once, only one moves the
    // stale file; the other either finds nothing to move or moves a fresh lock, which it puts back.
    const aside = `${lock}.${process.pid}.stale`;
    try {
      await rename(lock, aside);
    } catch {
      throw locked();
    }
    const moved = await stat(aside).catch(() => undefined);
    if (seen && moved && moved.ino !== seen.ino) {
      await link(aside, lock).catch(() => undefined);
      await rm(aside, { force: true });
      throw locked();
    }
    await rm(aside, { force: true });
    return open(lock, 'wx').catch(() => {
      throw locked();
    });
  }
}
