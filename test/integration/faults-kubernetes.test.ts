// Faults between the scaler and a real kube-apiserver: the fault-injecting proxy (TLS terminated with
// the harness's server certificate) in front of it, the bundle run against the proxy with a service
// account token. After each fault: the exit code, the message, and that the state ConfigMap and the
// replica count agree (nothing half-written, nothing lost, no double apply).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers, startFaultProxy, type FaultProxy } from '../harness/faults.ts';
import { startKube, type KubeCluster } from '../harness/kube.ts';
import { BUNDLE, messages, runBundle } from '../helpers/cli.ts';
import { create, deployment, namespace, replicasOf, settle } from '../helpers/kube-objects.ts';
import { startService, type CountingService } from '../helpers/scale-server.ts';

const APPS = { apiVersion: 'apps/v1', kind: 'Deployment' };
let kube: KubeCluster;
let proxy: FaultProxy;
let service: CountingService;
let dir: string;
let kubeconfig: string;

before(async () => {
  kube = await startKube();
  service = await startService(30); // the generator's own delay on a busy machine is no material part of it
  dir = mkdtempSync(join(tmpdir(), 'scaler-kfaults-'));
  const tls = {
    cert: readFileSync(join(kube.dir, 'server.crt')),
    key: readFileSync(join(kube.dir, 'server.key')),
    ca: readFileSync(kube.caPath),
  };
  proxy = await startFaultProxy({ upstream: kube.server, tls });
  // A service account with every right, so the faults are the only thing in the way.
  const token = await kube.tokenFor('default', 'scaler');
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'scaler-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'scaler', namespace: 'default' }],
  };
  await create(kube, [binding as never], '');
  kubeconfig = join(dir, 'proxy.kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'p',
      clusters: [{ name: 'p', cluster: { server: proxy.url, 'certificate-authority': kube.caPath } }],
      users: [{ name: 'p', user: { token } }],
      contexts: [{ name: 'p', context: { cluster: 'p', user: 'p' } }],
    }),
  );
});
after(async () => {
  await proxy?.close();
  await service?.close();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** A namespace with Deployment fib at 2 replicas, settled, and a config that breaches (→ 3). */
async function scene(
  opts: { limit?: number; timeout?: string; retryFor?: string; grace?: string } = {},
): Promise<{ ns: string; path: string }> {
  const ns = await namespace(kube, `kf${++n}`);
  await create(kube, [deployment('fib', 2)], ns);
  await settle(kube, APPS, ns, 'fib');
  const path = join(dir, `scaler-${n}.yaml`);
  writeFileSync(
    path,
    `target: { kind: Deployment, name: fib, namespace: ${ns} }
replicas: { min: 1, max: 5 }
loadTest: { host: ${service.url}, users: 2, duration: 500ms, requests: [{ method: GET, path: /fib }] }
targets: [{ method: GET, endpoint: /fib, type: mean, target: ${opts.limit ?? 0.001} }]
state: { store: configmap }
api: { timeout: ${opts.timeout ?? '2s'}, retryFor: ${opts.retryFor ?? '6s'}${opts.grace ? `, graceAfterSignal: ${opts.grace}` : ''} }
`,
  );
  return { ns, path };
}

const run = (path: string) =>
  runBundle(['run', '-c', path, '-o', 'json'], { env: { KUBECONFIG: kubeconfig }, timeoutMs: 60_000 });

async function stateOf(ns: string): Promise<{ lastReplicas: number | null; history: unknown[] } | undefined> {
  const r = await kube.api('GET', `/api/v1/namespaces/${ns}/configmaps/latency-scaler-deployment-fib`);
  return r.status === 200 && r.body.data?.['state.json'] ? JSON.parse(r.body.data['state.json']) : undefined;
}

/** State and replicas agree: the recorded count is the real one, or there is no record. */
async function agree(ns: string, replicas: number, decisions: number): Promise<void> {
  assert.equal(await replicasOf(kube, APPS, ns, 'fib'), replicas);
  const state = await stateOf(ns);
  assert.equal(state?.history.length ?? 0, decisions, JSON.stringify(state));
  if (decisions > 0) assert.equal(state?.lastReplicas, replicas);
}

/**
 * The bundle's run of `path`, sent SIGTERM once `when()` holds (polled every 50 ms); its exit code,
 * how long it took after the signal, and its stderr. The proxy's faults are cleared afterwards.
 */
async function sigtermWhen(
  path: string,
  when: () => boolean,
): Promise<{ code: number | null; tookMs: number; stderr: string }> {
  const child = spawn(process.execPath, [BUNDLE, 'run', '-c', path, '-o', 'json'], {
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    while (!when()) await new Promise((r) => setTimeout(r, 50));
    const sentAt = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    return { code, tookMs: Date.now() - sentAt, stderr };
  } finally {
    clearTimeout(killer);
    proxy.clear();
  }
}

const patches = (ns: string) =>
  proxy.log.filter((e) => e.method === 'PATCH' && e.path.includes(`/namespaces/${ns}/deployments/fib/scale`));

describe('faults at the Kubernetes API', () => {
  it('refused: exit 1, the message names the API and the cause; nothing written, nothing applied', async () => {
    const { ns, path } = await scene({ retryFor: '2s' });
    await proxy.refuse(true);
    try {
      const r = await run(path);
      assert.equal(r.code, 1);
      assert.match(
        messages(r.stderr),
        /the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: connection refused \(get (discovery apps\/v1|configmaps)/,
      );
    } finally {
      await proxy.refuse(false);
    }
    await agree(ns, 2, 0);
  });

  it('hang: exit 1 with "no answer within 1 s" (not "HTTP 23"); nothing written', async () => {
    const { ns, path } = await scene({ timeout: '1s', retryFor: '1s' });
    proxy.inject({
      method: 'GET',
      path: new RegExp(`/namespaces/${ns}/configmaps/`),
      times: Infinity,
      fault: { kind: 'hang' },
    });
    try {
      const r = await run(path);
      assert.equal(r.code, 1);
      assert.match(
        messages(r.stderr),
        /the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: no answer within 1 s \(get configmaps latency-scaler-deployment-fib in namespace kf\d+\)/,
      );
      assert.doesNotMatch(r.stderr, /HTTP 23/);
      // The state's failure, named as such: the ConfigMap, not the workload.
      assert.match(messages(r.stderr), /^state configmap kf\d+\/latency-scaler-deployment-fib: the Kubernetes API/m);
      assert.match(r.stderr, /"code":"STATE_ERROR"/);
    } finally {
      proxy.clear();
    }
    await agree(ns, 2, 0);
  });

  it('slow (within the time limit): a normal run', async () => {
    const { ns, path } = await scene();
    proxy.inject({
      path: new RegExp(`/namespaces/${ns}/`),
      times: 3,
      fault: { kind: 'slow', beforeMs: 300, afterMs: 300 },
    });
    const r = await run(path);
    proxy.clear();
    assert.equal(r.code, 0, messages(r.stderr));
    await agree(ns, 3, 1);
  });

  it('429 with Retry-After on the scale patch: waited for, retried, applied once', async () => {
    const { ns, path } = await scene();
    proxy.inject({
      method: 'PATCH',
      path: new RegExp(`/namespaces/${ns}/deployments/fib/scale`),
      fault: answers.kubeStatus(429, 'TooManyRequests', 'slow down', { 'retry-after': '1' }),
    });
    const t0 = Date.now();
    const r = await run(path);
    assert.equal(r.code, 0, messages(r.stderr));
    assert.ok(Date.now() - t0 >= 1000, 'Retry-After honoured');
    assert.equal(patches(ns).length, 2);
    await agree(ns, 3, 1);
  });

  it('503 twice on reading the Deployment: retried, a normal run', async () => {
    const { ns, path } = await scene();
    proxy.inject({
      method: 'GET',
      path: new RegExp(`/namespaces/${ns}/deployments/fib$`),
      times: 2,
      fault: answers.kubeStatus(503, 'ServiceUnavailable', 'etcd leader changed'),
    });
    const r = await run(path);
    assert.equal(r.code, 0, messages(r.stderr));
    await agree(ns, 3, 1);
  });

  it('500 on every scale patch: exit 1, the claim put back (a record with no decision), replicas unchanged, a ScaleFailed Event', async () => {
    const { ns, path } = await scene({ retryFor: '1s' });
    proxy.inject({
      method: 'PATCH',
      path: new RegExp(`/namespaces/${ns}/deployments/fib/scale`),
      times: Infinity,
      fault: answers.kubeStatus(500, 'InternalError', 'boom'),
    });
    try {
      const r = await run(path);
      assert.equal(r.code, 1);
      assert.match(
        messages(r.stderr),
        /applying 2→3 failed: patch deployments\/scale fib in namespace kf\d+ failed: the API server answered HTTP 500: boom/,
      );
    } finally {
      proxy.clear();
    }
    await agree(ns, 2, 0);
    const events = (await kube.api('GET', `/api/v1/namespaces/${ns}/events`)).body.items as { reason: string }[];
    assert.ok(events.some((e) => e.reason === 'ScaleFailed'));
  });

  it('409 on the state ConfigMap write: another run won — exit 3, nothing applied', async () => {
    const { ns, path } = await scene();
    assert.equal((await run(path)).code, 0); // a record exists: the next write is an update
    await settle(kube, APPS, ns, 'fib');
    proxy.inject({
      method: 'PUT',
      path: new RegExp(`/namespaces/${ns}/configmaps/`),
      fault: answers.kubeStatus(409, 'Conflict', 'the object has been modified'),
    });
    const r = await run(path);
    assert.equal(r.code, 3, messages(r.stderr));
    assert.match(messages(r.stderr), /changed since it was read .*nothing applied/);
    await agree(ns, 3, 1);
  });

  it('the state write applied but its answer lost: the retry meets our own claim — applied once, exit 0', async () => {
    const { ns, path } = await scene();
    assert.equal((await run(path)).code, 0);
    await settle(kube, APPS, ns, 'fib');
    proxy.inject({ method: 'PUT', path: new RegExp(`/namespaces/${ns}/configmaps/`), fault: { kind: 'lostAnswer' } });
    const r = await run(path);
    assert.equal(r.code, 0, messages(r.stderr));
    assert.match(messages(r.stderr), /the claim is ours/);
    await agree(ns, 4, 2);
    assert.equal(patches(ns).length, 2, 'one patch per run');
  });

  it("the scale patch applied but its answer lost: the retry's test fails on our own value — success, applied once", async () => {
    const { ns, path } = await scene();
    proxy.inject({
      method: 'PATCH',
      path: new RegExp(`/namespaces/${ns}/deployments/fib/scale`),
      fault: { kind: 'lostAnswer' },
    });
    const r = await run(path);
    assert.equal(r.code, 0, messages(r.stderr));
    await agree(ns, 3, 1);
    const replicaChanges = patches(ns).filter((p) => p.upstreamStatus === 200).length;
    assert.equal(replicaChanges, 1, 'the value was changed once');
  });

  it('reset in the middle of an answer: retried, a normal run', async () => {
    const { ns, path } = await scene();
    proxy.inject({
      method: 'GET',
      path: new RegExp(`/namespaces/${ns}/deployments/fib/scale`),
      fault: { kind: 'reset', afterBytes: 20 },
    });
    const r = await run(path);
    assert.equal(r.code, 0, messages(r.stderr));
    await agree(ns, 3, 1);
  });

  it('SIGTERM while the ConfigMap read meets 503s: exit 143 within 2 s, nothing written or applied', async () => {
    // retryFor 30 s: the retries alone would outlast the signal by far; the wait between them must end on it.
    const { ns, path } = await scene({ retryFor: '30s' });
    const reads = new RegExp(`/namespaces/${ns}/configmaps/`);
    proxy.inject({
      method: 'GET',
      path: reads,
      times: Infinity,
      fault: answers.kubeStatus(503, 'ServiceUnavailable', 'etcd'),
    });
    const started = Date.now();
    // 1 s in, and only once the read has met a 503 (so the run is in the retries, not starting up).
    const when = (): boolean =>
      Date.now() - started >= 1000 && proxy.log.some((e) => reads.test(e.path) && e.fault === 'status');
    const { code, tookMs, stderr } = await sigtermWhen(path, when);
    assert.equal(code, 143, messages(stderr));
    assert.ok(tookMs < 2000, `took ${tookMs} ms to stop after the signal`);
    assert.match(messages(stderr), /interrupted by SIGTERM .*: no decision made; nothing written, nothing applied/);
    assert.doesNotMatch(stderr, /TARGET_ERROR|STATE_ERROR/);
    const writes = proxy.log.filter((e) => e.method !== 'GET' && e.path.includes(`/namespaces/${ns}/`));
    assert.deepEqual(writes, [], 'no state write, no scale');
    await agree(ns, 2, 0);
  });

  it('SIGTERM while the scale PATCH meets 503s: the apply cut, the claim put back within the grace, exit 1', async () => {
    // retryFor 30 s: without the grace the apply would retry past the pod's SIGKILL; a 4 s grace cuts it at 1.5 s.
    const { ns, path } = await scene({ retryFor: '30s', grace: '4s' });
    const scale = new RegExp(`/namespaces/${ns}/deployments/fib/scale`);
    proxy.inject({
      method: 'PATCH',
      path: scale,
      times: Infinity,
      fault: answers.kubeStatus(503, 'ServiceUnavailable', 'etcd'),
    });
    // Once the state is claimed and the PATCH has met a 503: the run is in the apply's retries.
    const when = (): boolean =>
      proxy.log.some((e) => e.method === 'PATCH' && scale.test(e.path) && e.fault === 'status');
    const { code, tookMs, stderr } = await sigtermWhen(path, when);
    assert.equal(code, 1, messages(stderr));
    assert.ok(tookMs < 4000, `took ${tookMs} ms after the signal, past its 4 s grace`);
    assert.match(messages(stderr), /the apply was cut short: the run was interrupted after its decision was claimed/);
    await agree(ns, 2, 0); // the claim put back: no decision recorded, the replicas unchanged
  });
  it('SIGTERM while the claim (the state ConfigMap write) meets 503s: cut within the grace, nothing applied, exit 1', async () => {
    // retryFor 30 s: the claim's retries alone would outlast the pod's SIGKILL; a 3 s grace cuts them at 0.5 s.
    const { ns, path } = await scene({ retryFor: '30s', grace: '3s' });
    const writes = new RegExp(`/namespaces/${ns}/configmaps`);
    proxy.inject({
      method: 'POST', // no record yet: the claim creates the ConfigMap
      path: writes,
      times: Infinity,
      fault: answers.kubeStatus(503, 'ServiceUnavailable', 'etcd'),
    });
    // Once the claim has met a 503: the run is in its retries.
    const when = (): boolean =>
      proxy.log.some((e) => e.method === 'POST' && writes.test(e.path) && e.fault === 'status');
    const { code, tookMs, stderr } = await sigtermWhen(path, when);
    assert.equal(code, 1, messages(stderr));
    assert.ok(tookMs < 3000, `took ${tookMs} ms after the signal, past its 3 s grace`);
    assert.match(
      messages(stderr),
      /configmap kf\d+\/latency-scaler-deployment-fib: the claim was cut short: .*within 3\.0 s of the signal .*nothing applied/,
    );
    assert.deepEqual(patches(ns), [], 'no scale patch');
    await agree(ns, 2, 0);
  });
});
