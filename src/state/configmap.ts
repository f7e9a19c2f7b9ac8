// State in a ConfigMap beside the target: created on first run, then replaced with
// compare-and-swap on resourceVersion. A 409 is a conflict (exit 3), never an overwrite.
// The ConfigMap itself is never deleted: jobs/ ships it so the Role needs no `create`, and a
// scaler that deleted it could not make it again. A reset takes our record out of it instead.
// Only state.json is ours: every write sends back the object as it was read — its labels,
// annotations (kubectl's last-applied-configuration, a GitOps tool's tracking id), ownerReferences
// and other data — so what others put on it stays (a PUT replaces the whole object).
import { ConflictError, NotOurStateError, ScalerError, StateError } from '../errors.ts';
import { apiError, statusOf, withRetry, type ApiCall, type CallContext } from '../kube/errors.ts';
import type { KubeClients, V1ConfigMap } from '../kube/client.ts';
import { callOptions, type KubeCallLimits } from '../kube/options.ts';
import { callTimeout } from '../transport.ts';
import { decodeRecord, encodeRecord, fitRecord, type StateRecord } from '../model/state-record.ts';
import { ownedRecord } from './earlier.ts';
import { readBeforeReset, type RemoveOptions } from './reset.ts';
import type { StateStore, VersionedRecord } from './types.ts';

const KEY = 'state.json';
/** A ConfigMap holds at most 1 MiB; leave room for metadata and managedFields. */
const MAX_RECORD_BYTES = 900 * 1024;
const LABELS = { 'app.kubernetes.io/managed-by': 'latency-scaler' };

export class ConfigMapStateStore implements StateStore {
  readonly name: string;
  readonly namespace: string;
  private readonly targetKey: string;
  /** The key earlier versions gave the target: a record under it is ours, its owner rewritten on the next write. */
  private readonly earlierKey: string | undefined;
  private readonly clients: KubeClients;
  private readonly limits: KubeCallLimits;
  /** The ConfigMap as last read or written: what a write sends back, beside our record. */
  private seen?: V1ConfigMap;

  constructor(
    options: { name: string; namespace: string; targetKey: string; earlierKey?: string | undefined },
    clients: KubeClients,
    limits: KubeCallLimits,
  ) {
    this.limits = limits;
    this.name = options.name;
    this.namespace = options.namespace;
    this.targetKey = options.targetKey;
    this.earlierKey = options.earlierKey;
    this.clients = clients;
  }

  describe(): string {
    return `configmap ${this.namespace}/${this.name}`;
  }

  async read(signal?: AbortSignal): Promise<VersionedRecord> {
    const cm = await this.get(signal);
    if (!cm) return { record: null, version: null };
    return { record: this.recordIn(cm), version: cm.metadata?.resourceVersion ?? null };
  }

  async write(record: StateRecord, expected: string | null, until?: number, cut?: AbortSignal): Promise<string> {
    const text = encodeRecord(fitRecord(record, MAX_RECORD_BYTES));
    if (expected === null) {
      const body = { metadata: { name: this.name, namespace: this.namespace, labels: LABELS }, data: { [KEY]: text } };
      return this.send('create', body, expected, until, cut);
    }
    const base = await this.objectAt(expected, until, cut);
    return this.send('update', this.replacing(base, { ...base.data, [KEY]: text }), expected, until, cut);
  }

  /**
   * Takes this target's record out of the ConfigMap (compare-and-swap on the version read), keeping
   * the rest of it; never deletes it. Forced over what is not ours, empties its data.
   */
  async remove(options: RemoveOptions = {}): Promise<void> {
    const found = await readBeforeReset(() => this.read(), options);
    const base = this.seen;
    const version = base?.metadata?.resourceVersion;
    if (!base || version === undefined) return; // no ConfigMap: nothing to reset
    if ('ours' in found && base.data?.[KEY] === undefined) return; // no record in it
    const data = 'ours' in found ? withoutKey(base.data ?? {}, KEY) : {};
    await this.send('update', this.replacing(base, data), version);
  }

