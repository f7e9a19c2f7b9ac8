// What the console shows, read exactly as the CLI reads it: the overview's rows are `status`'s
// (commands/status.ts), a target's page reads the same state store and scale target a run uses, its
// Events and, for a Locust master with a worker Deployment, the master's own count of its workers.
import { createHash } from 'node:crypto';
import type { FleetMember } from '../config/load.ts';
import { describeTarget, type ScalerConfig } from '../config/types.ts';
import { messageOf } from '../errors.ts';
import { LocustMaster } from '../loadtest/locust-master.ts';
import { USABLE } from '../loadtest/locust.ts';
import { targetKey } from '../model/target-key.ts';
import type { StateRecord } from '../model/state-record.ts';
import { redactUrl } from '../report/redact.ts';
import { createStateStore } from '../state/index.ts';
import { createScaleTarget } from '../target/index.ts';
import type { Access, RecordedEvent, TargetAction, TargetStatus } from '../target/types.ts';
import { invalidRow, statusOf, type StatusRow } from '../commands/status.ts';
import { plural } from '../plural.ts';

/** One member of the fleet the console serves, with the id its page has in URLs. */
export interface ConsoleTarget {
  id: string;
  source: string;
  title: string;
  config?: ScalerConfig;
  member: FleetMember;
}

/** What the reads need: the environment (KUBECONFIG, …), the clock and the console's lifetime. */
export interface ReadContext {
  env: Record<string, string | undefined>;
  now: () => number;
  signal: AbortSignal;
}

/** An id per target, stable across restarts (a hash of its key): a bookmark stays good. */
export function consoleTargets(members: FleetMember[]): ConsoleTarget[] {
  return members.map((member) => {
    const key = member.config ? targetKey(member.config.target) : `invalid:${member.source}`;
    const id = createHash('sha256').update(key).digest('hex').slice(0, 10);
    const title = member.config ? describeTarget(member.config.target) : member.source;
    return { id, source: member.source, title, member, ...(member.config ? { config: member.config } : {}) };
  });
}

export interface OverviewRow {
  target: ConsoleTarget;
  row: StatusRow;
}

/** The overview: `status --wide`'s rows, every target read at once. */
export async function overview(targets: ConsoleTarget[], ctx: ReadContext): Promise<OverviewRow[]> {
  return Promise.all(
    targets.map(async (target) => ({
      target,
      row: target.config ? await statusOf(target.config, ctx) : invalidRow(target.member),
    })),
  );
}

/** A read that may fail on its own without failing the page: the value, or the words of the failure. */
export type Read<T> = { value: T; error?: undefined } | { value?: undefined; error: string };

async function attempt<T>(read: () => Promise<T>): Promise<Read<T>> {
  try {
    return { value: await read() };
  } catch (err) {
    return { error: messageOf(err) };
  }
}

export interface WorkersView {
  master: string; // the master's URL, credentials redacted
  deployment: string;
  /** Workers the master counts as usable, and how many it lists in each state. */
  counted: Read<{ usable: number; states: Record<string, number> }>;
  pods: Read<{ replicas: number; ready: number | undefined }>;
  access?: Access | undefined;
  /** In words, when the master's count and the Deployment's ready pods disagree. */
  mismatch?: string | undefined;
}

export interface TargetView {
  target: ConsoleTarget;
  config: ScalerConfig;
  store: string;
  state: Read<{ record: StateRecord | null; version: string | null }>;
  status: Read<TargetStatus>;
  /** Undefined where the platform records none (a webhook). */
  events?: Read<RecordedEvent[]> | undefined;
  /** Per action, where the platform can tell (Kubernetes: a SelfSubjectAccessReview). */
  access: Partial<Record<TargetAction, Access>>;
  /** The target keeps a pause the console can set (Kubernetes: the annotation); a webhook keeps its own. */
  pausable: boolean;
  workers?: WorkersView | undefined;
}

const EVENTS_SHOWN = 20;

/**
 * Everything a target's page shows, read concurrently; each part fails on its own, in words. `live`: only
 * what the refreshed part shows (no Events, no access reviews), for the refresh every few seconds.
 */
