// State in a ConfigMap beside the target: created on first run, then replaced with
// compare-and-swap on resourceVersion. A 409 is a conflict (exit 3), never an overwrite.
import type { KubernetesTargetRef } from '../config/types.ts';
import { ConflictError, StateError } from '../errors.ts';
import { apiError, statusOf, withRetry } from '../kube/errors.ts';
import type { KubeClients } from '../kube/client.ts';
import { callOptions, DEFAULT_LIMITS, type KubeCallLimits } from '../kube/options.ts';
import type { StateRecord, StateStore, VersionedRecord } from './types.ts';

const KEY = 'state.json';

/** `latency-scaler-<kind>-<name>`, within the 253-character limit of object names. */
export function configMapName(target: KubernetesTargetRef): string {
  return `latency-scaler-${target.kind.toLowerCase()}-${target.name}`.slice(0, 253).replace(/[-.]+$/, '');
}

export class ConfigMapStateStore implements StateStore {
  readonly name: string;
  readonly namespace: string;
  private readonly targetKey: string;
  private readonly clients: KubeClients;

  private readonly limits: KubeCallLimits;

  constructor(options: { name: string; namespace: string; targetKey: string }, clients: KubeClients, limits: KubeCallLimits = DEFAULT_LIMITS) {
    this.limits = limits;
    this.name = options.name;
    this.namespace = options.namespace;
    this.targetKey = options.targetKey;
    this.clients = clients;
  }

  describe(): string {
    return `configmap ${this.namespace}/${this.name}`;
  }

  async read(): Promise<VersionedRecord> {
    let cm;
    try {
      cm = await withRetry(() => this.clients.core.readNamespacedConfigMap({ name: this.name, namespace: this.namespace }, callOptions(undefined, this.limits.callTimeoutMs)), { deadlineMs: this.limits.deadlineMs });
    } catch (err) {
      if (statusOf(err) === 404) return { record: null, version: null };
      throw apiError(err, this.call('get'));
    }
    const text = cm.data?.[KEY];
    if (text === undefined) {
      // Shipped empty by jobs/ so the Role needs no `create`: no record yet, CAS on its version.
      const others = Object.keys(cm.data ?? {});
      if (others.length > 0) throw new StateError(`${this.describe()} holds other data (${others.join(', ')}) and no ${KEY}; it is not a latency-scaler state ConfigMap: set state.name to another name`);
      return { record: null, version: cm.metadata?.resourceVersion ?? null };
    }
    let record: StateRecord;
    try {
      record = JSON.parse(text) as StateRecord;
    } catch (err) {
      throw new StateError(`${this.describe()}: ${KEY} is not valid JSON (${(err as Error).message}); fix it or run 'latency-scaler state reset'`, { cause: err });
    }
    if (record.target !== this.targetKey) throw new StateError(`${this.describe()} holds the state of ${record.target}, not ${this.targetKey}; give each target its own state.name`);
    return { record, version: cm.metadata?.resourceVersion ?? null };
  }

  async write(record: StateRecord, expected: string | null): Promise<void> {
    const body = {
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'latency-scaler' },
        ...(expected !== null ? { resourceVersion: expected } : {}),
      },
      data: { [KEY]: JSON.stringify(record) },
    };
    try {
      // Not retried on 409: a conflict is an answer, not a transient failure.
      if (expected === null) await withRetry(() => this.clients.core.createNamespacedConfigMap({ namespace: this.namespace, body }, callOptions(undefined, this.limits.callTimeoutMs)), { deadlineMs: this.limits.deadlineMs });
      else await withRetry(() => this.clients.core.replaceNamespacedConfigMap({ name: this.name, namespace: this.namespace, body }, callOptions(undefined, this.limits.callTimeoutMs)), { deadlineMs: this.limits.deadlineMs });
    } catch (err) {
      if (statusOf(err) === 409) {
        throw new ConflictError(`${this.describe()} changed since it was read (resourceVersion ${expected ?? 'none'}): another run decided first; nothing applied`, { cause: err });
      }
      if (statusOf(err) === 404 && expected !== null) {
        throw new ConflictError(`${this.describe()} was deleted since it was read: another run or a person reset it; nothing applied`, { cause: err });
      }
      throw apiError(err, this.call(expected === null ? 'create' : 'update'));
    }
  }

  async remove(): Promise<void> {
    try {
      await this.clients.core.deleteNamespacedConfigMap({ name: this.name, namespace: this.namespace }, callOptions(undefined, this.limits.callTimeoutMs));
    } catch (err) {
      if (statusOf(err) !== 404) throw apiError(err, this.call('delete'));
    }
  }

  private call(verb: string): { verb: string; resource: string; namespace: string; name: string; apiGroup: string } {
    return { verb, resource: 'configmaps', namespace: this.namespace, name: this.name, apiGroup: '' };
  }
}
