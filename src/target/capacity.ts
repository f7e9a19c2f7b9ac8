// What a workload's pending pods say about the cluster's capacity (DESIGN §4.13), pure: those the
// scheduler marked Unschedulable are no capacity; a cluster autoscaler's TriggeredScaleUp Event on
// one of them (not withdrawn by a later NotTriggerScaleUp) means a node is being added for it.
import type { PendingPods } from '../model/target-status.ts';

type Time = Date | string | undefined;

/** The parts of a Pod read here (as the client returns it: times as Dates, or strings). */
export interface PodView {
  metadata?: { name?: string; uid?: string; creationTimestamp?: Time; deletionTimestamp?: Time };
  status?: {
    phase?: string;
    conditions?: { type?: string; status?: string; reason?: string; message?: string; lastTransitionTime?: Time }[];
  };
}

/** The parts of an Event read here. */
export interface EventView {
  reason?: string;
  involvedObject?: { name?: string; uid?: string };
  lastTimestamp?: Time;
  eventTime?: Time;
  firstTimestamp?: Time;
  metadata?: { creationTimestamp?: Time };
}

/** A cluster autoscaler's Events on a pod it is (TriggeredScaleUp) or is not (NotTriggerScaleUp) adding a node for. */
export const SCALE_UP_EVENTS = ['TriggeredScaleUp', 'NotTriggerScaleUp'] as const;

const MAX_MESSAGE = 300;

/** The pending pods' summary, or undefined when none is pending (deleted ones do not count). */
export function pendingPods(pods: PodView[], events: EventView[] = []): PendingPods | undefined {
  const pending = pods.filter((p) => p.status?.phase === 'Pending' && !p.metadata?.deletionTimestamp);
  if (pending.length === 0) return undefined;
  const unschedulable = pending.flatMap((pod) => {
    const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
    if (c?.status !== 'False' || c.reason !== 'Unschedulable') return [];
    return [{ pod, at: ms(c.lastTransitionTime) ?? ms(pod.metadata?.creationTimestamp), message: c.message }];
  });
  const summary: PendingPods = { pods: pending.length, unschedulable: unschedulable.length, scalingUp: false };
  if (unschedulable.length === 0) return summary;
  const latest = [...unschedulable].sort((a, b) => (b.at ?? 0) - (a.at ?? 0))[0]!;
  const message = schedulerMessage(latest.message);
  if (message) summary.message = message;
  const times = unschedulable.flatMap((u) => (u.at === undefined ? [] : [u.at]));
  if (times.length > 0) summary.since = new Date(Math.min(...times)).toISOString();
  summary.scalingUp = unschedulable.some((u) => addingNodeFor(u.pod, events));
  return summary;
}

/** The scheduler's reason without its preemption addendum: `0/1 nodes are available: 1 Insufficient cpu`. */
export function schedulerMessage(message: string | undefined): string | undefined {
  const text = message
    ?.split(/\s*preemption:/)[0]
    ?.trim()
    .replace(/\.$/, '');
  if (!text) return undefined;
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}

/** The autoscaler's latest word on this pod is that it triggered a scale-up. */
function addingNodeFor(pod: PodView, events: EventView[]): boolean {
  const about = events.filter((e) => {
    const o = e.involvedObject;
    if (pod.metadata?.uid && o?.uid) return o.uid === pod.metadata.uid;
    return o?.name !== undefined && o.name === pod.metadata?.name;
  });
  const at = (e: EventView): number =>
    ms(e.lastTimestamp) ?? ms(e.eventTime) ?? ms(e.firstTimestamp) ?? ms(e.metadata?.creationTimestamp) ?? 0;
  const last = about.sort((a, b) => at(b) - at(a))[0];
  return last?.reason === 'TriggeredScaleUp';
}

function ms(t: Time): number | undefined {
  if (t === undefined) return undefined;
  const v = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isFinite(v) ? v : undefined;
}
