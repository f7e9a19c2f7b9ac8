// A good neighbour, on a real kube-apiserver: another autoscaler on the same workload (an HPA, a KEDA
// ScaledObject — its CRD installed here with KEDA's group and kind) is refused with a Warning Event;
// allowOtherAutoscalers proceeds; a GitOps controller owning spec.replicas is warned about; a Role
// without the list rules only warns; KEDA's pause vocabulary on the API server and the http target.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKube, type KubeCluster } from '../harness/kube.ts';
import { messages, runBundle } from '../helpers/cli.ts';
import { create, deployment, manifests, namespace, replicasOf, settle } from '../helpers/kube-objects.ts';
import { startScaleServer, startService, type CountingService } from '../helpers/scale-server.ts';

const APPS = { apiVersion: 'apps/v1', kind: 'Deployment' };
let kube: KubeCluster;
let service: CountingService;
let dir: string;

before(async () => {
  kube = await startKube();
  service = await startService(30); // the generator's own delay on a busy machine is no material part of it
  dir = mkdtempSync(join(tmpdir(), 'scaler-neighbours-'));
  // KEDA's ScaledObject, as its CRD declares group, version, kind and plural (the schema kept open).
  await create(
    kube,
    [
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'scaledobjects.keda.sh' },
        spec: {
          group: 'keda.sh',
          scope: 'Namespaced',
          names: { plural: 'scaledobjects', singular: 'scaledobject', kind: 'ScaledObject', shortNames: ['so'] },
          versions: [
            {
              name: 'v1alpha1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      },
    ],
    '',
  );
});
after(async () => {
  await service?.close();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function config(ns: string, extra = '', limit = 0.001): string {
  const path = join(dir, `scaler-${++n}.yaml`);
  writeFileSync(
    path,
    `target: { kind: Deployment, name: fib, namespace: ${ns} ${extra} }
replicas: { min: 1, max: 8 }
loadTest: { host: ${service.url}, users: 2, duration: 1s, requests: [{ method: GET, path: /fib }] }
targets: [{ method: GET, endpoint: /fib, type: mean, target: ${limit} }]
decay: { replicas: 1, unchangedRuns: 1 }
state: { store: configmap }
`,
  );
  return path;
}

const run = (path: string, kubeconfig = kube.kubeconfigPath) =>
  runBundle(['run', '-c', path, '-o', 'json'], { env: { KUBECONFIG: kubeconfig }, timeoutMs: 60_000 });

async function events(ns: string): Promise<{ reason: string; message: string; type: string }[]> {
  return (await kube.api('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name=fib`)).body.items;
}

async function fib(ns: string, replicas = 2, annotations: Record<string, string> = {}): Promise<void> {
  const d = deployment('fib', replicas);
  d.metadata['annotations'] = annotations;
  await create(kube, [d], ns);
  await settle(kube, APPS, ns, 'fib');
}

describe('other autoscalers and GitOps', () => {
  it('an HPA on the same Deployment: refused before any load, exit 1, a Warning Event naming it, nothing written', async () => {
    const ns = await namespace(kube, 'hpa');
    await fib(ns);
    await create(
      kube,
      [
        {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'fib-cpu' },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'fib' },
            minReplicas: 1,
            maxReplicas: 5,
            metrics: [
              { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
            ],
          },
        },
      ],
      ns,
    );
    const before = service.requests;
    const r = await run(config(ns));
    assert.equal(r.code, 1, messages(r.stderr));
    assert.match(
      messages(r.stderr),
      /HorizontalPodAutoscaler hpa\/fib-cpu \(autoscaling\/v2\) also scales Deployment hpa\/fib: refusing to scale.*target\.allowOtherAutoscalers: true/,
    );
    assert.equal(service.requests, before, 'no load sent');
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 2);
    assert.equal(
      (await kube.api('GET', `/api/v1/namespaces/${ns}/configmaps/latency-scaler-deployment-fib`)).status,
      404,
    );
    assert.ok(
      (await events(ns)).some(
        (e) => e.reason === 'ConflictingAutoscaler' && e.type === 'Warning' && /fib-cpu/.test(e.message),
      ),
    );

    const allowed = await run(config(ns, ', allowOtherAutoscalers: true'));
    assert.equal(allowed.code, 0, messages(allowed.stderr));
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 3);
  });

  it('a KEDA ScaledObject on the same Deployment: refused likewise', async () => {
    const ns = await namespace(kube, 'keda');
    await fib(ns);
    const so = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'fib-so' },
      spec: { scaleTargetRef: { name: 'fib' }, triggers: [] },
    };
    for (let i = 0; i < 100; i++) {
      // until the CRD is established
      const r = await kube.api('POST', `/apis/keda.sh/v1alpha1/namespaces/${ns}/scaledobjects`, so);
      if (r.status === 201) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const r = await run(config(ns));
    assert.equal(r.code, 1);
    assert.match(messages(r.stderr), /ScaledObject keda\/fib-so \(keda\.sh, KEDA\) also scales Deployment keda\/fib/);
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 2);
  });

  it('spec.replicas owned by a GitOps controller (server-side apply by argocd-controller): warned, with the fix', async () => {
    const ns = await namespace(kube, 'gitops');
    const d = deployment('fib', 2);
    const apply = await kube.api(
      'PATCH',
      `/apis/apps/v1/namespaces/${ns}/deployments/fib?fieldManager=argocd-controller&force=true`,
      JSON.stringify(d),
      'application/apply-patch+yaml',
    );
    assert.ok(apply.status === 201 || apply.status === 200, JSON.stringify(apply.body).slice(0, 300));
    await settle(kube, APPS, ns, 'fib');
    const r = await run(config(ns));
    assert.equal(r.code, 0, messages(r.stderr));
    assert.match(
      messages(r.stderr),
      /spec\.replicas of Deployment gitops\/fib is managed by argocd-controller, a GitOps controller: its next sync reverts every scale\. Argo CD: add ignoreDifferences/,
    );
  });

  it('the Role from jobs/ lists HPAs and ScaledObjects; a Role without those rules only warns, and still scales', async () => {
    const ns = await namespace(kube, 'rbac-owners');
    await create(kube, [deployment('fibonacci', 2)], ns);
    await settle(kube, APPS, ns, 'fibonacci');
    const role = manifests(join('jobs', 'base', 'rbac.yaml'));
    const narrow = role.map((o) =>
      o.kind === 'Role'
        ? {
            ...o,
            rules: (o['rules'] as { apiGroups: string[] }[]).filter(
              (rule) => !['autoscaling', 'keda.sh'].includes(rule.apiGroups[0]!),
            ),
          }
        : o,
    );
    for (const f of ['serviceaccount.yaml', 'state-configmap.yaml'])
      await create(kube, manifests(join('jobs', 'base', f)), ns);
    await create(kube, narrow, ns);
    const kubeconfig = kube.kubeconfigForToken(await kube.tokenFor(ns, 'latency-scaler'), ns);
    const path = join(dir, 'rbac.yaml');
    writeFileSync(path, readFileSync(config(ns), 'utf8').replace('name: fib,', 'name: fibonacci,'));
    const r = await run(path, kubeconfig);
    assert.equal(r.code, 0, messages(r.stderr));
    assert.match(
      messages(r.stderr),
      /could not check for other autoscalers of Deployment rbac-owners\/fibonacci: the Role may not list horizontalpodautoscalers\.autoscaling/,
    );
    assert.equal(await replicasOf(kube, APPS, ns, 'fibonacci'), 3);
  });
});

