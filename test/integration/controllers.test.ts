// The scaler against real controllers (test/harness/kube.ts): kube-controller-manager and
// kube-scheduler move a Deployment's status as in a cluster, kwok makes its pods Ready after a delay.
// What depends on them: NotSettled holds while new pods start, a rollout holds, settle.timeout ends
// the wait, and the CronJob from jobs/ creating its Jobs, whose pods are played by running the bundle
// with the Job's service-account token and environment.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { slow, type TestServer } from '../helpers/servers.ts';

const APPS = { apiVersion: 'apps/v1', kind: 'Deployment' };
let kube: KubeCluster;
let service: TestServer;
let dir: string;

before(async () => {
  kube = await startKube();
  service = await slow(30); // long enough that a busy machine's event-loop delay is no material part of it
  dir = mkdtempSync(join(tmpdir(), 'scaler-controllers-'));
});
after(async () => {
  await service?.close();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A config whose target always breaches (mean ≤ 0.001 ms), so every settled run scales up. */
function config(ns: string, name: string, settleTimeout = '5m'): string {
  const path = join(dir, `${ns}.yaml`);
  writeFileSync(
    path,
    `target: { kind: Deployment, apiVersion: apps/v1, name: ${name}, namespace: ${ns} }
replicas: { min: 1, max: 10 }
loadTest: { host: ${service.url}, users: 2, duration: 1s, requests: [{ method: GET, path: / }] }
targets: [{ method: GET, endpoint: /, type: mean, target: 0.001 }]
settle: { timeout: ${settleTimeout} }
state: { store: configmap }
`,
  );
  return path;
}

async function run(path: string): Promise<{ reason: string; message: string }> {
  const r = await runBundle(['run', '-c', path, '-o', 'json'], {
    env: { KUBECONFIG: kube.kubeconfigPath },
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 0, messages(r.stderr));
  return JSON.parse(r.stdout);
}

const status = async (ns: string, name: string) =>
  (await kube.api('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`)).body.status ?? {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('with kube-controller-manager, kube-scheduler and kwok', () => {
  it('a scale-up whose new pod takes 20 s to become Ready is answered by NotSettled holds, not a second scale-up', async () => {
    const ns = await namespace(kube, 'slow-ready');
    await create(kube, [deployment('fib', 2, 'Deployment', '20s')], ns);
    await settle(kube, APPS, ns, 'fib'); // the first two pods: Ready after 20 s too
    const path = config(ns, 'fib');
    const up = await run(path);
    assert.equal(up.reason, 'TargetBreached');
    assert.match(up.message, /^scale up 2→3/);
    const scaledAt = Date.now();
    // Every run while the third pod starts holds, breach or not.
    const holds: string[] = [];
    while (Date.now() - scaledAt < 14_000) {
      const held = await run(path);
      assert.equal(held.reason, 'NotSettled', held.message);
      holds.push(held.message);
      assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 3);
    }
    assert.ok(holds.length >= 2, `${holds.length} holds`);
    assert.match(holds[0]!, /not settled: 2 of 3 replicas ready/);
    // The controllers, not the test, say when it is ready: about 20 s after the pod was created.
    await settle(kube, APPS, ns, 'fib');
    const third = (await podsOf(kube, ns, 'fib')).at(-1)!;
    const readyAt = third.status.conditions.find((c: { type: string }) => c.type === 'Ready').lastTransitionTime;
    const took = Date.parse(readyAt) - Date.parse(third.metadata.creationTimestamp);
    assert.ok(took >= 19_000 && took < 30_000, `Ready after ${took} ms`);
    const next = await run(path);
    assert.equal(next.reason, 'TargetBreached', next.message);
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 4);
  });

  it('a rollout in progress holds', async () => {
    const ns = await namespace(kube, 'rollout');
    await create(kube, [deployment('web', 2)], ns);
    await settle(kube, APPS, ns, 'web');
    // A new version whose pods take a minute to become Ready: the rollout stays in progress.
    const template = {
      metadata: { annotations: { 'pod-ready.stage.kwok.x-k8s.io/delay': '60s' } },
      spec: { containers: [{ name: 'app', image: 'example.invalid/app:2' }] },
    };
    const path = `/apis/apps/v1/namespaces/${ns}/deployments/web`;
    const patched = await kube.api('PATCH', path, { spec: { template } }, 'application/strategic-merge-patch+json');
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await until('the new ReplicaSet has a pod', async () => ((await status(ns, 'web')).replicas > 2 ? 1 : undefined));
    const held = await run(config(ns, 'web'));
    assert.equal(held.reason, 'NotSettled');
    assert.match(held.message, /rollout in progress/);
    assert.equal(await replicasOf(kube, APPS, ns, 'web'), 2);
  });

  it('settle.timeout: a pod that never becomes Ready is waited for that long, then the breach scales up again', async () => {
    const ns = await namespace(kube, 'timeout');
    await create(kube, [deployment('stuck', 2, 'Deployment', '1h')], ns);
    await until('two pods, none Ready', async () => {
      const s = await status(ns, 'stuck');
      return s.replicas === 2 && (s.readyReplicas ?? 0) === 0 ? 1 : undefined;
    });
    const path = config(ns, 'stuck', '6s');
    // Not ready with no change in flight (overload failing readiness): a breach still scales up.
    assert.match((await run(path)).message, /^scale up 2→3/);
    const held = await run(path);
    assert.equal(held.reason, 'NotSettled');
    await sleep(6_500); // past settle.timeout, counted from that hold (the first run that found it unsettled)
    const after = await run(path);
    assert.equal(after.reason, 'TargetBreached', after.message);
    assert.equal(await replicasOf(kube, APPS, ns, 'stuck'), 4);
  });
});

describe('the CronJob from jobs/, applied unchanged', () => {
  it('creates a Job each minute, one at a time; its pod, played by the bundle with the Job’s token and env, scales', async () => {
    const ns = await namespace(kube, 'cron');
    const target = deployment('fibonacci', 1);
    await create(kube, [target], ns);
    await settle(kube, APPS, ns, 'fibonacci');
    const files = ['serviceaccount', 'rbac', 'state-configmap', 'config', 'cronjob'];
    const objs = files.flatMap((f) => manifests(`jobs/base/${f}.yaml`));
    await create(kube, objs, ns);
    const cronConfig = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'latency-scaler-config')!;
    const jobs = async () =>
      (await kube.api('GET', `/apis/batch/v1/namespaces/${ns}/jobs`)).body.items as {
        metadata: { name: string; creationTimestamp: string };
        status: { active?: number; succeeded?: number; failed?: number; conditions?: { type: string }[] };
      }[];
    let mostActive = 0;
    const watchJobs = async () => {
      const all = await jobs();
      mostActive = Math.max(mostActive, all.filter((j) => (j.status.active ?? 0) > 0).length);
      return all;
    };

    // The first Job, at the next minute; kwok schedules and starts its pod.
    const first = await until('the first Job', async () => (await watchJobs())[0], 75_000);
    const pod = await until('the first Job’s pod Running', async () => {
      const r = await kube.api('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=job-name%3D${first.metadata.name}`);
      const p = r.body.items[0];
      return p?.status?.phase === 'Running' ? p : undefined;
    });

    // The pod's container, played: its args and env, its ServiceAccount's token, its mounted config.
    const container = pod.spec.containers[0];
    assert.equal(pod.spec.serviceAccountName, 'latency-scaler');
    const token = await kube.tokenFor(ns, pod.spec.serviceAccountName);
    const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/etc/latency-scaler');
    assert.ok(mount, 'the config is mounted at /etc/latency-scaler');
    const configPath = join(dir, 'cron-scaler.yaml');
    writeFileSync(configPath, (cronConfig['data'] as Record<string, string>)['scaler.yaml']!);
    const args = (container.args as string[]).map((a) => (a === '/etc/latency-scaler/scaler.yaml' ? configPath : a));
    const env = Object.fromEntries((container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    delete env['NODE_COMPILE_CACHE']; // the image's cache directory does not exist here
    // No cluster DNS here: the Service name in the config becomes a test service answering in 20 ms,
    // over the config's 7 ms mean target.
    const fibonacci = await slow(20);
    // In the pod, the namespace comes from the service-account volume kwok does not mount: a flag here.
    const played = ['--set', `loadTest.host=${fibonacci.url}`, '--set', `target.namespace=${ns}`];
    const r = await runBundle([...args, ...played, '-o', 'json'], {
      env: { ...env, KUBECONFIG: kube.kubeconfigForToken(token, ns) },
      timeoutMs: 60_000,
    }).finally(() => fibonacci.close());
    assert.equal(r.code, 0, messages(r.stderr));
    const decision = JSON.parse(r.stdout);
    assert.equal(decision.reason, 'TargetBreached', decision.message);
    assert.equal(await replicasOf(kube, APPS, ns, 'fibonacci'), 2);
    const state = await kube.api('GET', `/api/v1/namespaces/${ns}/configmaps/latency-scaler-deployment-fibonacci`);
    assert.equal(JSON.parse(state.body.data['state.json']).history.length, 1);

    // The container exited 0: kwok completes the pod, the Job controller the Job.
    const podPath = `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`;
    const exited = { metadata: { annotations: { 'test.latency-scaler.io/exited': '0' } } };
    assert.equal((await kube.api('PATCH', podPath, exited, 'application/merge-patch+json')).status, 200);
    await until('the first Job complete', async () =>
      (await watchJobs()).find((j) => j.metadata.name === first.metadata.name)?.status.succeeded === 1 ? 1 : undefined,
    );

    // The second Job a minute after the first; it is left running: its deadline (55 s) stops it
    // before the third is due, so two never run at once.
    const second = await until(
      'the second Job',
      async () => (await watchJobs()).find((j) => j.metadata.name !== first.metadata.name),
      75_000,
    );
    // A CronJob's Job is named after its scheduled time, in minutes: the next minute's.
    const minute = (j: { metadata: { name: string } }) => Number(j.metadata.name.split('-').at(-1));
    assert.equal(minute(second) - minute(first), 1);
    await until(
      'the second Job stopped by its deadline',
      async () => {
        const j = (await watchJobs()).find((x) => x.metadata.name === second.metadata.name);
        return j?.status.conditions?.some((c) => c.type === 'Failed') ? j : undefined;
      },
      75_000,
    );
    assert.equal(mostActive, 1, 'never two Jobs at once');
  });
});
