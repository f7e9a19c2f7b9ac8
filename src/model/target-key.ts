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
 * A stable, file- and key-safe identity of a target: distinct targets never share one, and it is readable.
 * - A webhook: `http-<readable>_<hash8>`, then `-q<hash8>` with a query. The readable part is the host and
 *   path with each run of characters outside [A-Za-z0-9.-] as one `-` (none at the end), as earlier
 *   versions wrote the whole key; it loses what they were (`/pool-a`, `/pool_a` and `/pool/a`; `/api/` and
 *   `/api`; http and https), and a hash (SHA-256, 8 hex digits) of the exact scheme, host and path tells
 *   them apart. Every webhook has it, as no readable form is exact (the path with one `/` more reads the
 *   same): one kept for some would let another's migration take their record (earlierTargetKey). A query
 *   enters only as its hash (it may carry a token, and the key is logged and names the state file); the
 *   userinfo not at all.
 * - A Kubernetes target: `<namespace>.<kind>.<name>` in the core and apps/v1 groups (whose kinds share no
 *   name), `<namespace>.<kind>.<name>..<group>` in any other, so one kind name in two groups (a CRD's
 *   `Rollout`) is two keys; not the version, as one object under two versions is one target. A namespace
 *   holds no `.`, a kind none, and a name and a group no `..` nor a `.` at either end: each part reads back.
 * - An AWS target: see awsKey.
 * Kinds never meet: an AWS key begins `aws` and its part before the first `_` holds no `.`; a webhook's
 * begins `http-` and holds a `_`; a Kubernetes key (a namespace, kind, name or group) holds none.
 */
export function targetKey(target: TargetRef): string {
  if (isAwsTarget(target)) return awsKey(target);
  if (isHttpTarget(target)) {
    const url = new URL(target.url);
    const exact = `${url.protocol}//${url.host}${url.pathname}`;
    return `${readableHttpKey(url)}_${hash8(exact)}${queryPart(url)}`;
  }
  const group = apiGroup(target.apiVersion);
  const base = kubernetesKey(target);
  return group === '' || group === 'apps' ? base : `${base}..${group}`;
}

/**
 * The key earlier versions gave this target, where it differs from targetKey's (a webhook's; a
 * Kubernetes kind outside core and apps/v1), so the stores find a record written under it and move it.
 * Earlier keys folded targets together: a record two of them shared is taken by the first to write (it
 * moves it), and the other starts afresh. An earlier webhook key is no webhook's key now (those hold a
 * `_`); an earlier Kubernetes key is a current one only for a CRD that reuses a core or apps/v1 kind name
 * (the fold this ends), and a Kubernetes key meets an earlier webhook key only in a namespace `http-…`.
 */
export function earlierTargetKey(target: TargetRef): string | undefined {
  if (isAwsTarget(target)) return undefined;
  if (isHttpTarget(target)) {
    const url = new URL(target.url);
    return `${readableHttpKey(url)}${queryPart(url)}`;
  }
  const earlier = kubernetesKey(target);
  return earlier === targetKey(target) ? undefined : earlier;
}

/** The host and path as earlier versions spelled the whole key: every other character run as `-`. */
function readableHttpKey(url: URL): string {
  return `http-${url.host}${url.pathname}`.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/-+$/, '');
}

function queryPart(url: URL): string {
  return url.search ? `-q${hash8(url.search)}` : '';
}

function hash8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

function kubernetesKey(target: KubernetesTargetRef): string {
  return `${target.namespace}.${target.kind.toLowerCase()}.${target.name}`;
}

/** `apps/v1` → `apps`; `v1` (the core group) → ''. */
function apiGroup(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * `aws_ecs-service_<cluster>_<service>`, `aws_autoscaling-group_<name>`; `aws-<region>_…` when the
 * target names its region. `_` separates the parts, and each part is percent-encoded with `_` and `.`
 * too: distinct targets never share a key, and the key stays a file name.
 */
function awsKey(target: AwsTargetRef): string {
  const part = (s: string): string =>
    encodeURIComponent(s).replace(/[_.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const names = target.kind === 'ecs-service' ? [target.cluster, target.service] : [target.name];
  const head = target.region ? `aws-${part(target.region)}` : 'aws';
  return [head, target.kind, ...names.map(part)].join('_');
}

/** One file per target key: targets run from one directory share no record. */
export function defaultStatePath(target: TargetRef | undefined): string {
  return statePathOf(target ? targetKey(target) : 'default');
}

/** The default state file earlier versions used for this target, where its key has changed since. */
export function earlierDefaultStatePath(target: TargetRef): string | undefined {
  const earlier = earlierTargetKey(target);
  return earlier === undefined ? undefined : statePathOf(earlier);
}

function statePathOf(key: string): string {
  return `.latency-scaler/${key}.json`;
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
