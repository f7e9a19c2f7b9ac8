// Any workload with a /scale subresource (Deployment, StatefulSet, ReplicaSet, custom resources),
// read and written through /scale as HPA does — never a read-modify-replace of the whole object.
// The write is a JSON Patch that first tests the value read, so a concurrent change fails (exit 3)
// instead of being overwritten. Merge patches on custom resources' /scale misbehave
// (kubernetes/kubernetes#116311), so JSON Patch it is, with the content type set explicitly.
import { createHash } from 'node:crypto';
import type { KubernetesTargetRef } from '../config/types.ts';
import { ConfigError, ConflictError, messageOf, TargetError } from '../errors.ts';
import {
  apiError,
  describeCall,
  forbiddenMessage,
  statusOf,
  withRetry,
  type ApiCall,
  type CallContext,
} from '../kube/errors.ts';
import { PatchStrategy, setHeaderOptions, type KubeClients } from '../kube/client.ts';
import { callOptions, type KubeCallLimits } from '../kube/options.ts';
import { callTimeout, signalAt } from '../transport.ts';
import {
  conflictingHpas,
  conflictingScaledObjects,
  gitOpsWarnings,
  pauseOf,
  PAUSED,
  PAUSED_REPLICAS,
  PAUSED_SCALE_DOWN,
} from './ownership.ts';
import type {
  Access,
  NotSettled,
  RecordedEvent,
  ScaleTarget,
  TargetAction,
  TargetEvent,
  TargetStatus,
} from './types.ts';

interface Resource {
  group: string;
  version: string;
  plural: string;
}

interface Workload {
  metadata?: {
    uid?: string;
    generation?: number;
    annotations?: Record<string, string>;
    managedFields?: { manager?: string; fieldsV1?: object }[];
  };
  spec?: { replicas?: number; paused?: boolean; template?: unknown };
  status?: { observedGeneration?: number; readyReplicas?: number; updatedReplicas?: number; replicas?: number };
}

interface Scale {
  spec?: { replicas?: number };
  status?: { replicas?: number };
}

export class KubernetesScaleTarget implements ScaleTarget {
  private readonly ref: KubernetesTargetRef;
  private readonly clients: KubeClients;
  private resource?: Resource;
  private uid?: string;
  /** Listed on the first read only: the re-reads of one run (after a failed apply) need no new lists. */
  private ownership?: { others: string[]; warnings: string[] };

  private readonly limits: KubeCallLimits;
  private readonly instance: string;

  /** `instance`: who records the Events (the pod's HOSTNAME, from the environment the caller was given). */
  constructor(ref: KubernetesTargetRef, clients: KubeClients, limits: KubeCallLimits, instance = 'latency-scaler') {
    this.ref = ref;
    this.clients = clients;
    this.limits = limits;
    this.instance = instance;
  }

  describe(): string {
    return `${this.ref.kind} ${this.ref.namespace}/${this.ref.name}`;
  }

  async read(signal?: AbortSignal): Promise<TargetStatus> {
    const r = await this.resolve(signal);
    const base = {
      group: r.group,
      version: r.version,
      namespace: this.ref.namespace,
      plural: r.plural,
      name: this.ref.name,
    };
    const workload = (await this.call({ verb: 'get', resource: r.plural }, signal, (o) =>
      this.clients.custom.getNamespacedCustomObject(base, o),
    )) as Workload;
    const scale = (await this.call({ verb: 'get', resource: `${r.plural}/scale` }, signal, (o) =>
      this.clients.custom.getNamespacedCustomObjectScale(base, o),
    )) as Scale;
    this.uid = workload.metadata?.uid;
    const replicas = scale.spec?.replicas ?? 0;
    const annotations = workload.metadata?.annotations ?? {};
    const pause = pauseOf(
      {
        paused: annotations[PAUSED],
        pausedReplicas: annotations[PAUSED_REPLICAS],
        pausedScaleDown: annotations[PAUSED_SCALE_DOWN],
      },
      this.describe(),
    );
    const status: TargetStatus = { replicas, ...pause };
    this.ownership ??= await this.owners(workload, signal);
    const { others, warnings } = this.ownership;
    if (others.length > 0) status.otherAutoscalers = others;
    if (warnings.length > 0) status.warnings = warnings;
    if (workload.status?.readyReplicas !== undefined || this.ref.kind !== 'Deployment')
      status.readyReplicas = workload.status?.readyReplicas ?? 0;
    const notSettled = settleReason(workload, scale, replicas);
    if (notSettled) status.notSettled = notSettled;
    // The pod template's digest: a new one is a rollout, and the model policy learns the service time afresh.
    if (workload.spec?.template !== undefined) status.revision = templateDigest(workload.spec.template);
    return status;
  }

