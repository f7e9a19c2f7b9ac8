// What `init` needs to know of a workload before it measures: the workload's replicas and the Service
// that selects its pods (by the pod template's labels, as `kubectl expose` would), read-only.
import { contextNamespace } from '../config/load.ts';
import { InvalidArgumentError, TargetError } from '../errors.ts';
import { apiError, withRetry, workloadNotFound, type ApiCall } from '../kube/errors.ts';
import type { KubeCallLimits } from '../kube/options.ts';

/** apps/v1's scalable kinds and their resources (also what `manifests` names in a Role). */
export const APPS_PLURALS: Record<string, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  ReplicaSet: 'replicasets',
};

/** The names kubectl takes for them: `deployment/web`, `deploy/web`, `sts/db`, … */
const ALIASES: Record<string, string> = {
  deployment: 'Deployment',
  deploy: 'Deployment',
  statefulset: 'StatefulSet',
  sts: 'StatefulSet',
  replicaset: 'ReplicaSet',
  rs: 'ReplicaSet',
};

/** What init found about the workload: where to measure it, and what the scaler.yaml names. */
export interface Found {
  target: string; // the `target:` line of scaler.yaml
  describe: string; // `Deployment shop/web`
  replicas: number;
  /** The address the scaler (in the cluster) measures; what init measures unless --host. */
  serviceUrl: string;
  via: string; // `Service shop/web port 8080`
  /** The Service measured, for the port-forward to suggest when its cluster address is not reachable. */
  service?: { name: string; namespace: string; port: number };
  /** A Kubernetes workload's identity (its state ConfigMap is named after it). */
  workload?: { kind: string; apiVersion: string; name: string; namespace: string };
  /** A webhook's state in a cluster: a ConfigMap named in full (it has no workload to sit beside). */
  webhook?: { configMap: string; namespace: string };
}

/**
 * The workload, and the Service that selects its pods: by the pod template's labels, as kubectl expose.
 * Each API call as a run makes it: within api.timeout, transient failures retried for api.retryFor, ended
 * at once by the signal (Ctrl-C), and failures in the same words (a missing workload as `run` says it).
 */
export async function discoverWorkload(
  o: { workload: string; namespace?: string | undefined },
  env: Record<string, string | undefined>,
  run: { signal: AbortSignal; limits: KubeCallLimits },
): Promise<Found> {
  const [kindText, name] = o.workload.split('/');
  const kindName = ALIASES[kindText?.toLowerCase() ?? ''];
  const kind = kindName ? { kind: kindName, plural: APPS_PLURALS[kindName]! } : undefined;
  if (!kind || !name) {
    const expected = 'KIND/NAME (deployment/web, statefulset/db) nor an http(s) URL';
    const message = `${JSON.stringify(o.workload)} is not ${expected}`;
    throw new InvalidArgumentError([{ path: 'workload', message }]);
  }
  const namespace = o.namespace ?? contextNamespace(env)?.namespace ?? 'default';
  const [{ kubeClients }, { callOptions }] = await Promise.all([
    import('../kube/client.ts'),
    import('../kube/options.ts'),
  ]);
  const clients = await kubeClients(env);
  const describe = `${kind.kind} ${namespace}/${name}`;
  const { signal, limits } = run;
  const workload = { kind: kind.kind, name, namespace };
  const call = async <T>(what: ApiCall, fn: (options: ReturnType<typeof callOptions>) => Promise<T>): Promise<T> => {
    try {
      const attempt = () => fn(callOptions(signal, limits.callTimeoutMs));
      return await withRetry(attempt, { deadlineMs: limits.deadlineMs, signal });
    } catch (err) {
      const notFound = what.name ? workloadNotFound(workload, kind.plural, 'the name and -n') : undefined;
      throw apiError(err, what, { notFound, server: clients.server, timeoutMs: limits.callTimeoutMs });
    }
  };
  const get = { group: 'apps', version: 'v1', namespace, plural: kind.plural, name };
  const object = (await call({ verb: 'get', resource: kind.plural, namespace, name, apiGroup: 'apps' }, (options) =>
    clients.custom.getNamespacedCustomObject(get, options),
  )) as { spec?: { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } } };
  const listed = await call({ verb: 'list', resource: 'services', namespace, apiGroup: '' }, (options) =>
    clients.core.listNamespacedService({ namespace }, options),
  );
  const services = listed.items as {
    metadata?: { name?: string };
    spec?: { selector?: Record<string, string>; ports?: { port: number }[] };
  }[];
  const labels = object.spec?.template?.metadata?.labels ?? {};
  const selects = (selector: Record<string, string> | undefined): boolean =>
    !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
  const service = services.find((s) => selects(s.spec?.selector));
  const port = service?.spec?.ports?.[0]?.port;
  if (!service?.metadata?.name || port === undefined) {
    const wanted = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    throw new TargetError(
      `no Service in namespace ${namespace} selects the pods of ${describe} (labels ${wanted || 'none'}): ` +
        'create one (kubectl expose), or pass a webhook URL and --host',
    );
  }
  return {
    target: `target: { kind: ${kind.kind}, apiVersion: apps/v1, name: ${name}, namespace: ${namespace} }`,
    describe,
    replicas: object.spec?.replicas ?? 1,
    serviceUrl: `http://${service.metadata.name}.${namespace}.svc:${port}`,
    via: `Service ${namespace}/${service.metadata.name} port ${port}`,
    service: { name: service.metadata.name, namespace, port },
    workload: { kind: kind.kind, apiVersion: 'apps/v1', name, namespace },
  };
}