export async function targetView(
  target: ConsoleTarget,
  config: ScalerConfig,
  ctx: ReadContext,
  live = false,
): Promise<TargetView> {
  const { signal, env } = ctx;
  const [store, scaleTarget] = await Promise.all([
    attempt(() => createStateStore(config, env)),
    attempt(() => createScaleTarget(config, env)),
  ]);
  const t = scaleTarget.value;
  const [state, status, events, access, workers] = await Promise.all([
    store.value ? attempt(() => store.value.read(signal)) : { error: store.error! },
    t ? attempt(() => t.read(signal)) : { error: scaleTarget.error! },
    t?.recentEvents && !live ? attempt(() => t.recentEvents!(EVENTS_SHOWN, signal)) : undefined,
    live ? {} : accessOf(t, ['scale', 'pause', 'events'], signal),
    workersView(config, ctx),
  ]);
  return {
    target,
    config,
    store: store.value?.describe() ?? `state store: ${store.error}`,
    state,
    status,
    events,
    access,
    pausable: Boolean(t?.setPaused),
    workers,
  };
}

/** The actions' permissions; one that cannot be asked (the review itself refused) is left out. */
async function accessOf(
  target: { access?: (a: TargetAction, s?: AbortSignal) => Promise<Access> } | undefined,
  actions: TargetAction[],
  signal: AbortSignal,
): Promise<Partial<Record<TargetAction, Access>>> {
  if (!target?.access) return {};
  const answers = await Promise.all(actions.map((a) => target.access!(a, signal).catch(() => undefined)));
  return Object.fromEntries(actions.flatMap((a, i) => (answers[i] ? [[a, answers[i]]] : [])));
}

/** A Locust master with a worker Deployment: the master's count beside the Deployment's ready pods. */
export async function workersView(config: ScalerConfig, ctx: ReadContext): Promise<WorkersView | undefined> {
  const locust = config.loadTest?.locust;
  const ref = locust?.workers?.target;
  if (!locust?.url || !ref) return undefined;
  const master = new LocustMaster(locust.url, locust, config.api.timeout);
  const deployment = await attempt(() => createScaleTarget({ target: ref, api: config.api }, ctx.env));
  const d = deployment.value;
  const [counted, pods, access] = await Promise.all([
    attempt(async () => {
      const listed = (await master.status(ctx.signal)).workers ?? [];
      const states: Record<string, number> = {};
      for (const w of listed) states[w.state] = (states[w.state] ?? 0) + 1;
      return { usable: listed.filter((w) => USABLE.has(w.state)).length, states };
    }),
    d
      ? attempt(async () => {
          const s = await d.read(ctx.signal);
          return { replicas: s.replicas, ready: s.readyReplicas };
        })
      : ({ error: deployment.error! } as Read<{ replicas: number; ready: number | undefined }>),
    d?.access?.('scale', ctx.signal).catch(() => undefined),
  ]);
  return {
    master: redactUrl(locust.url),
    deployment: describeTarget(ref),
    counted,
    pods,
    access,
    mismatch: mismatchOf(counted.value?.usable, pods.value),
  };
}

/** The master is the judge of what a swarm can use: pods it does not count are no workers. */
export function mismatchOf(
  usable: number | undefined,
  pods: { replicas: number; ready: number | undefined } | undefined,
): string | undefined {
  if (usable === undefined || !pods) return undefined;
  const ready = pods.ready ?? pods.replicas;
  if (usable === ready && ready === pods.replicas) return undefined;
  if (usable !== ready) {
    const more =
      ready > usable
        ? `${plural(ready - usable, 'ready pod')} the master does not count: not connected to it, or still starting`
        : 'workers from elsewhere, or pods it still counts after they stopped';
    const counted = `the master counts ${plural(usable, 'usable worker')}`;
    return `${counted}, the Deployment has ${plural(ready, 'ready pod')} (${more})`;
  }
  return `the Deployment asks for ${plural(pods.replicas, 'pod')}, ${ready} ready (still starting?)`;
}