  /**
   * Other autoscalers naming this workload (HPAs; KEDA ScaledObjects where KEDA is installed), and a
   * GitOps controller owning spec.replicas. Never fails the run: a list the Role may not make, or
   * any other error, becomes a one-line warning.
   */
  private async owners(workload: Workload, signal?: AbortSignal): Promise<{ others: string[]; warnings: string[] }> {
    const warnings = gitOpsWarnings(workload.metadata?.managedFields, this.describe());
    const list = async (group: string, version: string, plural: string): Promise<{ spec?: object }[] | undefined> => {
      const args = { group, version, namespace: this.ref.namespace, plural };
      try {
        const answer = await this.clients.custom.listNamespacedCustomObject(
          args,
          callOptions(signal, this.limits.callTimeoutMs),
        );
        return (answer as { items?: { spec?: object }[] }).items ?? [];
      } catch (err) {
        signal?.throwIfAborted(); // interrupted: the run ends, this is no missing permission
        const status = statusOf(err);
        if (status === 404) return []; // that API is not installed (no KEDA): nothing can conflict
        const why =
          status === 403 ? `the Role may not list ${plural}.${group} (add "list" on it to check)` : messageOf(err);
        warnings.push(`could not check for other autoscalers of ${this.describe()}: ${why}`);
        return undefined;
      }
    };
    const [hpas, scaledObjects] = await Promise.all([
      list('autoscaling', 'v2', 'horizontalpodautoscalers'),
      list('keda.sh', 'v1alpha1', 'scaledobjects'),
    ]);
    const others = [
      ...conflictingHpas(hpas ?? [], this.ref),
      ...conflictingScaledObjects(scaledObjects ?? [], this.ref),
    ];
    return { others, warnings };
  }

  async apply(replicas: number, expectedCurrent: number, signal?: AbortSignal, until?: number): Promise<void> {
    const r = await this.resolve(signal);
    const body = [
      { op: 'test', path: '/spec/replicas', value: expectedCurrent },
      { op: 'replace', path: '/spec/replicas', value: replicas },
    ];
    const call: ApiCall = {
      verb: 'patch',
      resource: `${r.plural}/scale`,
      namespace: this.ref.namespace,
      name: this.ref.name,
      apiGroup: r.group,
    };
    let timeoutMs = this.limits.callTimeoutMs; // this attempt's, for the message
    const patch = () => {
      timeoutMs = callTimeout(this.limits.callTimeoutMs, until);
      const options = callOptions(signal, timeoutMs);
      return this.clients.custom.patchNamespacedCustomObjectScale(
        {
          group: r.group,
          version: r.version,
          namespace: this.ref.namespace,
          plural: r.plural,
          name: this.ref.name,
          body,
          fieldManager: 'latency-scaler',
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch, options),
      );
    };
    try {
      await withRetry(patch, { deadlineMs: this.limits.deadlineMs, until, signal });
    } catch (err) {
      // A failed JSON Patch `test` is a bare 422 ("the server rejected our request"): look again.
      // At our own value: an earlier attempt whose answer was lost had landed — success. At
      // another value: a concurrent change (a conflict). The look is bounded by `until` too.
      if (statusOf(err) === 422) {
        const now = await this.read(signalAt(until) ?? signal).catch(() => undefined);
        if (now?.replicas === replicas) return;
        if (now && now.replicas !== expectedCurrent) {
          const why =
            `replicas are no longer ${expectedCurrent} but ${now.replicas} ` +
            '(changed by someone else since the read)';
          throw new ConflictError(`${this.describe()}: ${why}`, { cause: err });
        }
      }
      throw apiError(err, call, this.context(timeoutMs));
    }
  }