  /** The record in a ConfigMap as read: null when it holds none; what is not ours is refused. */
  private recordIn(cm: V1ConfigMap): StateRecord | null {
    const text = cm.data?.[KEY];
    if (text === undefined) {
      // Shipped empty by jobs/ (or emptied by a reset): no record yet, CAS on its version.
      const others = Object.keys(cm.data ?? {});
      if (others.length === 0) return null;
      const found = `${this.describe()} holds other data (${others.join(', ')}) and no ${KEY}`;
      const why = 'it is not a latency-scaler state ConfigMap: set state.name to another name';
      throw new NotOurStateError(`${found}; ${why}`, found);
    }
    let record: StateRecord;
    try {
      record = decodeRecord(JSON.parse(text));
    } catch (err) {
      const found = `${this.describe()}: ${KEY} is not a valid state record (${(err as Error).message})`;
      const fix = "fix it, or remove it with 'latency-scaler state reset --force'";
      throw new NotOurStateError(`${found}; ${fix}`, found, { cause: err });
    }
    // Under the earlier key, two targets that folded together may name one ConfigMap (one kind name in
    // two API groups): the first to write takes the record, and the other is refused from then on.
    const ours = ownedRecord(record, this.targetKey, this.earlierKey);
    if (!ours) {
      const found = `${this.describe()} holds the state of ${record.target}, not ${this.targetKey}`;
      throw new NotOurStateError(`${found}; give each target its own state.name`, found);
    }
    return ours;
  }

  /** The ConfigMap, or null when there is none; remembered as `seen`. */
  private async get(signal?: AbortSignal, until?: number): Promise<V1ConfigMap | null> {
    let cm: V1ConfigMap;
    try {
      const get = () =>
        this.clients.core.readNamespacedConfigMap(
          { name: this.name, namespace: this.namespace },
          callOptions(signal, callTimeout(this.limits.callTimeoutMs, until)),
        );
      cm = await withRetry(get, { deadlineMs: this.limits.deadlineMs, until, signal });
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw this.failure(err, 'get');
    }
    this.seen = cm;
    return cm;
  }

  /**
   * The object at version `expected`, to send back: as last seen, or read again (a store that did
   * not make the read the version came from). At another version, or gone, it is a conflict.
   */
  private async objectAt(expected: string, until?: number, cut?: AbortSignal): Promise<V1ConfigMap> {
    if (this.seen?.metadata?.resourceVersion === expected) return this.seen;
    const cm = await this.get(cut, until);
    const now = cm?.metadata?.resourceVersion;
    if (now === expected && cm) return cm;
    const what = cm ? `is at resourceVersion ${now}` : 'was deleted';
    throw new ConflictError(`${this.describe()} ${what} since it was read (resourceVersion ${expected})`);
  }

  /** The object read, its data replaced; managedFields left out, so the API server keeps them. */
  private replacing(base: V1ConfigMap, data: Record<string, string>): V1ConfigMap {
    const { managedFields: _managed, ...metadata } = base.metadata ?? {};
    return { ...base, metadata: { ...metadata, name: this.name, namespace: this.namespace }, data };
  }

  private async send(
    verb: 'create' | 'update',
    body: V1ConfigMap,
    expected: string | null,
    until?: number,
    cut?: AbortSignal,
  ): Promise<string> {
    if (expected !== null) body.metadata = { ...body.metadata, resourceVersion: expected };
    let timeoutMs = this.limits.callTimeoutMs; // this attempt's, for the message
    const send = () => {
      timeoutMs = callTimeout(this.limits.callTimeoutMs, until);
      const options = callOptions(cut, timeoutMs);
      const { namespace, name } = this;
      return verb === 'create'
        ? this.clients.core.createNamespacedConfigMap({ namespace, body }, options)
        : this.clients.core.replaceNamespacedConfigMap({ name, namespace, body }, options);
    };
    try {
      // A transient failure is retried; if the first attempt had landed, the retry meets a 409 and
      // the run recognises its own claim by the record's claim id (run.ts). `cut` ends the retries.
      const written = await withRetry(send, { deadlineMs: this.limits.deadlineMs, until, signal: cut });
      const version = written.metadata?.resourceVersion;
      if (!version)
        throw new StateError(`${this.describe()}: the API server's answer to ${verb} carried no resourceVersion`);
      this.seen = written;
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
   * interruption, a cut) pass unchanged.
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

function withoutKey(data: Record<string, string>, key: string): Record<string, string> {
  const { [key]: _gone, ...rest } = data;
  return rest;
}
