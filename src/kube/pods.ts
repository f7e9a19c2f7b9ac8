// The client calls behind the capacity check (DESIGN §4.13): a workload's pods that are not running
// yet, and the Events a cluster autoscaler records on them. What they mean is target/capacity.ts's.
import type { CoreV1Event, KubeClients, V1Pod } from './client.ts';
import { callOptions } from './options.ts';

/** The pods of `selector` (the /scale subresource's label selector) still in phase Pending. */
export async function pendingPods(
  clients: KubeClients,
  where: { namespace: string; selector: string },
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<V1Pod[]> {
  const list = await clients.core.listNamespacedPod(
    { namespace: where.namespace, labelSelector: where.selector, fieldSelector: 'status.phase=Pending' },
    callOptions(signal, timeoutMs),
  );
  return list.items;
}

/** The namespace's Events on pods with this reason (a cluster autoscaler's TriggeredScaleUp, NotTriggerScaleUp). */
export async function podEvents(
  clients: KubeClients,
  where: { namespace: string; reason: string },
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<CoreV1Event[]> {
  const list = await clients.core.listNamespacedEvent(
    { namespace: where.namespace, fieldSelector: `involvedObject.kind=Pod,reason=${where.reason}` },
    callOptions(signal, timeoutMs),
  );
  return list.items;
}
