// Reads a Kubernetes workload's pending pods for the capacity check (DESIGN §4.13): by the /scale
// subresource's selector, and the cluster autoscaler's Events on them only when some cannot be
// placed. Never fails the run: a list the Role may not make, or any other error, is a warning.
import { apiError, statusOf, withRetry, type CallContext } from '../kube/errors.ts';
import type { KubeClients } from '../kube/client.ts';
import type { KubeCallLimits } from '../kube/options.ts';
import { pendingPods as listPendingPods, podEvents } from '../kube/pods.ts';
import type { PendingPods } from '../model/target-status.ts';
import { pendingPods, SCALE_UP_EVENTS } from './capacity.ts';

export async function readPending(
  clients: KubeClients,
  where: { namespace: string; selector: string; describe: string },
  limits: KubeCallLimits,
  context: CallContext,
  signal?: AbortSignal,
): Promise<{ pending?: PendingPods; warning?: string }> {
  const { namespace, selector } = where;
  const timeoutMs = limits.callTimeoutMs;
  const retrying = <T>(fn: () => Promise<T>): Promise<T> => withRetry(fn, { deadlineMs: limits.deadlineMs, signal });
  const warning = (err: unknown, resource: string, what: string): { warning: string } => {
    signal?.throwIfAborted(); // interrupted: the run ends, this is no missing permission
    const why =
      statusOf(err) === 403
        ? `the Role may not list ${resource} (add "list" on ${resource} to check)`
        : apiError(err, { verb: 'list', resource, namespace }, context).message;
    return { warning: `could not ${what} ${where.describe}: ${why}` };
  };
  let pods;
  try {
    pods = await retrying(() => listPendingPods(clients, { namespace, selector }, signal, timeoutMs));
  } catch (err) {
    return warning(err, 'pods', 'check for unschedulable pods of');
  }
  const found = pendingPods(pods);
  if (!found || found.unschedulable === 0) return found ? { pending: found } : {};
  try {
    const lists = SCALE_UP_EVENTS.map((reason) =>
      retrying(() => podEvents(clients, { namespace, reason }, signal, timeoutMs)),
    );
    return { pending: pendingPods(pods, (await Promise.all(lists)).flat()) };
  } catch (err) {
    return { pending: found, ...warning(err, 'events', 'tell whether a cluster autoscaler adds a node for') };
  }
}
