// Creating objects on the test API server from manifests, and waiting for its controllers.
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import type { KubeCluster } from '../harness/kube.ts';

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};
const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);

export function pathFor(obj: { apiVersion: string; kind: string }, namespace: string, plural?: string): string {
  const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const kind = obj.kind.toLowerCase();
  const resource = plural ?? (kind.endsWith('y') ? `${kind.slice(0, -1)}ies` : `${kind}s`); // NetworkPolicy → networkpolicies
  return CLUSTER_SCOPED.has(obj.kind) ? `${base}/${resource}` : `${base}/namespaces/${namespace}/${resource}`;
}

export function manifests(file: string): Obj[] {
  return (loadAll(readFileSync(file, 'utf8')) as (Obj | null)[]).filter((d): d is Obj => d !== null);
}

/** POSTs each object (dryRun: server-side dry run); throws with the server's answer on failure. */
export async function create(
  kube: KubeCluster,
  objs: Obj[],
  namespace: string,
  options: { dryRun?: boolean } = {},
): Promise<void> {
  for (const obj of objs) {
    const r = await kube.api('POST', `${pathFor(obj, namespace)}${options.dryRun ? '?dryRun=All' : ''}`, obj);
    if (r.status !== 201 && r.status !== 200)
      throw new Error(`${obj.kind} ${obj.metadata.name}: ${r.status} ${JSON.stringify(r.body).slice(0, 400)}`);
  }
}

export async function namespace(kube: KubeCluster, name: string): Promise<string> {
  await create(kube, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }], '');
  return name;
}

/** readyAfter: how long its new pods take to become Ready (kwok's pod-ready delay), e.g. '20s'. */
export function deployment(
  name: string,
  replicas: number,
  kind: 'Deployment' | 'StatefulSet' = 'Deployment',
  readyAfter?: string,
): Obj {
  const labels = { app: name };
  const annotations = readyAfter ? { 'pod-ready.stage.kwok.x-k8s.io/delay': readyAfter } : undefined;
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
      template: {
        metadata: { labels, ...(annotations ? { annotations } : {}) },
        spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
      },
    },
  };
}

/**
 * Waits until the workload's controller reports every replica of the current spec updated and ready
 * (Deployments and StatefulSets run under the harness's kube-controller-manager and kwok). A custom
 * resource has no controller here, so for it the test plays one and writes that status itself.
 */
export async function settle(
  kube: KubeCluster,
  obj: { apiVersion: string; kind: string },
  ns: string,
  name: string,
  plural?: string,
  timeoutMs = 60_000,
): Promise<void> {
  const path = `${pathFor(obj, ns, plural)}/${name}`;
  if (obj.apiVersion !== 'apps/v1') return writeSettledStatus(kube, path, name);
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const { body } = await kube.api('GET', path);
    const want = body.spec.replicas as number;
    const s = body.status ?? {};
    last = s;
    const current = (s.observedGeneration ?? 0) >= body.metadata.generation;
    if (current && (s.replicas ?? 0) === want && (s.readyReplicas ?? 0) === want && (s.updatedReplicas ?? 0) === want)
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${obj.kind} ${ns}/${name} not settled within ${timeoutMs} ms: status ${JSON.stringify(last)}`);
}

async function writeSettledStatus(kube: KubeCluster, path: string, name: string): Promise<void> {
  const current = await kube.api('GET', path);
  const replicas = current.body.spec.replicas as number;
  const status = {
    replicas,
    readyReplicas: replicas,
    updatedReplicas: replicas,
    availableReplicas: replicas,
    observedGeneration: current.body.metadata.generation,
  };
  const r = await kube.api('PATCH', `${path}/status`, { status }, 'application/merge-patch+json');
  if (r.status !== 200) throw new Error(`status of ${name}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
}

/** Pods of a workload by its app label, oldest first (as the API returns them: JSON). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function podsOf(kube: KubeCluster, ns: string, app: string): Promise<any[]> {
  const r = await kube.api('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${encodeURIComponent(app)}`);
  return (r.body.items as { metadata: { creationTimestamp: string } }[]).sort((a, b) =>
    a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp),
  );
}

/** Polls until check returns a value (not undefined); throws naming what was awaited. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function replicasOf(
  kube: KubeCluster,
  obj: { apiVersion: string; kind: string },
  ns: string,
  name: string,
  plural?: string,
): Promise<number> {
  return (await kube.api('GET', `${pathFor(obj, ns, plural)}/${name}/scale`)).body.spec.replicas as number;
}