describe('pause vocabulary', () => {
  it('paused-replicas on the API server: scale to N with no load, then hold', async () => {
    const ns = await namespace(kube, 'pinned');
    await fib(ns, 2, { 'latency-scaler.io/paused-replicas': '5' });
    const before = service.requests;
    let r = await run(config(ns));
    assert.equal(r.code, 0, messages(r.stderr));
    assert.equal(
      JSON.parse(r.stdout).message,
      'scale up 2→5: paused at 5 by annotation latency-scaler.io/paused-replicas',
    );
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 5);
    await settle(kube, APPS, ns, 'fib');
    r = await run(config(ns));
    assert.equal(
      JSON.parse(r.stdout).message,
      'hold at 5: paused at 5 by annotation latency-scaler.io/paused-replicas',
    );
    assert.equal(service.requests, before, 'no load sent');
  });

  it('paused-scale-down on the API server: a breach scales up, a due decay holds', async () => {
    const ns = await namespace(kube, 'noscaledown');
    await fib(ns, 2, { 'latency-scaler.io/paused-scale-down': 'true' });
    let r = await run(config(ns));
    assert.equal(JSON.parse(r.stdout).applied, 3, r.stdout);
    await settle(kube, APPS, ns, 'fib');
    const calm = config(ns, '', 100_000);
    await run(calm);
    r = await run(calm);
    assert.match(
      JSON.parse(r.stdout).message,
      /^hold at 3: 1 calm run \(scale-down paused by annotation latency-scaler\.io\/paused-scale-down\)$/,
    );
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 3);
  });

  it('an invalid paused-replicas: exit 1 (live state) naming the object and the annotation; nothing sent', async () => {
    const ns = await namespace(kube, 'badpause');
    await fib(ns, 2, { 'latency-scaler.io/paused-replicas': 'three' });
    const before = service.requests;
    const r = await run(config(ns));
    assert.equal(r.code, 1, messages(r.stderr));
    assert.match(
      messages(r.stderr),
      /Deployment badpause\/fib: annotation latency-scaler\.io\/paused-replicas: "three" is not a replica count/,
    );
    assert.doesNotMatch(r.stderr, /invalid configuration|INVALID_CONFIG/);
    assert.equal(service.requests, before);
    assert.equal(
      (await kube.api('GET', `/api/v1/namespaces/${ns}/configmaps/latency-scaler-deployment-fib`)).status,
      404,
    );
  });

  it("the http target's pausedReplicas and pausedScaleDown fields", async () => {
    const scale = await startScaleServer(2);
    try {
      const path = join(dir, 'http.yaml');
      writeFileSync(
        path,
        `target: { kind: http, url: ${scale.url} }
loadTest: { host: ${service.url}, users: 2, duration: 1s, requests: [{ method: GET, path: /fib }] }
targets: [{ method: GET, endpoint: /fib, type: mean, target: 100000 }]
decay: { replicas: 1, unchangedRuns: 1 }
state: { store: file, path: ${join(dir, 'http-state.json')} }
`,
      );
      scale.pausedReplicas = 4;
      let r = await runBundle(['run', '-c', path, '-o', 'json']);
      assert.equal(JSON.parse(r.stdout).applied, 4, r.stderr);
      scale.pausedReplicas = undefined;
      scale.pausedScaleDown = true;
      await runBundle(['run', '-c', path, '-o', 'json']);
      r = await runBundle(['run', '-c', path, '-o', 'json']);
      assert.match(JSON.parse(r.stdout).message, /scale-down paused/);
      assert.deepEqual(scale.writes, [4]);
      scale.pausedScaleDown = 'sometimes';
      r = await runBundle(['run', '-c', path, '-o', 'json']);
      assert.equal(r.code, 1);
      assert.match(messages(r.stderr), /answered: field pausedScaleDown: "sometimes" is not "true" or "false"/);
    } finally {
      await scale.close();
    }
  });
});