  async recordEvent(event: TargetEvent, until?: number): Promise<void> {
    const timeoutMs = callTimeout(this.limits.callTimeoutMs, until);
    const now = new Date();
    await this.clients.core
      .createNamespacedEvent(
        {
          namespace: this.ref.namespace,
          body: {
            metadata: { generateName: `${this.ref.name}.` },
            involvedObject: {
              apiVersion: this.ref.apiVersion,
              kind: this.ref.kind,
              name: this.ref.name,
              namespace: this.ref.namespace,
              ...(this.uid ? { uid: this.uid } : {}),
            },
            type: event.type,
            reason: event.reason,
            message: event.message.slice(0, 1024),
            source: { component: 'latency-scaler' },
            reportingComponent: 'latency-scaler',
            reportingInstance: this.instance,
            action: event.reason,
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        },
        callOptions(undefined, timeoutMs),
      )
      .catch((err: unknown) => {
        throw apiError(
          err,
          { verb: 'create', resource: 'events', namespace: this.ref.namespace, apiGroup: '' },
          this.context(timeoutMs),
        );
      });
  }

  /** The pause annotation, set or removed by a JSON merge patch of the workload's metadata (not its /scale). */
  async setPaused(paused: boolean, signal?: AbortSignal): Promise<void> {
    const r = await this.resolve(signal);
    const body = { metadata: { annotations: { [PAUSED]: paused ? 'true' : null } } };
    await this.call({ verb: 'patch', resource: r.plural }, signal, (o) =>
      this.clients.custom.patchNamespacedCustomObject(
        { ...this.objectPath(r), body, fieldManager: 'latency-scaler' },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch, o),
      ),
    );
  }

  /** The Events on the workload (ours and its controller's), newest first. */
  async recentEvents(limit: number, signal?: AbortSignal): Promise<RecordedEvent[]> {
    const { kind, name, namespace } = this.ref;
    const fieldSelector = `involvedObject.kind=${kind},involvedObject.name=${name}`;
    const list = await this.call({ verb: 'list', resource: 'events', apiGroup: '', unnamed: true }, signal, (o) =>
      this.clients.core.listNamespacedEvent({ namespace, fieldSelector }, o),
    );
    const time = (d: Date | string | undefined): string | null => (d ? new Date(d).toISOString() : null);
    return list.items
      .map((e) => ({
        type: e.type === 'Warning' ? ('Warning' as const) : ('Normal' as const),
        reason: e.reason ?? '',
        message: e.message ?? '',
        at: time(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp),
        count: e.count ?? 1,
        from: e.reportingComponent || e.source?.component || '',
      }))
      .sort((a, b) => (b.at ?? '').localeCompare(a.at ?? ''))
      .slice(0, limit);
  }

