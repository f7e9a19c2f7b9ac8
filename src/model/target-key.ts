// A target's identity, shared by the configuration (default state path), the stores (which refuse
// another target's record) and the decision (the record's owner). Pure.
import { createHash } from 'node:crypto';
import {
  isAwsTarget,
  isHttpTarget,
  isKubernetesTarget,
  type AwsTargetRef,
  type KubernetesTargetRef,
  type StateConfig,
  type TargetRef,
} from '../config/types.ts';

/**
 * A stable, file- and key-safe identity of a target. A webhook's query is part of it: `?service=a` and
 * `?service=b` are two targets. The query enters only as a short hash — it may carry a token, and the
 * key is logged and names the state file; without one the key is as earlier versions wrote it.
 */
export function targetKey(target: TargetRef): string {
  if (isAwsTarget(target)) return awsKey(target);
  if (isHttpTarget(target)) {
    const url = new URL(target.url);
    const readable = `http-${url.host}${url.pathname}`.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/-+$/, '');
    if (!url.search) return readable;
    return `${readable}-q${createHash('sha256').update(url.search).digest('hex').slice(0, 8)}`;
  }
  return `${target.namespace}.${target.kind.toLowerCase()}.${target.name}`;
}

/**
 * `aws_ecs-service_<cluster>_<service>`, `aws_autoscaling-group_<name>`; `aws-<region>_…` when the
 * target names its region. `_` separates the parts and appears in no other kind's key (a Kubernetes
 * namespace and name, a kind, an http key's replaced characters never hold one), and each part is
 * percent-encoded with `_` and `.` too: distinct targets never share a key, and the key stays a file name.
 */
function awsKey(target: AwsTargetRef): string {
  const part = (s: string): string =>
    encodeURIComponent(s).replace(/[_.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const names = target.kind === 'ecs-service' ? [target.cluster, target.service] : [target.name];
  const head = target.region ? `aws-${part(target.region)}` : 'aws';
  return [head, target.kind, ...names.map(part)].join('_');
}

/**
 * One file per target key, so targets run from one directory share no record unless their keys fold
 * together (`/a_b` and `/a-b`, one kind name in two API groups): those need their own state.path.
 */
export function defaultStatePath(target: TargetRef | undefined): string {
  return `.latency-scaler/${target ? targetKey(target) : 'default'}.json`;
}

/** `latency-scaler-<kind>-<name>`, within the 253-character limit of object names. */
export function configMapName(target: KubernetesTargetRef): string {
  return `latency-scaler-${target.kind.toLowerCase()}-${target.name}`.slice(0, 253).replace(/[-.]+$/, '');
}

/**
 * Where a configmap store keeps a target's record: state.name and state.namespace, else the derived
 * name in the target's namespace. One rule for the store and for `manifests` (its RBAC and the empty
 * ConfigMap it ships must name the object the store will read). A webhook's is named in full.
 */
export function stateConfigMap(
  state: Extract<StateConfig, { store: 'configmap' }>,
  target: TargetRef,
): { name: string; namespace: string } {
  // A webhook's names both (config/rules.ts requires them): it has no namespace or name of its own (nor
  // has an AWS target, which config/rules.ts refuses a ConfigMap).
  if (!isKubernetesTarget(target)) return { name: state.name ?? '', namespace: state.namespace ?? '' };
  return { name: state.name ?? configMapName(target), namespace: state.namespace ?? target.namespace };
}
