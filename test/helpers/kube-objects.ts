// Creating objects on the test API server from manifests, and playing the controllers' part.
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
  const resource = plural ?? `${obj.kind.toLowerCase()}s`;
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

export function deployment(name: string, replicas: number, kind: 'Deployment' | 'StatefulSet' = 'Deployment'): Obj {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] } },
    },
  };
}

/** Plays the controller: the workload's status says every replica is there and ready. */
export async function settle(
  kube: KubeCluster,
  obj: { apiVersion: string; kind: string },
  ns: string,
  name: string,
  plural?: string,
  ready?: number,
): Promise<void> {
  const path = `${pathFor(obj, ns, plural)}/${name}`;
  const current = await kube.api('GET', path);
  const replicas = current.body.spec.replicas as number;
  const status = {
    replicas,
    readyReplicas: ready ?? replicas,
    updatedReplicas: replicas,
    availableReplicas: ready ?? replicas,
    observedGeneration: current.body.metadata.generation,
  };
  const r = await kube.api('PATCH', `${path}/status`, { status }, 'application/merge-patch+json');
  if (r.status !== 200) throw new Error(`status of ${name}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
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
