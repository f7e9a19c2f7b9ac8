// One record per target, wherever the command runs (DESIGN §5): a Kubernetes target's record lives in the
// cluster (its ConfigMap) for the CronJob and for a person at a laptop alike. What needs words:
// - `state.store: file` set for a Kubernetes target while its ConfigMap holds a record too: the command
//   says which record it reads and that the other exists;
// - the record earlier versions kept in ./.latency-scaler/ when run by hand: a run moves it into the
//   ConfigMap when that holds none yet (else sets it aside), and says so, once; the commands that only
//   read (status, history, state show, a dry run) read it until then and say what the next run will do.
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { describeTarget, isHttpTarget, type ScalerConfig } from '../config/types.ts';
import { messageOf } from '../errors.ts';
import type { StateRecord } from '../model/state-record.ts';
import { defaultStatePath, earlierDefaultStatePath } from '../model/target-key.ts';
import { createStateStore } from '../state/index.ts';
import type { StateStore, VersionedRecord } from '../state/types.ts';
import type { CommandContext } from './context.ts';
import { plural } from '../plural.ts';

/** What opening a store needs of the command; without a logger (the console's overview) nothing is said. */
type StoreContext = Pick<CommandContext, 'env' | 'signal'> & { log?: CommandContext['log'] | undefined };

/** The target's store, as the command uses it: `write` (a run, a manual change) or `read` (the rest). */
export async function openStateStore(
  config: ScalerConfig,
  ctx: StoreContext,
  use: 'read' | 'write',
): Promise<StateStore> {
  const store = await createStateStore(config, ctx.env);
  const t = config.target;
  if (isHttpTarget(t)) return store;
  if (config.state.store === 'file') {
    await noticeClusterRecord(config, store, ctx);
    return store;
  }
  // Only a run by hand had a file by default; in a pod (and in Lambda) the default was never a file.
  if (config.state.store !== 'configmap' || ctx.env['KUBERNETES_SERVICE_HOST']) return store;
  const path = defaultStatePath(t);
  // The file store reads the file of the target's earlier key too (a kind outside core and apps/v1).
  const files = [path, earlierDefaultStatePath(t)].filter((p) => p !== undefined);
  if (!files.some((p) => existsSync(p) || existsSync(`${p}.versions`))) return store;
  const file = await createStateStore({ ...config, state: { store: 'file', path } }, ctx.env);
  let earlier: StateRecord | null;
  try {
    earlier = (await file.read(ctx.signal)).record;
  } catch (err) {
    ctx.log?.log(
      'warn',
      `${file.describe()}, an earlier record of ${describeTarget(t)}, is not read: ${messageOf(err)}`,
    );
    return store;
  }
  if (!earlier) return store;
  const moved = { file, path, record: earlier };
  if (use === 'write') {
    await moveEarlierRecord(config, store, moved, ctx);
    return store;
  }
  return new WithEarlierRecord(store, moved, (message) => ctx.log?.log('warn', message));
}

interface Earlier {
  file: StateStore;
  path: string;
  record: StateRecord;
}

const WHY = "earlier versions kept it there when run by hand; a Kubernetes target's record is in the cluster now";

/** `6 replicas, last run 2026-12-01T10:00:00Z` */
function summary(record: StateRecord): string {
  const replicas = record.lastReplicas === null ? '? replicas' : plural(record.lastReplicas, 'replica');
  return `${replicas}, last run ${record.lastRunAt ?? 'never'}`;
}

/** Into the ConfigMap when it holds no record (a CAS on its version), else left; the file set aside either way. */
async function moveEarlierRecord(
  config: ScalerConfig,
  store: StateStore,
  earlier: Earlier,
  ctx: StoreContext,
): Promise<void> {
  const here = await store.read(ctx.signal);
  let what: string;
  if (here.record === null) {
    await store.write(earlier.record, here.version);
    what = `moved it into ${store.describe()}`;
  } else {
    what = `did not move it: ${store.describe()} holds a record already (${summary(here.record)}), the one read now`;
  }
  const kept = `${earlier.path}.old`;
  await writeFile(kept, `${JSON.stringify({ version: 1, record: earlier.record }, null, 2)}\n`);
  await earlier.file.remove();
  ctx.log?.log(
    'warn',
    `${describeTarget(config.target)}: ${earlier.file.describe()} held this machine's record of it ` +
      `(${summary(earlier.record)}; ${WHY}, wherever the command runs): this run ${what}. ` +
      `The file is kept as ${kept}; delete it when you like.`,
  );
}

/** The read-only view before the move: the earlier file's record where the ConfigMap has none yet. */
class WithEarlierRecord implements StateStore {
  private said = false;
  private readonly store: StateStore;
  private readonly earlier: Earlier;
  private readonly say: (message: string) => void;

  constructor(store: StateStore, earlier: Earlier, say: (message: string) => void) {
    this.store = store;
    this.earlier = earlier;
    this.say = say;
  }

  describe(): string {
    return this.store.describe();
  }

  async read(signal?: AbortSignal): Promise<VersionedRecord> {
    const here = await this.store.read(signal);
    const file = this.earlier.file.describe();
    const once = (message: string): void => {
      if (!this.said) this.say(message);
      this.said = true;
    };
    if (here.record === null) {
      once(
        `${this.store.describe()} holds no record yet: this reads the one in ${file} (${WHY}); ` +
          'the next run (not a dry run) moves it there',
      );
      return { record: this.earlier.record, version: here.version };
    }
    once(
      `${file} holds an earlier record (${summary(this.earlier.record)}; ${WHY}): not read, ` +
        `${this.store.describe()} holds the record (${summary(here.record)}); the next run sets the file aside`,
    );
    return here;
  }

  write(record: StateRecord, expected: string | null, until?: number): Promise<string> {
    return this.store.write(record, expected, until);
  }

  remove(): Promise<void> {
    return this.store.remove();
  }
}

/**
 * A file store set for a Kubernetes target: where the cluster holds another record of it (the CronJob's),
 * say so, once. One quick look (one call within api.timeout, no retries); no answer is no warning.
 */
async function noticeClusterRecord(config: ScalerConfig, store: StateStore, ctx: StoreContext): Promise<void> {
  const look = { ...config, state: { store: 'configmap' as const }, api: { ...config.api, retryFor: 0 } };
  const cluster = await createStateStore(look, ctx.env).catch(() => undefined);
  const theirs = await cluster?.read(ctx.signal).catch(() => undefined);
  if (!cluster || !theirs?.record) return;
  ctx.log?.log(
    'warn',
    `${describeTarget(config.target)}: this reads the record in ${store.describe()} (state.store: file); ` +
      `${cluster.describe()} holds another (${summary(theirs.record)}) — the CronJob's, by default. Two records ` +
      'of one target disagree: without state.store the command reads the cluster one, wherever it runs',
  );
}
