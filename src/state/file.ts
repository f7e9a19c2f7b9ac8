// The embedded default store: one JSON file per target, for runs by hand and the local demo.
// Writes are atomic (temp file + rename) and compare-and-swap on a version number, checked
// under an exclusive lock file, so two local runs cannot both apply from the same state.
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConflictError, StateError } from '../errors.ts';
import type { StateRecord, StateStore, VersionedRecord } from './types.ts';

interface FileContent {
  version: number;
  record: StateRecord;
}

const STALE_LOCK_MS = 30_000; // a lock older than any write can take was left by a killed run

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

  async write(record: StateRecord, expected: string | null): Promise<void> {
    await this.withLock(async () => {
      const content = await this.readContent();
      const actual = content ? String(content.version) : null;
      if (actual !== expected) {
        throw new ConflictError(`state ${this.path} changed since it was read (version ${expected ?? 'none'} → ${actual ?? 'none'}): another run decided first; nothing applied`);
      }
      const next: FileContent = { version: (content?.version ?? 0) + 1, record };
      const temp = `${this.path}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o644 });
      await rename(temp, this.path);
    });
  }

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
    let content: FileContent;
    try {
      content = JSON.parse(text) as FileContent;
    } catch (err) {
      throw new StateError(`state file ${this.path} is not valid JSON (${(err as Error).message}); fix or delete it (latency-scaler state reset)`, { cause: err });
    }
    if (typeof content?.version !== 'number' || typeof content.record !== 'object' || content.record === null) {
      throw new StateError(`state file ${this.path} is not a latency-scaler state record; fix or delete it`);
    }
    if (content.record.target !== this.targetKey) {
      throw new StateError(`state file ${this.path} belongs to target ${content.record.target}, not ${this.targetKey}; give each target its own state.path`);
    }
    return content;
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = `${this.path}.lock`;
    await mkdir(dirname(this.path), { recursive: true });
    let handle;
    try {
      handle = await open(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateError(`cannot lock state file ${lock}: ${(err as Error).message}`, { cause: err });
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age < STALE_LOCK_MS) throw new ConflictError(`state ${this.path} is locked by another run (${lock}); nothing applied`);
      await rm(lock, { force: true });
      handle = await open(lock, 'wx').catch(() => {
        throw new ConflictError(`state ${this.path} is locked by another run (${lock}); nothing applied`);
      });
    }
    try {
      await handle.writeFile(String(process.pid));
      return await fn();
    } finally {
      await handle.close();
      await rm(lock, { force: true });
    }
  }
}
