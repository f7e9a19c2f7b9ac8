// The scaler against a real kube-apiserver (test/harness/kube.ts): Deployments, StatefulSets and a
// custom resource scaled through /scale, state in a ConfigMap, Events, the Role from jobs/ with a
// real service-account token, concurrency, and the failure paths.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load, loadAll } from 'js-yaml';
import { kustomizeBuild } from '../harness/kustomize.ts';
import { startKube, type KubeCluster } from '../harness/kube.ts';
import { messages, runBundle } from '../helpers/cli.ts';
import {
  create,
  deployment,
  manifests,
  namespace,
  podsOf,
  replicasOf,
  settle,
  until,
} from '../helpers/kube-objects.ts';
import { startService, type CountingService } from '../helpers/scale-server.ts';
import { kubeClientsFromFile } from '../../src/kube/client.ts';
import { KubernetesScaleTarget } from '../../src/target/kubernetes.ts';
import { ConfigMapStateStore } from '../../src/state/configmap.ts';
import { StateError, TargetError } from '../../src/errors.ts';
import { bigRecord } from '../helpers/records.ts';

const APPS = { apiVersion: 'apps/v1', kind: 'Deployment' };
let kube: KubeCluster;
let service: CountingService;
let dir: string;

before(async () => {
  kube = await startKube();
  service = await startService(30); // the generator's own delay on a busy machine is no material part of it
  dir = mkdtempSync(join(tmpdir(), 'scaler-k8s-'));
});
after(async () => {
  await service?.close();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function config(
  target: { kind: string; name: string; namespace: string; apiVersion?: string },
  opts: { limit?: number; unchangedRuns?: number; state?: string } = {},
): string {
  const path = join(dir, `scaler-${++n}.yaml`);
  writeFileSync(
    path,
    `target: ${JSON.stringify({ apiVersion: 'apps/v1', ...target })}
replicas: { min: 1, max: 5 }
loadTest: { host: ${service.url}, users: 2, duration: 1s, requests: [{ method: GET, path: /fib }] }
targets: [{ method: GET, endpoint: /fib, type: mean, target: ${opts.limit ?? 0.001} }]
decay: { replicas: 1, unchangedRuns: ${opts.unchangedRuns ?? 1} }
state: { store: configmap${opts.state ? `, name: ${opts.state}` : ''} }
`,
  );
  return path;
}

const serviceUrl = (): string => service.url;
const service_hits = (): number => service.requests;
const run = (path: string, kubeconfig = kube.kubeconfigPath, extra: string[] = []) =>
  runBundle(['run', '-c', path, '-o', 'json', ...extra], { env: { KUBECONFIG: kubeconfig }, timeoutMs: 60_000 });

async function stateOf(
  ns: string,
  name: string,
): Promise<{ calmRuns: number; history: { action: string }[] } | undefined> {
  const r = await kube.api('GET', `/api/v1/namespaces/${ns}/configmaps/${name}`);
  return r.status === 200 && r.body.data?.['state.json'] ? JSON.parse(r.body.data['state.json']) : undefined;
}

async function events(ns: string, name: string): Promise<{ reason: string; message: string; type: string }[]> {
  const r = await kube.api('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name=${name}`);
  return r.body.items;
}

describe('on a real kube-apiserver', () => {
  it('scales a Deployment up and down through /scale, state in a ConfigMap created on first run, Events recorded', async () => {
    const ns = await namespace(kube, 'deploy');
    await create(kube, [deployment('fib', 2)], ns);
    await settle(kube, APPS, ns, 'fib');
    let r = await run(config({ kind: 'Deployment', name: 'fib', namespace: ns }));
    assert.equal(r.code, 0, messages(r.stderr));
    assert.match(JSON.parse(r.stdout).message, /^scale up 2→3: GET \/fib mean/);
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 3);
    assert.equal((await stateOf(ns, 'latency-scaler-deployment-fib'))?.history.length, 1);
    const evs = await events(ns, 'fib');
    assert.ok(
      evs.some((e) => e.reason === 'ScaledUp' && e.type === 'Normal' && /scale up 2→3/.test(e.message)),
      JSON.stringify(evs),
    );

    await settle(kube, APPS, ns, 'fib');
    const calm = config({ kind: 'Deployment', name: 'fib', namespace: ns }, { limit: 100_000 });
    r = await run(calm);
    assert.equal(r.code, 0, messages(r.stderr));
    assert.match(JSON.parse(r.stdout).message, /^hold at 3: .*1 of 1 calm run before decay/);
    r = await run(calm);
    assert.equal(r.code, 0, messages(r.stderr));
    assert.equal(JSON.parse(r.stdout).message, 'decay 3→2: 1 calm run');
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 2);
    assert.ok((await events(ns, 'fib')).some((e) => e.reason === 'ScaledDown'));

    // status reads the Deployment and the state ConfigMap (no load).
    const status = await runBundle(['status', '-c', calm, '-o', 'json'], { env: { KUBECONFIG: kube.kubeconfigPath } });
    assert.equal(status.code, 0, messages(status.stderr));
    const [row] = JSON.parse(status.stdout) as {
      target: string;
      replicas: number;
      state: string;
      lastDecision: string;
    }[];
    assert.deepEqual({ target: row!.target, replicas: row!.replicas }, { target: `Deployment ${ns}/fib`, replicas: 2 });
    assert.equal(row!.state, `configmap ${ns}/latency-scaler-deployment-fib`);
    assert.equal(row!.lastDecision, 'decay 3→2: 1 calm run');
  });

  it('scales a StatefulSet up and down', async () => {
    const ns = await namespace(kube, 'sts');
    const STS = { apiVersion: 'apps/v1', kind: 'StatefulSet' };
    await create(kube, [deployment('db', 1, 'StatefulSet')], ns);
    await settle(kube, STS, ns, 'db');
    let r = await run(config({ kind: 'StatefulSet', name: 'db', namespace: ns }));
    assert.equal(r.code, 0, messages(r.stderr));
    assert.equal(await replicasOf(kube, STS, ns, 'db'), 2);
    await settle(kube, STS, ns, 'db');
    const calm = config({ kind: 'StatefulSet', name: 'db', namespace: ns }, { limit: 100_000 });
    await run(calm);
    r = await run(calm);
    assert.equal(r.code, 0, messages(r.stderr));
    assert.equal(await replicasOf(kube, STS, ns, 'db'), 1);
  });

  it('scales a custom resource with a scale subresource (kind → resource by discovery)', async () => {
    const ns = await namespace(kube, 'crd');
    await create(
      kube,
      [
        {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'widgets.example.com' },
          spec: {
            group: 'example.com',
            scope: 'Namespaced',
            names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: {
                  openAPIV3Schema: {
                    type: 'object',
                    properties: {
                      spec: { type: 'object', properties: { replicas: { type: 'integer' } } },
                      status: {
                        type: 'object',
                        properties: { replicas: { type: 'integer' }, readyReplicas: { type: 'integer' } },
                      },
                    },
                  },
                },
                subresources: {
                  status: {},
                  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
                },
              },
            ],
          },
        },
      ],
      '',
    );
    const WIDGET = { apiVersion: 'example.com/v1', kind: 'Widget' };
    for (let i = 0; i < 100; i++) {
      const r = await kube.api('POST', `/apis/example.com/v1/namespaces/${ns}/widgets`, {
        ...WIDGET,
        metadata: { name: 'w' },
        spec: { replicas: 2 },
      });
      if (r.status === 201) break;
      await new Promise((res) => setTimeout(res, 100)); // until the CRD is established
    }
    await settle(kube, WIDGET, ns, 'w', 'widgets');
    let r = await run(config({ kind: 'Widget', apiVersion: 'example.com/v1', name: 'w', namespace: ns }));
    assert.equal(r.code, 0, messages(r.stderr));
    assert.equal(await replicasOf(kube, WIDGET, ns, 'w', 'widgets'), 3);
    await settle(kube, WIDGET, ns, 'w', 'widgets');
    const calm = config({ kind: 'Widget', apiVersion: 'example.com/v1', name: 'w', namespace: ns }, { limit: 100_000 });
    await run(calm);
    r = await run(calm);
    assert.equal(r.code, 0, messages(r.stderr));
    assert.equal(await replicasOf(kube, WIDGET, ns, 'w', 'widgets'), 2);
  });

  it('runs with a real service-account token bound by exactly the Role in jobs/; another Deployment is a clear 403', async () => {
    const ns = await namespace(kube, 'rbac');
    await create(kube, [deployment('fibonacci', 1), deployment('other', 1)], ns);
    await settle(kube, APPS, ns, 'fibonacci');
    await settle(kube, APPS, ns, 'other');
    for (const f of ['serviceaccount.yaml', 'rbac.yaml', 'state-configmap.yaml'])
      await create(kube, manifests(join('jobs', 'base', f)), ns);
    const token = await kube.tokenFor(ns, 'latency-scaler');
    const kubeconfig = kube.kubeconfigForToken(token, ns);
    let r = await run(config({ kind: 'Deployment', name: 'fibonacci', namespace: ns }), kubeconfig);
    assert.equal(r.code, 0, messages(r.stderr));
    assert.equal(await replicasOf(kube, APPS, ns, 'fibonacci'), 2);
    assert.equal((await stateOf(ns, 'latency-scaler-deployment-fibonacci'))?.history.length, 1);

    // State in a file here, so the only API call left to refuse is the one on the other Deployment.
    const other = config({ kind: 'Deployment', name: 'other', namespace: ns });
    writeFileSync(
      other,
      readFileSync(other, 'utf8').replace(
        'state: { store: configmap }',
        `state: { store: file, path: ${join(dir, 'other.json')} }`,
      ),
    );
    r = await run(other, kubeconfig);
    assert.equal(r.code, 1);
    assert.match(
      messages(r.stderr),
      /forbidden: the service account may not get deployments other in namespace rbac\. Add this rule to its Role/,
    );
    assert.match(messages(r.stderr), /resourceNames: \["other"\]/);
    assert.equal(await replicasOf(kube, APPS, ns, 'other'), 1);
    assert.ok(!existsSync(join(dir, 'other.json')), 'nothing written');
  });

  it('two invocations started together: exactly one applies, the other exits 3, one decision in the history', async () => {
    const ns = await namespace(kube, 'race');
    await create(kube, [deployment('fib', 2)], ns);
    await settle(kube, APPS, ns, 'fib');
    const path = config({ kind: 'Deployment', name: 'fib', namespace: ns });
    const codes = (await Promise.all([run(path), run(path)])).map((r) => r.code).sort();
    assert.deepEqual(codes, [0, 3]);
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 3);
    assert.equal((await stateOf(ns, 'latency-scaler-deployment-fib'))?.history.length, 1);
  });

  it('the paused annotation: no load, no change', async () => {
    const ns = await namespace(kube, 'paused');
    const d = deployment('fib', 2);
    d.metadata['annotations'] = { 'latency-scaler.io/paused': 'true' };
    await create(kube, [d], ns);
    await settle(kube, APPS, ns, 'fib');
    const before = service.requests;
    const r = await run(config({ kind: 'Deployment', name: 'fib', namespace: ns }));
    assert.equal(r.code, 0, messages(r.stderr));
    assert.equal(JSON.parse(r.stdout).reason, 'Paused');
    assert.equal(service.requests, before);
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 2);
  });

  it('replicas failing readiness with no change in flight (overload): a breach still scales up', async () => {
    const ns = await namespace(kube, 'overload');
    await create(kube, [deployment('fib', 3)], ns);
    await settle(kube, APPS, ns, 'fib');
    // Two of the three pods start failing their readiness probe (kwok's pod-unready stage); the
    // controllers carry that into the Deployment's status.
    for (const pod of (await podsOf(kube, ns, 'fib')).slice(1)) {
      const path = `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`;
      const patch = { metadata: { annotations: { 'test.latency-scaler.io/ready': 'false' } } };
      assert.equal((await kube.api('PATCH', path, patch, 'application/merge-patch+json')).status, 200);
    }
    await until('1 of 3 replicas ready', async () => {
      const d = await kube.api('GET', `/apis/apps/v1/namespaces/${ns}/deployments/fib`);
      return d.body.status?.readyReplicas === 1 ? true : undefined;
    });
    const r = await run(config({ kind: 'Deployment', name: 'fib', namespace: ns }));
    assert.equal(r.code, 0, messages(r.stderr));
    assert.equal(JSON.parse(r.stdout).reason, 'TargetBreached');
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 4);
  });

  it("the pod template's digest is the target's revision: a scale keeps it, a template edit changes it", async () => {
    const ns = await namespace(kube, 'revision');
    await create(kube, [deployment('fib', 2)], ns);
    const ref = { kind: 'Deployment', apiVersion: 'apps/v1', name: 'fib', namespace: ns };
    const target = new KubernetesScaleTarget(ref, kubeClientsFromFile(kube.kubeconfigPath), {
      callTimeoutMs: 10_000,
      deadlineMs: 10_000,
    });
    const first = (await target.read()).revision;
    assert.match(first ?? '', /^[0-9a-f]{12}$/);
    const path = `/apis/apps/v1/namespaces/${ns}/deployments/fib`;
    const merge = 'application/merge-patch+json';
    assert.equal((await kube.api('PATCH', `${path}/scale`, { spec: { replicas: 3 } }, merge)).status, 200);
    assert.equal((await target.read()).revision, first, 'a scale is no rollout');
    const edit = { spec: { template: { metadata: { annotations: { 'example.com/release': '2' } } } } };
    assert.equal((await kube.api('PATCH', path, edit, merge)).status, 200);
    assert.notEqual((await target.read()).revision, first, 'a new template is a new revision');
  });

  it("no namespace set: the kubeconfig context's, as kubectl; said in the record and validate; earlier state in default is named", async () => {
    const ns = await namespace(kube, 'context');
    await create(kube, [deployment('ctxfib', 2)], ns);
    await create(kube, [deployment('ctxfib', 2)], 'default');
    // An earlier run, when an unset namespace meant `default`: its state is in default.
    const pinned = config({ kind: 'Deployment', name: 'ctxfib', namespace: 'default' }, { limit: 1000 });
    assert.equal((await run(pinned)).code, 0);
    const kubeconfig = load(readFileSync(kube.kubeconfigPath, 'utf8')) as {
      'current-context': string;
      contexts: { name: string; context: { namespace?: string } }[];
    };
    kubeconfig.contexts.find((c) => c.name === kubeconfig['current-context'])!.context.namespace = ns;
    const withContext = join(dir, 'context-kubeconfig.yaml');
    writeFileSync(withContext, dump(kubeconfig));
    const unset = join(dir, 'unset-namespace.yaml');
    writeFileSync(unset, readFileSync(pinned, 'utf8').replace(',"namespace":"default"', ''));
    assert.doesNotMatch(readFileSync(unset, 'utf8'), /namespace/);
    const r = await run(unset, withContext);
    assert.equal(r.code, 0, messages(r.stderr));
    const record = JSON.parse(r.stdout) as { target: string; namespaceFrom: string };
    assert.equal(record.target, `Deployment ${ns}/ctxfib`);
    assert.match(record.namespaceFrom, /^kubeconfig context "[^"]+" \(.*context-kubeconfig\.yaml\)$/);
    assert.match(
      messages(r.stderr),
      /configmap default\/latency-scaler-deployment-ctxfib holds the state of Deployment default\/ctxfib .*set target\.namespace: default/,
    );
    const v = await runBundle(['validate', '-c', unset, '-o', 'text'], { env: { KUBECONFIG: withContext } });
    assert.match(v.stdout, new RegExp(`target: +Deployment ${ns}/ctxfib \\(namespace from kubeconfig context`));
    const again = await run(unset, withContext);
    assert.doesNotMatch(messages(again.stderr), /holds the state of/, 'said once: this target has its own state now');
  });

  it('init deployment/web -n NS: finds the Service, measures gently, writes a scaler.yaml validate accepts and run uses; scales nothing', async () => {
    const ns = await namespace(kube, 'init');
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web-svc' },
      spec: { selector: { app: 'web' }, ports: [{ port: 8080 }] },
    };
    const other = {
      ...service,
      metadata: { name: 'other' },
      spec: { selector: { app: 'other' }, ports: [{ port: 9 }] },
    };
    await create(kube, [deployment('web', 2), other, service], ns);
    const out = join(dir, 'init-scaler.yaml');
    const env = { KUBECONFIG: kube.kubeconfigPath };
    const hitsBefore = service_hits();
    const args = ['init', 'deployment/web', '-n', ns, '--host', serviceUrl(), '--path', '/fib', '--duration', '2s'];
    const r = await runBundle([...args, '--out', out, '-o', 'text'], { env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, messages(r.stderr));
    assert.match(
      r.stdout,
      new RegExp(`wrote .*init-scaler\\.yaml for Deployment ${ns}/web \\(Service ${ns}/web-svc port 8080\\)`),
    );
    assert.ok(service_hits() > hitsBefore, 'the baseline reached the service');
    const yaml = readFileSync(out, 'utf8');
    assert.match(
      yaml,
      new RegExp(`target: \\{ kind: Deployment, apiVersion: apps/v1, name: web, namespace: ${ns} \\}`),
    );
    assert.match(yaml, new RegExp(`host: http://web-svc\\.${ns}\\.svc:8080`));
    assert.match(yaml, /type: p95, target: \d+/);
    assert.equal(await replicasOf(kube, APPS, ns, 'web'), 2, 'init scales nothing');
    const again = await runBundle([...args, '--out', out], { env, timeoutMs: 60_000 });
    assert.equal(again.code, 2, 'an existing file is kept without --force');
    const v = await runBundle(['validate', '-c', out], { env });
    assert.equal(v.code, 0, messages(v.stderr) + v.stdout);
    // The overlay: jobs/base for this workload, the RBAC narrowed to it; the API server accepts it.
    const overlay = join(dir, 'init-overlay');
    const withOverlay = [...args, '--out', join(dir, 'init-2.yaml'), '--overlay', overlay, '--jobs', 'jobs/base'];
    const o = await runBundle(withOverlay, { env, timeoutMs: 60_000 });
    assert.equal(o.code, 0, messages(o.stderr));
    const rendered = loadAll(kustomizeBuild(overlay)) as {
      kind: string;
      metadata: { name: string; namespace?: string };
      rules?: { resources: string[]; resourceNames?: string[] }[];
      data?: Record<string, string>;
    }[];
    const role = rendered.find((r) => r.kind === 'Role')!;
    assert.deepEqual(
      role.rules!.filter((r) => r.resources.some((x) => x.startsWith('deployments'))).flatMap((r) => r.resourceNames),
      ['web', 'web'],
      'exactly this workload',
    );
    assert.ok(
      rendered.every((r) => r.metadata.namespace === ns),
      'everything beside the workload',
    );
    assert.match(rendered.find((r) => r.metadata.name === 'latency-scaler-config')!.data!['scaler.yaml']!, /name: web/);
    assert.ok(!rendered.some((r) => r.metadata.name.includes('fibonacci')), "the base's example is gone");
    await create(kube, rendered as never, ns, { dryRun: true });
    // Run where the test's files are: its state (a file, outside a pod) is this test's alone, not left in the checkout.
    const run1 = await runBundle(['run', '-c', out, '-o', 'json', '--host', serviceUrl()], {
      env,
      timeoutMs: 60_000,
      cwd: dir,
    });
    assert.equal(run1.code, 0, messages(run1.stderr));
    // Within target: the recommended policy's model takes one replica more on a new service, to learn its
    // service time before it ever scales down (README: the recommended policy).
    const first = JSON.parse(run1.stdout) as { reason: string; action: string };
    assert.ok(['WithinTargets', 'Calibrating'].includes(first.reason), run1.stdout);
    assert.notEqual(first.action, 'down');
    const far = await runBundle(
      ['init', 'deployment/web', '-n', ns, '--host', 'http://93.184.216.34', '--out', join(dir, 'x.yaml')],
      { env },
    );
    assert.equal(far.code, 2);
    assert.match(messages(far.stderr), /--host: "http:\/\/93\.184\.216\.34" is neither loopback/);
  });

  it('a missing target names it; nothing is written', async () => {
    const ns = await namespace(kube, 'missing');
    const r = await run(config({ kind: 'Deployment', name: 'nope', namespace: ns }));
    assert.equal(r.code, 1);
    assert.match(messages(r.stderr), /Deployment "nope" not found in namespace "missing"/);
    assert.equal(
      (await kube.api('GET', `/api/v1/namespaces/${ns}/configmaps/latency-scaler-deployment-nope`)).status,
      404,
    );
  });

  it('replicas changed between read and patch: the JSON Patch test fails, exit 3, their value stays, state restored', async () => {
    const ns = await namespace(kube, 'between');
    await create(kube, [deployment('fib', 2)], ns);
    await settle(kube, APPS, ns, 'fib');
    const path = config({ kind: 'Deployment', name: 'fib', namespace: ns });
    // Someone scales the Deployment while the load test runs (after our read, before our patch).
    let patched: Promise<{ status: number }> | undefined;
    service.onRequest = () =>
      (patched = kube.api(
        'PATCH',
        `/apis/apps/v1/namespaces/${ns}/deployments/fib/scale`,
        { spec: { replicas: 4 } },
        'application/merge-patch+json',
      ));
    const r = await run(path);
    assert.equal((await patched)?.status, 200);
    assert.equal(r.code, 3, messages(r.stderr));
    assert.match(messages(r.stderr), /replicas are no longer 2 but 4 \(changed by someone else/);
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 4);
    const restored = (await stateOf(ns, 'latency-scaler-deployment-fib')) as
      { lastReplicas: number | null; history: unknown[] } | undefined;
    assert.deepEqual(
      { last: restored?.lastReplicas, history: restored?.history.length },
      { last: null, history: 0 },
      'the claim was taken back',
    );
    assert.ok((await events(ns, 'fib')).some((e) => e.reason === 'ScaleFailed' && e.type === 'Warning'));
  });

  it('an API server that is down or hangs: a clear error within the deadline, nothing written', async () => {
    const ref = { kind: 'Deployment', apiVersion: 'apps/v1', name: 'fib', namespace: 'default' };
    const limits = { deadlineMs: 1500, callTimeoutMs: 400 };
    const closed = await new Promise<number>((res) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const hanging: Server = createServer(() => {
      /* accept, never answer */
    });
    await new Promise<void>((res) => hanging.listen(0, '127.0.0.1', res));
    try {
      for (const port of [closed, (hanging.address() as { port: number }).port]) {
        const cfg = join(dir, `down-${port}.kubeconfig`);
        writeFileSync(
          cfg,
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'Config',
            'current-context': 'x',
            clusters: [
              { name: 'x', cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority': kube.caPath } },
            ],
            users: [{ name: 'x', user: { token: 't' } }],
            contexts: [{ name: 'x', context: { cluster: 'x', user: 'x' } }],
          }),
        );
        const clients = kubeClientsFromFile(cfg);
        const started = Date.now();
        const cause = port === closed ? 'connection refused' : 'no answer within 0.4 s';
        const expected = new RegExp(
          `^the Kubernetes API at https://127\\.0\\.0\\.1:${port}: ${cause} \\(get discovery apps/v1 in namespace default\\)$`,
        );
        await assert.rejects(
          new KubernetesScaleTarget(ref, clients, limits).read(),
          (e: Error) => e instanceof TargetError && expected.test(e.message),
        );
        assert.ok(Date.now() - started < 10_000, 'bounded by the deadline');
        await assert.rejects(
          new ConfigMapStateStore({ name: 's', namespace: 'default', targetKey: 'k' }, clients, limits).read(),
          (e: Error) =>
            e instanceof StateError &&
            new RegExp(
              `^state configmap default/s: the Kubernetes API at https://127\\.0\\.0\\.1:${port}: ${cause}`,
            ).test(e.message),
        );
      }
    } finally {
      hanging.close();
    }
  });

  it("a history past the ConfigMap's 1 MiB is trimmed oldest first and still written", async () => {
    const ns = await namespace(kube, 'big');
    const store = new ConfigMapStateStore(
      { name: 'big', namespace: ns, targetKey: 'k' },
      kubeClientsFromFile(kube.kubeconfigPath),
      { deadlineMs: 30_000, callTimeoutMs: 10_000 },
    );
    const record = bigRecord('k', 2000, 5);
    assert.ok(
      Buffer.byteLength(JSON.stringify(record)) > 1024 * 1024,
      'the test record is larger than a ConfigMap may be',
    );
    const version = await store.write(record, null);
    const { record: stored, version: read } = await store.read();
    assert.equal(read, version);
    assert.ok(stored!.history.length < 2000 && stored!.history.length > 500, `${stored!.history.length} entries kept`);
    assert.deepEqual(stored!.history.at(-1), record.history.at(-1));
  });

  it('state reset empties the shipped ConfigMap and never deletes it (the Role cannot create it again)', async () => {
    const ns = await namespace(kube, 'reset');
    await create(kube, [deployment('fibonacci', 2)], ns);
    await settle(kube, APPS, ns, 'fibonacci');
    for (const f of ['serviceaccount.yaml', 'rbac.yaml', 'state-configmap.yaml'])
      await create(kube, manifests(join('jobs', 'base', f)), ns);
    const kubeconfig = kube.kubeconfigForToken(await kube.tokenFor(ns, 'latency-scaler'), ns);
    const path = config({ kind: 'Deployment', name: 'fibonacci', namespace: ns });
    assert.equal((await run(path, kubeconfig)).code, 0);
    const r = await runBundle(['state', 'reset', '-c', path], { env: { KUBECONFIG: kubeconfig } });
    assert.equal(r.code, 0, messages(r.stderr));
    const cm = await kube.api('GET', `/api/v1/namespaces/${ns}/configmaps/latency-scaler-deployment-fibonacci`);
    assert.equal(cm.status, 200, 'the ConfigMap is still there');
    assert.deepEqual(cm.body.data ?? {}, {});
    assert.equal(
      (await run(path, kubeconfig)).code,
      0,
      'and the next run (with the least-privilege Role) writes it again',
    );
  });

  it('every manifest in jobs/ and examples/ is accepted by the API server (server-side dry run)', async () => {
    const ns = await namespace(kube, 'dryrun');
    const files = ['jobs', 'examples']
      .flatMap((root) => walk(root))
      .filter(
        (f) =>
          /\.ya?ml$/.test(f) &&
          // jobs/fleet/ names its own namespaces: fleet-kube.test.ts applies it whole, rendered.
          !/kustomization\.ya?ml$|scaler\.ya?ml$|evaluation_config\.ya?ml$|template\.ya?ml$|lambda|fleet\//.test(f),
      );
    assert.ok(files.length >= 5, files.join(', '));
    for (const f of files) {
      const objs = manifests(f).filter((o) => o && typeof o === 'object' && 'kind' in o && 'apiVersion' in o);
      await assert.doesNotReject(create(kube, objs, ns, { dryRun: true }), f);
    }
  });
});

function walk(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(root, e.name)) : [join(root, e.name)],
    );
  } catch {
    return [];
  }
}
