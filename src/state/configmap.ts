// State in a ConfigMap beside the target: created on first run, then replaced with
// compare-and-swap on resourceVersion. A 409 is a conflict (exit 3), never an overwrite.
// The ConfigMap itself is never deleted: jobs/ ships it so the Role needs no `create`, and a
// scaler that deleted it could not make it again. A reset empties it instead.
import { ConflictError, ScalerError, StateError } from '../errors.ts';
import { apiError, statusOf, withRetry, type ApiCall, type CallContext } from '../kube/errors.ts';
import type { KubeClients } from '../kube/client.ts';
import { callOptions, type KubeCallLimits } from '../kube/options.ts';
import { callTimeout } from '../transport.ts';
import { decodeRecord, encodeRecord, fitRecord, type StateRecord } from '../model/state-record.ts';
import type { StateStore, VersionedRecord } from './types.ts';

const KEY = 'state.json';
/** A ConfigMap holds at most 1 MiB; leave room for metadata and managedFields. */
const MAX_RECORD_BYTES = 900 * 1024;

interface ConfigMapBody {
  metadata: { name: string; namespace: string; labels: Record<string, string>; resourceVersion?: string };
  data: Record<string, string>;
}

export class ConfigMapStateStore implements StateStore {
  readonly name: string;
  readonly namespace: string;
  private readonly targetKey: string;
  private readonly clients: KubeClients;
  private readonly limits: KubeCallLimits;

  constructor(
    options: { name: string; namespace: string; targetKey: string },
    clients: KubeClients,
    limits: KubeCallLimits,
  ) {
    this.limits = limits;
    this.name = options.name;
    this.namespace = options.namespace;
    this.targetKey = options.targetKey;
    this.clients = clients;
  }

  describe(): string {
    return `configmap ${this.namespace}/${this.name}`;
  }

  async read(signal?: AbortSignal): Promise<VersionedRecord> {
    let cm;
    try {
      const get = () =>
        this.clients.core.readNamespacedConfigMap({ name: this.name, namespace: this.namespace }, this.options(signal));
      cm = await withRetry(get, { deadlineMs: this.limits.deadlineMs, signal });
    } catch (err) {
      if (statusOf(err) === 404) return { record: null, version: null };
      throw this.failure(err, 'get');
    }
    const version = cm.metadata?.resourceVersion ?? null;
    const text = cm.data?.[KEY];
    if (text === undefined) {
      // Shipped empty by jobs/ (or emptied by a reset): no record yet, CAS on its version.
      const others = Object.keys(cm.data ?? {});
      if (others.length > 0) {
        const why = `holds other data (${others.join(', ')}) and no ${KEY}; it is not a latency-scaler state ConfigMap`;
        throw new StateError(`${this.describe()} ${why}: set state.name to another name`);
      }
      return { record: null, version };
    }
    let record: StateRecord;
    try {
      record = decodeRecord(JSON.parse(text));
    } catch (err) {
      const why = `${KEY} is not a valid state record (${(err as Error).message})`;
      throw new StateError(`${this.describe()}: ${why}; fix it or run 'latency-scaler state reset'`, { cause: err });
    }
    if (record.target !== this.targetKey) {
      const why = `holds the state of ${record.target}, not ${this.targetKey}`;
      throw new StateError(`${this.describe()} ${why}; give each target its own state.name`);
    }
    return { record, version };
  }

  async write(record: StateRecord, expected: string | null, until?: number): Promise<string> {
    return this.put({ [KEY]: encodeRecord(fitRecord(record, MAX_RECORD_BYTES)) }, expected, until);
  }

  /** Empties the ConfigMap (compare-and-swap on the version read); never deletes it. */
  async remove(): Promise<void> {
    const { version } = await this.readRaw();
    if (version === null) return;
    await this.put({}, version);
  }

  private async readRaw(): Promise<{ version: string | null }> {
    try {
      const cm = await this.clients.core.readNamespacedConfigMap(
        { name: this.name, namespace: this.namespace },
        this.options(),
      );
      return { version: cm.metadata?.resourceVersion ?? null };
    } catch (err) {
      if (statusOf(err) === 404) return { version: null };
      throw this.failure(err, 'get');
    }
  }

  private async put(data: Record<string, string>, expected: string | null, until?: number): Promise<string> {
    const body: ConfigMapBody = {
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'latency-scaler' },
        ...(expected !== null ? { resourceVersion: expected } : {}),
      },
      data,
    };
    const verb = expected === null ? 'create' : 'update';
    let timeoutMs = this.limits.callTimeoutMs; // this attempt's, for the message
    const send = () => {
      timeoutMs = callTimeout(this.limits.callTimeoutMs, until);
      const options = callOptions(undefined, timeoutMs);
      return expected === null
        ? this.clients.core.createNamespacedConfigMap({ namespace: this.namespace, body }, options)
        : this.clients.core.replaceNamespacedConfigMap({ name: this.name, namespace: this.namespace, body }, options);
    };
    try {
      // A transient failure is retried; if the first attempt had landed, the retry meets a 409 and
      // the run recognises its own claim by the record's claim id (run.ts).
      const written = await withRetry(send, { deadlineMs: this.limits.deadlineMs, until });
      const version = written.metadata?.resourceVersion;
      if (!version)
        throw new StateError(`${this.describe()}: the API server's answer to ${verb} carried no resourceVersion`);
      return version;
    } catch (err) {
      if (statusOf(err) === 409) {
        const read = `resourceVersion ${expected ?? 'none'}`;
        throw new ConflictError(`${this.describe()} changed since it was read (${read}): another run decided first`, {
          cause: err,
        });
      }
      if (statusOf(err) === 404 && expected !== null) {
        throw new ConflictError(`${this.describe()} was deleted since it was read (by a person or another tool)`, {
          cause: err,
        });
      }
      throw this.failure(err, verb, timeoutMs);
    }
  }

  /**
   * A failed call as a state error naming the ConfigMap (the operator looks at the state, not the
   * workload), in the words apiError finds for the Kubernetes API; our own errors (a conflict, an
   * interruption) pass unchanged.
   */
  private failure(err: unknown, verb: string, timeoutMs?: number): ScalerError {
    if (err instanceof ScalerError) return err;
    const e = apiError(err, this.call(verb), this.context(timeoutMs));
    if (e instanceof ConflictError) return e;
    return new StateError(`state ${this.describe()}: ${e.message}`, { cause: err, context: e.context });
  }

  private context(timeoutMs = this.limits.callTimeoutMs): CallContext {
    return { server: this.clients.server, timeoutMs };
  }

  private options(signal?: AbortSignal): ReturnType<typeof callOptions> {
    return callOptions(signal, this.limits.callTimeoutMs);
  }

  /** The store reads and updates (and creates, where the ConfigMap is missing): the 403's rule says all. */
  private call(verb: string): ApiCall {
    const create = `kubectl create configmap ${this.name} -n ${this.namespace}`;
    const ruleNote =
      `${verb === 'create' ? 'The ConfigMap does not exist yet' : 'Where the ConfigMap does not exist yet'}: create ` +
      `it empty once (${create}; 'latency-scaler manifests' ships it), or allow "create" on configmaps in the ` +
      'namespace too (create cannot be limited by resourceNames)';
    const base = { resource: 'configmaps', namespace: this.namespace, name: this.name, apiGroup: '' };
    return { verb, ...base, ruleVerbs: ['get', 'update'], ruleNote };
  }
}
