// The demo on a Kubernetes control plane (`npm run demo:kube`): the test harness's kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (one fake node) on 127.0.0.1, the Fibonacci
// Deployment from examples/fibonacci, and the scaler running with the Kubernetes target, the ConfigMap
// store and the ServiceAccount + Role from jobs/. kwok runs no containers, so the Fibonacci worker pool
// follows the Deployment's *ready* pods (a watcher resizes it). It runs the recommended policy, then
// the same load through LPA's default in a namespace of its own, and prints the two side by side.
// Ends by itself; leaves no process.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { comparison, runDemo, type DemoOptions, type DemoResult, type DemoTarget } from './demo.ts';
import { readPolicy } from './policy.ts';
import type { Pool } from './pool.ts';
import { startKube, type KubeCluster } from '../../test/harness/kube.ts';
import { create, manifests, namespace, settle } from '../../test/helpers/kube-objects.ts';
import type { StateRecord } from '../../src/model/state-record.ts';

const STATE = 'latency-scaler-deployment-fibonacci';

async function kubeTarget(kube: KubeCluster, pool: Pool, out: (line: string) => void, ns: string): Promise<DemoTarget> {
  const deployment = `/apis/apps/v1/namespaces/${ns}/deployments/fibonacci`;
  await namespace(kube, ns);
  const fibonacci = manifests('examples/fibonacci/deployment.yaml')[0]!;
  // A new pod takes 3 s to become Ready, as a small service's readiness probe would.
  const template = (fibonacci['spec'] as { template: { metadata: Record<string, unknown> } }).template;
  template.metadata['annotations'] = { 'pod-ready.stage.kwok.x-k8s.io/delay': '3s' };
  const rbac = ['serviceaccount', 'rbac', 'state-configmap'].flatMap((f) => manifests(`jobs/base/${f}.yaml`));
  await create(kube, [fibonacci, ...rbac], ns);
  await settle(kube, { apiVersion: 'apps/v1', kind: 'Deployment' }, ns, 'fibonacci');
  // The scaler authenticates as the CronJob's ServiceAccount, so the Role from jobs/ is what it may do.
  const token = await kube.tokenFor(ns, 'latency-scaler');
  const kubeconfig = kube.kubeconfigForToken(token, ns);
  out(`demo: the Fibonacci Deployment on ${kube.server}; while the demo runs, in another terminal:`);
  out(`      kubectl --kubeconfig ${kube.kubeconfigPath} -n ${ns} describe deployment fibonacci`);

  // The watcher: the pool serves with as many workers as the Deployment has ready pods.
  let stopped = false;
  const follow = (async () => {
    while (!stopped) {
      const d = await kube.api('GET', deployment).catch(() => undefined);
      const ready = d?.body?.status?.readyReplicas as number | undefined;
      if (ready !== undefined && ready > 0 && ready !== pool.replicas()) await pool.resize(ready);
      await new Promise((r) => setTimeout(r, 300));
    }
  })();

  return {
    yaml: `target: { kind: Deployment, apiVersion: apps/v1, name: fibonacci, namespace: ${ns} }
state: { store: configmap, name: ${STATE} }
`,
    env: { KUBECONFIG: kubeconfig },
    // New pods take 3 s to become Ready: the runs in between hold (NotSettled) instead of scaling again.
    settle: '1m',
    async record() {
      const cm = await kube.api('GET', `/api/v1/namespaces/${ns}/configmaps/${STATE}`);
      const json = cm.body?.data?.['state.json'] as string | undefined;
      return json ? (JSON.parse(json) as StateRecord) : undefined;
    },
    async close() {
      stopped = true;
      await follow;
    },
  };
}

/** The Events section of `kubectl describe deployment fibonacci`, one line each. */
async function events(kube: KubeCluster, ns: string): Promise<string[]> {
  const path = `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name%3Dfibonacci`;
  const items = (await kube.api('GET', path)).body.items as {
    type: string;
    reason: string;
    source?: { component?: string };
    reportingComponent?: string;
    message: string;
    count?: number;
    lastTimestamp?: string;
    eventTime?: string;
    metadata: { creationTimestamp: string };
  }[];
  const at = (e: (typeof items)[number]) => e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
  items.sort((a, b) => Date.parse(at(a)) - Date.parse(at(b)));
  const lines = [`  ${'Type'.padEnd(8)} ${'Reason'.padEnd(18)} ${'From'.padEnd(22)} Message`];
  for (const e of items) {
    const from = e.source?.component || e.reportingComponent || '';
    const times = (e.count ?? 1) > 1 ? ` (×${e.count})` : '';
    lines.push(`  ${e.type.padEnd(8)} ${e.reason.padEnd(18)} ${from.padEnd(22)} ${e.message}${times}`);
  }
  return lines;
}

export type KubeDemoResult = DemoResult & { events: string[] };

/**
 * The demo on its own control plane, started and stopped here (the cluster's processes end with it):
 * one run per policy given (none: LPA's defaults), each in a namespace of its own.
 */
export async function runKubeDemo(
  options: Omit<DemoOptions, 'target' | 'policy'> & { policies: DemoOptions['policy'][] },
): Promise<{ results: KubeDemoResult[]; clusterPids: number[] }> {
  const started = performance.now();
  const kube = await startKube(options.signal ? { signal: options.signal } : {});
  options.out(`demo: control plane ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const results: KubeDemoResult[] = [];
  try {
    for (const [i, policy] of options.policies.entries()) {
      if (options.signal?.aborted) break;
      const ns = `demo-${policy?.name ?? 'lpa-default'}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
      if (i > 0) options.out(`\nthe same load through ${policy?.name ?? "LPA's default policy"} (namespace ${ns}):\n`);
      const run = { ...options, ...(i > 0 ? { historyFile: undefined } : {}), policy };
      const result = await runDemo({ ...run, target: (pool) => kubeTarget(kube, pool, options.out, ns) });
      results.push({ ...result, events: await events(kube, ns) });
    }
    return { results, clusterPids: kube.pids() };
  } finally {
    await kube.stop();
  }
}

if (import.meta.main) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  const recommended = fileURLToPath(new URL('../recommended-policy.yaml', import.meta.url));
  const { results } = await runKubeDemo({
    phases: { idle: 3, load: 27, cooldown: 21 },
    loadRps: 300,
    targetMs: 20,
    out: (l) => console.log(l),
    signal: controller.signal,
    historyFile: resolve('.latency-scaler/demo-kube-history.html'),
    policies: [readPolicy('recommended', recommended), undefined],
  });
  if (results[0]) {
    console.log('\nEvents of deployment/fibonacci with the recommended policy (as kubectl describe shows them):');
    for (const line of results[0].events) console.log(line);
  }
  if (results.length > 1) console.log(`\n${comparison(results).join('\n')}`);
}
