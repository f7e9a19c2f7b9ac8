// A full cluster is seen, not fed (DESIGN §4.13), on the control plane (test/harness/kube.ts): its one
// kwok node has 1 CPU, each pod of the Deployment requests 400m, so two fit and kube-scheduler marks
// a third Unschedulable ("0/1 nodes are available: 1 Insufficient cpu"). The bundle runs as the
// CronJob's ServiceAccount with jobs/base's Role: a breach adds no replica for pods that cannot be
// placed, says the scheduler's message and records a Warning Event; a cluster autoscaler's
// TriggeredScaleUp on the pod is said instead; status shows the pod; decay still works.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKube, type KubeCluster } from '../harness/kube.ts';
import { messages, runBundle } from '../helpers/cli.ts';
import { create, deployment, manifests, namespace, podsOf, replicasOf, until } from '../helpers/kube-objects.ts';
import { startService, type CountingService } from '../helpers/scale-server.ts';

const APPS = { apiVersion: 'apps/v1', kind: 'Deployment' };
const SCHEDULER = '0/1 nodes are available: 1 Insufficient cpu';
let kube: KubeCluster;
let service: CountingService;
let dir: string;

before(async () => {
  kube = await startKube({ nodeCpu: '1' });
  service = await startService(30);
  dir = mkdtempSync(join(tmpdir(), 'scaler-capacity-'));
});
after(async () => {
  await service?.close();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `limit` ms: 0.001 breaches every run, 10000 is calm. settle.timeout 2 s: the wait for a node is short here. */
function config(ns: string, limit: number): string {
  const path = join(dir, `scaler-${limit}.yaml`);
  writeFileSync(
    path,
    `target: { kind: Deployment, apiVersion: apps/v1, name: fibonacci, namespace: ${ns} }
replicas: { min: 1, max: 6 }
loadTest: { host: ${service.url}, users: 2, duration: 500ms, requests: [{ method: GET, path: /fib }] }
targets: [{ method: GET, endpoint: /fib, type: mean, target: ${limit} }]
decay: { replicas: 1, unchangedRuns: 1 }
settle: { timeout: 2s }
state: { store: configmap }
`,
  );
  return path;
}

interface Event {
  type: string;
  reason: string;
  message: string;
}
const eventsOf = async (ns: string): Promise<Event[]> =>
  (await kube.api('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name=fibonacci`)).body.items;

describe('a full cluster: pods that cannot be placed are no capacity', () => {
  it('a breach adds no replica for them, names the scheduler’s message with a Warning Event; decay still works', async () => {
    const ns = await namespace(kube, 'full');
    const app = deployment('fibonacci', 2) as unknown as { spec: { template: { spec: { containers: object[] } } } };
    const container = app.spec.template.spec.containers[0] as Record<string, unknown>;
    container['resources'] = { requests: { cpu: '400m' } };
    await create(kube, [app as never], ns);
    // The CronJob's ServiceAccount and Role, as shipped (jobs/base), for the least privilege it runs with.
    for (const f of ['serviceaccount.yaml', 'rbac.yaml', 'state-configmap.yaml'])
      await create(kube, manifests(join('jobs', 'base', f)), ns);
    const env = { KUBECONFIG: kube.kubeconfigForToken(await kube.tokenFor(ns, 'latency-scaler'), ns) };
    const run = (path: string) => runBundle(['run', '-c', path, '-o', 'json'], { env, timeoutMs: 60_000 });
    await until('two pods Ready', async () => {
      const s = (await kube.api('GET', `/apis/apps/v1/namespaces/${ns}/deployments/fibonacci`)).body.status;
      return s?.readyReplicas === 2 ? true : undefined;
    });
    const breach = config(ns, 0.001);

    let r = await run(breach);
    assert.equal(r.code, 0, messages(r.stderr));
    assert.match(JSON.parse(r.stdout).message, /^scale up 2→3/, 'room for none, but nothing pending yet');
    const pending = await until('the third pod Unschedulable', async () => {
      const pods = await podsOf(kube, ns, 'fibonacci');
      const cond = (p: { status?: { conditions?: { type: string; reason?: string }[] } }) =>
        p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable');
      return pods.find(cond);
    });
    await new Promise((res) => setTimeout(res, 2_500)); // past settle.timeout: no node is on its way

    r = await run(breach);
    assert.equal(r.code, 0, messages(r.stderr));
    assert.doesNotMatch(messages(r.stderr), /could not check|could not tell/, 'the Role lets it list pods and events');
    let d = JSON.parse(r.stdout) as { action: string; reason: string; message: string; applied: number };
    assert.deepEqual([d.action, d.reason, d.applied], ['hold', 'Unschedulable', 3]);
    assert.match(d.message, new RegExp(`^hold at 3: GET /fib mean .* > 0\\.001 ms; but 1 pod cannot be scheduled`));
    assert.match(d.message, new RegExp(`\\(${SCHEDULER}\\): no replica added until the cluster has room$`));
    assert.equal(await replicasOf(kube, APPS, ns, 'fibonacci'), 3, 'no replica added');
    const warning = (await eventsOf(ns)).find((e) => e.reason === 'Unschedulable');
    assert.equal(warning?.type, 'Warning', JSON.stringify(await eventsOf(ns)));
    assert.match(warning!.message, new RegExp(SCHEDULER));

    // status shows the pod that cannot be placed.
    const s = await runBundle(['status', '-c', breach, '-o', 'json'], { env });
    assert.equal(s.code, 0, messages(s.stderr));
    const [row] = JSON.parse(s.stdout) as { pending?: { pods: number; unschedulable: number; message: string } }[];
    assert.deepEqual(
      [row?.pending?.pods, row?.pending?.unschedulable, row?.pending?.message],
      [1, 1, SCHEDULER],
      s.stdout,
    );
    const text = await runBundle(['status', '-c', breach, '-o', 'text'], { env });
    assert.match(text.stdout, /3\/1\/6 \(1 unschedulable\)/);

    // A cluster autoscaler says it is adding a node for the pod: that is said instead, still no replica added.
    const scaleUp = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${pending.metadata.name}.` },
      involvedObject: { kind: 'Pod', namespace: ns, name: pending.metadata.name, uid: pending.metadata.uid },
      reason: 'TriggeredScaleUp',
      message: 'pod triggered scale-up: [{pool-a 1->2 (max: 5)}]',
      type: 'Normal',
      source: { component: 'cluster-autoscaler' },
      firstTimestamp: new Date().toISOString(),
      lastTimestamp: new Date().toISOString(),
      count: 1,
    };
    await create(kube, [scaleUp as never], ns);
    r = await run(breach);
    assert.equal(r.code, 0, messages(r.stderr));
    d = JSON.parse(r.stdout);
    assert.deepEqual([d.reason, d.applied], ['WaitingForNode', 3]);
    assert.match(d.message, /but 1 pod waits for a node a cluster autoscaler is adding \(TriggeredScaleUp\)/);
    assert.equal(await replicasOf(kube, APPS, ns, 'fibonacci'), 3);

    // Calm: the pod that cannot be placed never holds a decay.
    const calm = config(ns, 10_000);
    r = await run(calm);
    assert.equal(r.code, 0, messages(r.stderr));
    d = JSON.parse(r.stdout);
    assert.equal(d.reason, 'WithinTargets', d.message);
    r = await run(calm);
    assert.equal(r.code, 0, messages(r.stderr));
    d = JSON.parse(r.stdout);
    assert.deepEqual([d.action, d.reason, d.applied], ['down', 'Decay', 2], d.message);
    assert.equal(await replicasOf(kube, APPS, ns, 'fibonacci'), 2);
  });
});