  /** A SelfSubjectAccessReview of the call the action makes: what these credentials may do, asked of the API. */
  async access(action: TargetAction, signal?: AbortSignal): Promise<Access> {
    const r = await this.resolve(signal);
    const { namespace, name } = this.ref;
    const attributes =
      action === 'events'
        ? { verb: 'list', group: '', resource: 'events', namespace }
        : {
            verb: 'patch',
            group: r.group,
            resource: r.plural,
            namespace,
            name,
            subresource: action === 'scale' ? 'scale' : '',
          };
    const resource = attributes.subresource ? `${r.plural}/scale` : attributes.resource;
    const call: ApiCall = { verb: attributes.verb, resource, namespace, apiGroup: attributes.group };
    if (action !== 'events') call.name = name;
    const review = (await this.call(
      { verb: 'create', resource: 'selfsubjectaccessreviews', apiGroup: 'authorization.k8s.io', unnamed: true },
      signal,
      (o) =>
        this.clients.custom.createClusterCustomObject(
          {
            group: 'authorization.k8s.io',
            version: 'v1',
            plural: 'selfsubjectaccessreviews',
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SelfSubjectAccessReview',
              spec: { resourceAttributes: attributes },
            },
          },
          o,
        ),
    )) as { status?: { allowed?: boolean; reason?: string } };
    const allowed = review.status?.allowed === true;
    const said = review.status?.reason || 'no RBAC rule allows it';
    return { allowed, call: describeCall(call), ...(allowed ? {} : { reason: forbiddenMessage(call, said) }) };
  }

  private objectPath(r: Resource) {
    return { group: r.group, version: r.version, namespace: this.ref.namespace, plural: r.plural, name: this.ref.name };
  }

  private context(timeoutMs = this.limits.callTimeoutMs): CallContext {
    return { notFound: this.notFound(), server: this.clients.server, timeoutMs };
  }

  private notFound(): string {
    const { kind, name, namespace } = this.ref;
    const kubectl = `kubectl get ${this.resource?.plural ?? kind.toLowerCase()} -n ${namespace}`;
    const where = `${kind} ${JSON.stringify(name)} not found in namespace ${JSON.stringify(namespace)}`;
    return `${where}: check target.name and target.namespace (${kubectl})`;
  }

  /** `what.unnamed`: a list or a create, whose 403 names no object. */
  private async call<T>(
    what: Omit<ApiCall, 'namespace' | 'name'> & { unnamed?: boolean },
    signal: AbortSignal | undefined,
    fn: (options: ReturnType<typeof callOptions>) => Promise<T>,
  ): Promise<T> {
    const call: ApiCall = {
      verb: what.verb,
      resource: what.resource,
      namespace: this.ref.namespace,
      apiGroup: what.apiGroup ?? this.resource?.group ?? '',
    };
    if (!what.unnamed) call.name = this.ref.name;
    try {
      return await withRetry(() => fn(callOptions(signal, this.limits.callTimeoutMs)), {
        deadlineMs: this.limits.deadlineMs,
        signal,
      });
    } catch (err) {
      throw apiError(err, call, this.context());
    }
  }

  /** kind → resource through API discovery (GET /apis/<group>/<version>), once per process. */
  private async resolve(signal?: AbortSignal): Promise<Resource> {
    if (this.resource) return this.resource;
    const { apiVersion, kind } = this.ref;
    const slash = apiVersion.indexOf('/');
    if (slash < 0) {
      const rule = "is the core group; only named groups are supported (apps/v1, or a custom resource's group/version)";
      throw new ConfigError([{ path: 'target.apiVersion', message: `${JSON.stringify(apiVersion)} ${rule}` }]);
    }
    const group = apiVersion.slice(0, slash);
    const version = apiVersion.slice(slash + 1);
    const call = { verb: 'get', resource: `discovery ${apiVersion}`, namespace: this.ref.namespace };
    let list;
    try {
      const discover = () =>
        this.clients.custom.getAPIResources({ group, version }, callOptions(signal, this.limits.callTimeoutMs));
      list = await withRetry(discover, { deadlineMs: this.limits.deadlineMs, signal });
    } catch (err) {
      if (statusOf(err) === 404) {
        throw new TargetError(
          `the API server does not serve ${apiVersion}: check target.apiVersion (kubectl api-resources)`,
          { cause: err },
        );
      }
      throw apiError(err, call, this.context());
    }
    const resources = list.resources ?? [];
    const found = resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!found) {
      const known = `kubectl api-resources --api-group=${group}`;
      throw new TargetError(`kind ${kind} is not served by ${apiVersion}: check target.kind (${known})`);
    }
    if (!resources.some((r) => r.name === `${found.name}/scale`)) {
      const crd = 'for a custom resource, declare subresources.scale in its CRD';
      throw new TargetError(`${kind} (${apiVersion}) has no /scale subresource, so it cannot be scaled; ${crd}`);
    }
    if (!found.namespaced)
      throw new TargetError(`${kind} (${apiVersion}) is cluster-scoped; only namespaced workloads are supported`);
    this.resource = { group, version, plural: found.name };
    return this.resource;
  }
}

/** Why the target is not settled, from the workload's status (pure). */
export function settleReason(workload: Workload, scale: Scale, replicas: number): NotSettled | undefined {
  const generation = workload.metadata?.generation;
  const observed = workload.status?.observedGeneration;
  if (generation !== undefined && observed !== undefined && observed < generation) {
    const reason = `rollout in progress: generation ${generation} not yet observed by the controller (at ${observed})`;
    return { kind: 'rollout', reason };
  }
  const st = workload.status;
  if (st?.readyReplicas !== undefined || st?.updatedReplicas !== undefined || st?.replicas !== undefined) {
    if (st.updatedReplicas !== undefined && st.updatedReplicas < Math.min(replicas, st.replicas ?? replicas)) {
      return { kind: 'rollout', reason: `rollout in progress: ${st.updatedReplicas} of ${replicas} replicas updated` };
    }
    const ready = st.readyReplicas ?? 0;
    if (ready < replicas) return { kind: 'starting', reason: `${ready} of ${replicas} replicas ready` };
    return undefined;
  }
  const current = scale.status?.replicas;
  if (current !== undefined && current !== replicas)
    return { kind: 'starting', reason: `${current} of ${replicas} replicas exist` };
  return undefined;
}

/** A short digest of the pod template (as the API server returns it, its key order stable). */
export function templateDigest(template: unknown): string {
  return createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 12);
}
