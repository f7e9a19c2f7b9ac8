// `init`, tried as a new user would, on the real control plane (test/harness/kube.ts) through the bundle:
// it refuses a baseline that failed instead of writing targets from failures; what it writes deploys as
// written (the overlay's RBAC covers the store the CronJob's pod uses); a missing workload is said as `run`
// says it; its advice works from where it is read; it reads a webhook's replicas; it keeps files edited by
// hand; and its API calls have run's timeout and Ctrl-C.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { kustomizeBuild } from '../harness/kustomize.ts';
import { startKube, type KubeCluster } from '../harness/kube.ts';
import { BUNDLE, messages, runBundle } from '../helpers/cli.ts';
import { create, deployment, namespace } from '../helpers/kube-objects.ts';
import { startScaleServer, startService, type CountingService, type ScaleServer } from '../helpers/scale-server.ts';

type Rendered = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { resources: string[]; resourceNames?: string[]; verbs: string[] }[];
  data?: Record<string, string>;
};

let kube: KubeCluster;
let service: CountingService;
let dir: string;

before(async () => {
  kube = await startKube();
  service = await startService(5);
  dir = mkdtempSync(join(tmpdir(), 'scaler-init-'));
});
after(async () => {
  await service?.close();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const JOBS = resolve('jobs/base');

/** A Deployment `web` and the Service `web-svc` (port 8080) that selects its pods, in a new namespace. */
async function workload(name: string, replicas = 2): Promise<string> {
  const ns = await namespace(kube, name);
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web-svc' },
    spec: { selector: { app: 'web' }, ports: [{ port: 8080 }] },
  };
  await create(kube, [deployment('web', replicas), svc], ns);
  return ns;
}

const admin = (): Record<string, string> => ({ KUBECONFIG: kube.kubeconfigPath });

/**
 * The CronJob's pod, played: its ServiceAccount's token and a pod's environment (KUBERNETES_SERVICE_HOST,
 * so the store is the one a pod picks), the config from the overlay's rendered ConfigMap. No cluster DNS
 * here: the load goes to the test's service.
 */
async function playPod(rendered: Rendered[], ns: string, cwd: string) {
  const config = join(cwd, 'pod-scaler.yaml');
  writeFileSync(config, rendered.find((o) => o.metadata.name === 'latency-scaler-config')!.data!['scaler.yaml']!);
  const token = await kube.tokenFor(ns, 'latency-scaler');
  const env = { KUBECONFIG: kube.kubeconfigForToken(token, ns), KUBERNETES_SERVICE_HOST: '10.0.0.1' };
  const args = ['run', '-c', config, '-o', 'json', '--set', `loadTest.host=${service.url}`];
  return runBundle(args, { env, cwd, timeoutMs: 60_000 });
}

/** The overlay as `kubectl apply -k` would create it (the CronJob left out: the test plays its pod). */
async function applyOverlay(overlay: string, ns: string): Promise<Rendered[]> {
  const rendered = loadAll(kustomizeBuild(overlay)) as Rendered[];
  await create(kube, rendered.filter((o) => o.kind !== 'CronJob') as never, ns);
  return rendered;
}

async function stateOf(ns: string, name: string): Promise<{ history: { reason: string }[] } | undefined> {
  const r = await kube.api('GET', `/api/v1/namespaces/${ns}/configmaps/${name}`);
  return r.status === 200 && r.body.data?.['state.json'] ? JSON.parse(r.body.data['state.json']) : undefined;
}

describe('init, as a new user runs it', () => {
  it('from outside the cluster without --host: exit 1, the DNS failure in words and the port-forward; nothing written', async () => {
    const ns = await workload('init-dns');
    const out = join(dir, 'dns.yaml');
    const args = ['init', 'deployment/web', '-n', ns, '--path', '/fib', '--duration', '1s', '--out', out];
    const r = await runBundle(args, { env: admin(), timeoutMs: 60_000 });
    const said = messages(r.stderr);
    assert.equal(r.code, 1, said + r.stdout);
    const url = `http://web-svc\\.${ns}\\.svc:8080/fib`;
    assert.match(
      said,
      new RegExp(`init measured no baseline: (\\d+) of \\1 requests to ${url} failed \\(unknown host`),
    );
    assert.match(said, /is the Service's cluster address: it resolves and answers only inside the cluster/);
    assert.match(said, new RegExp(`kubectl port-forward svc/web-svc 8080:8080 -n ${ns} & then the same init`));
    assert.match(said, /--host http:\/\/127\.0\.0\.1:8080\. Nothing was written\./);
    assert.ok(!existsSync(out), 'no targets written from failures');
  });

  it('a baseline the service mostly fails (HTTP 503): exit 1, never a target from the failures', async () => {
    const ns = await workload('init-503');
    let n = 0;
    const flaky = createHttpServer((_req, res) => res.writeHead(n++ % 2 ? 503 : 200).end('x'));
    const url = await listen(flaky);
    const out = join(dir, 'flaky.yaml');
    const args = ['init', 'deployment/web', '-n', ns, '--host', url, '--duration', '1s', '--out', out];
    const r = await runBundle(args, { env: admin(), timeoutMs: 60_000 }).finally(() => close(flaky));
    assert.equal(r.code, 1, messages(r.stderr));
    assert.match(messages(r.stderr), /requests to http:\/\/127\.0\.0\.1:\d+\/ failed \(HTTP 503 ×\d+/);
    assert.match(messages(r.stderr), /the service answered, with errors: a target is written only from a baseline/);
    assert.ok(!existsSync(out));
  });

  it("writes what deploys: the overlay's Role covers the state ConfigMap, the pod's first run records there; the file run by hand reads that record", async () => {
    const ns = await workload('init-deploys');
    const work = mkdtempSync(join(dir, 'deploys-'));
    const out = join(work, 'scaler.yaml');
    const overlay = join(work, 'overlay');
    const args = ['init', 'deployment/web', '-n', ns, '--host', service.url, '--path', '/fib', '--duration', '1s'];
    const r = await runBundle([...args, '--out', out, '--overlay', overlay, '--jobs', JOBS], {
      env: admin(),
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, messages(r.stderr));
    const yaml = readFileSync(out, 'utf8');
    assert.match(yaml, /^state: \{ store: configmap \}$/m);
    // The advice works from where the file is read: the dry run goes through the same --host.
    const advice = `latency-scaler run -c ${out} --dry-run --host ${service.url}`;
    assert.ok(yaml.includes(`\`${advice}\``), yaml.split('\n').slice(0, 6).join('\n'));

    const rendered = await applyOverlay(overlay, ns);
    const role = rendered.find((o) => o.kind === 'Role')!;
    const cm = 'latency-scaler-deployment-web';
    assert.deepEqual(
      role.rules!.find((x) => x.resources.includes('configmaps')),
      { apiGroups: [''], resources: ['configmaps'], resourceNames: [cm], verbs: ['get', 'update'] },
    );
    assert.ok(
      rendered.some((o) => o.kind === 'ConfigMap' && o.metadata.name === cm),
      'shipped empty: no create',
    );

    // Without that rule, the 403 names every verb the store needs (update too, and how to create it).
    const without = { ...role, rules: role.rules!.filter((x) => !x.resources.includes('configmaps')) };
    const roleUrl = `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/${role.metadata.name}`;
    assert.equal((await kube.api('PUT', roleUrl, without)).status, 200);
    const denied = await playPod(rendered, ns, work);
    assert.equal(denied.code, 1);
    const hint = messages(denied.stderr);
    assert.match(hint, new RegExp(`may not get configmaps ${cm} in namespace ${ns}`));
    assert.match(hint, /resources: \["configmaps"\]\n {2}verbs: \["get", "update"\]\n {2}resourceNames: \[/);
    assert.match(hint, new RegExp(`create it empty once \\(kubectl create configmap ${cm} -n ${ns};`));
    assert.equal((await kube.api('PUT', roleUrl, { ...role, metadata: { ...role.metadata } })).status, 200);

    const pod = await playPod(rendered, ns, work);
    assert.equal(pod.code, 0, messages(pod.stderr));
    const decided = JSON.parse(pod.stdout) as { message: string };
    assert.equal((await stateOf(ns, cm))?.history.length, 1, "the pod's record, in the ConfigMap");

    // The person at the laptop, with the file init wrote: the same record, not one of its own.
    const hand = await runBundle(['status', '-c', out, '-o', 'json'], { env: admin(), cwd: work });
    assert.equal(hand.code, 0, messages(hand.stderr));
    const [row] = JSON.parse(hand.stdout) as { state: string; lastDecision: string }[];
    assert.deepEqual(row, { ...row, state: `configmap ${ns}/${cm}`, lastDecision: decided.message });
    const dry = await runBundle([...advice.split(' ').slice(1), '-o', 'json'], { env: admin(), cwd: work });
    assert.equal(dry.code, 0, messages(dry.stderr));
    assert.ok(!existsSync(join(work, '.latency-scaler')), 'no second record on the laptop');
  });

  it("a workload that does not exist: run's words (the name, the namespace, the kubectl to check), not the client's dump", async () => {
    const ns = await workload('init-missing');
    const r = await runBundle(['init', 'deployment/nope', '-n', ns, '--out', join(dir, 'nope.yaml')], {
      env: admin(),
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 1);
    const said = messages(r.stderr);
    assert.match(said, new RegExp(`Deployment "nope" not found in namespace "${ns}": check the name and -n`));
    assert.match(said, new RegExp(`\\(kubectl get deployments -n ${ns}\\)`));
    assert.doesNotMatch(said, /HTTP-Code|Unknown API Status Code|Headers/);
  });

  it('--overlay outside the checkout: exit 2 naming --jobs, before any load; nothing written', async () => {
    const ns = await workload('init-outside');
    const away = mkdtempSync(join(dir, 'away-'));
    const hits = service.requests;
    const args = ['init', 'deployment/web', '-n', ns, '--host', service.url, '--overlay', 'overlay'];
    const r = await runBundle(args, { env: admin(), cwd: away });
    assert.equal(r.code, 2, messages(r.stderr));
    assert.match(messages(r.stderr), /--jobs: "jobs\/base" \(.*\/jobs\/base\) holds no kustomization\.yaml/);
    assert.match(messages(r.stderr), /pass --jobs with the path of the project's jobs\/base/);
    assert.equal(service.requests, hits, 'no load');
    assert.ok(!existsSync(join(away, 'overlay')) && !existsSync(join(away, 'scaler.yaml')));
  });

  it('--overlay DIR keeps files edited by hand: exit 2 naming them unless --force', async () => {
    const ns = await workload('init-keeps');
    const work = mkdtempSync(join(dir, 'keeps-'));
    const overlay = join(work, 'overlay');
    mkdirSync(overlay);
    const edited = '# my own edits\n';
    writeFileSync(join(overlay, 'kustomization.yaml'), edited);
    writeFileSync(join(overlay, 'rbac.yaml'), edited);
    const hits = service.requests;
    const args = ['init', 'deployment/web', '-n', ns, '--host', service.url, '--duration', '1s'];
    const withOverlay = [...args, '--out', join(work, 'a.yaml'), '--overlay', overlay, '--jobs', JOBS];
    const r = await runBundle(withOverlay, { env: admin(), timeoutMs: 60_000 });
    assert.equal(r.code, 2, messages(r.stderr));
    const files = `${join(overlay, 'rbac.yaml')}, ${join(overlay, 'kustomization.yaml')}`;
    assert.match(messages(r.stderr), new RegExp(`--overlay: ${escape(files)} exist; pass --force to replace them`));
    assert.equal(readFileSync(join(overlay, 'kustomization.yaml'), 'utf8'), edited);
    assert.equal(service.requests, hits, 'no load');
    const forced = await runBundle([...withOverlay, '--force'], { env: admin(), timeoutMs: 60_000 });
    assert.equal(forced.code, 0, messages(forced.stderr));
    assert.match(readFileSync(join(overlay, 'kustomization.yaml'), 'utf8'), /kind: Kustomization/);
  });

  it('init <webhook>: reads its replicas (a pool of 20 is no pool of 1); in a cluster its record is a ConfigMap', async () => {
    const pool: ScaleServer = await startScaleServer(20);
    const work = mkdtempSync(join(dir, 'hook-'));
    const ns = await namespace(kube, 'init-hook');
    try {
      const out = join(work, 'scaler.yaml');
      const overlay = join(work, 'overlay');
      const hook = pool.url;
      const args = ['init', hook, '-n', ns, '--host', service.url, '--duration', '1s', '--out', out];
      const r = await runBundle([...args, '--overlay', overlay, '--jobs', JOBS], { env: admin(), timeoutMs: 60_000 });
      assert.equal(r.code, 0, messages(r.stderr));
      assert.ok(pool.reads > 0, 'the webhook was read');
      const yaml = readFileSync(out, 'utf8');
      assert.match(yaml, /replicas: \{ min: 1, max: 80 \} # the workload runs 20 now/);
      assert.doesNotMatch(yaml, /^state:/m, 'by hand, a webhook keeps its record in a file');
      // Its own next step: no scale down 20→4.
      const dry = await runBundle(['run', '-c', out, '--dry-run', '-o', 'json'], { cwd: work, timeoutMs: 60_000 });
      assert.equal(dry.code, 0, messages(dry.stderr));
      assert.match((JSON.parse(dry.stdout) as { message: string }).message, /^(hold at 20|scale up 20→)/);

      // The overlay: the CronJob's pod keeps the record in a ConfigMap the overlay ships and its Role covers.
      const inCluster = readFileSync(join(overlay, 'scaler.yaml'), 'utf8');
      const cm = /^state: \{ store: configmap, name: (latency-scaler-http-[a-z0-9.-]+), namespace: (\S+) \}$/m.exec(
        inCluster,
      );
      assert.ok(cm, inCluster);
      assert.equal(cm[2], ns);
      const rendered = await applyOverlay(overlay, ns);
      const rule = rendered.find((o) => o.kind === 'Role')!.rules!.find((x) => x.resources.includes('configmaps'));
      assert.deepEqual(rule?.resourceNames, [cm[1]]);
      const pod = await playPod(rendered, ns, work);
      assert.equal(pod.code, 0, messages(pod.stderr));
      assert.equal((await stateOf(ns, cm[1]!))?.history.length, 1, "the pod's record outlives the pod");
    } finally {
      await pool.close();
    }
  });

  it("init KIND/NAME: the API calls have run's api.timeout, and the first Ctrl-C ends it (exit 130)", async () => {
    const hang = await hangingServer();
    const kubeconfig = join(dir, 'hanging-kubeconfig.json');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'h', cluster: { server: `https://127.0.0.1:${hang.port}` } }],
        users: [{ name: 'h', user: { token: 't' } }],
        contexts: [{ name: 'h', context: { cluster: 'h', user: 'h' } }],
        'current-context': 'h',
      }),
    );
    try {
      const limits = ['--set', 'api.timeout=500ms', '--set', 'api.retryFor=1s'];
      const started = Date.now();
      const r = await runBundle(['init', 'deployment/web', '-n', 'x', '--out', join(dir, 'h.yaml'), ...limits], {
        env: { KUBECONFIG: kubeconfig },
        timeoutMs: 20_000,
      });
      assert.equal(r.code, 1, messages(r.stderr));
      assert.match(messages(r.stderr), /the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: no answer within 0\.5 s/);
      assert.ok(Date.now() - started < 8_000, `bounded by api.timeout and api.retryFor: ${Date.now() - started} ms`);

      const before = hang.connections;
      const child = spawn(
        process.execPath,
        [BUNDLE, 'init', 'deployment/web', '-n', 'x', '--out', join(dir, 'i.yaml')],
        {
          env: { PATH: process.env['PATH'], KUBECONFIG: kubeconfig },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (c) => (stderr += c));
      await until(() => hang.connections > before); // discovery has started: the handlers are set
      const signalled = Date.now();
      child.kill('SIGINT');
      const code = await new Promise<number | null>((res) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.on('close', (c) => (clearTimeout(timer), res(c)));
      });
      assert.equal(code, 130, `the first Ctrl-C ends it: ${messages(stderr)}`);
      assert.ok(Date.now() - signalled < 3_000);
      assert.match(messages(stderr), /interrupted by SIGINT/);
    } finally {
      await hang.close();
    }
  });
});

function listen(server: HttpServer): Promise<string> {
  return new Promise((res) =>
    server.listen(0, '127.0.0.1', () => res(`http://127.0.0.1:${(server.address() as { port: number }).port}`)),
  );
}

function close(server: HttpServer | Server): Promise<void> {
  return new Promise((res) => server.close(() => res()));
}

/** Accepts connections and never answers (a TLS handshake that never completes). */
async function hangingServer(): Promise<{ port: number; connections: number; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const state = { connections: 0 };
  const server = createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as { port: number }).port;
  return Object.assign(state, {
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      return close(server);
    },
  });
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('waited too long');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
