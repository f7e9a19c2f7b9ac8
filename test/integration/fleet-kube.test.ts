// A fleet as jobs/fleet/ deploys it (DESIGN §7), on the test cluster (real kube-apiserver, Job
// controller, scheduler, kwok): 20 Deployments in 3 namespaces, plus one member whose target is in a
// 4th namespace that the generated RBAC does not cover (its configuration is in the ConfigMap, its Role
// nowhere: `manifests` was given only the 20). The overlay is rendered by kustomize with these members
// and the Roles `manifests` writes, and applied; a Job is made from the CronJob's jobTemplate (as
// `kubectl create job --from=cronjob/latency-scaler` does: the schedule would cost up to a minute's
// wait); its two pods are played by the bundle as the CronJob test plays one — the pod's
// ServiceAccount token, args and env (JOB_COMPLETION_INDEX's fieldRef resolved as the kubelet does), the
// ConfigMap's keys written as the volume mounts them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { startKube, type KubeCluster } from '../harness/kube.ts';
import { kustomizeBuild } from '../harness/kustomize.ts';
import { messages, runBundle, type CliResult } from '../helpers/cli.ts';
import { create, deployment, namespace, replicasOf, settle, until } from '../helpers/kube-objects.ts';
import { slow, type TestServer } from '../helpers/servers.ts';

const APPS = { apiVersion: 'apps/v1', kind: 'Deployment' };
const JOB_NS = 'latency-scaler'; // the overlay's
const NAMESPACES = ['fleet-shop', 'fleet-catalog', 'fleet-media'];
const OUTSIDE = { ns: 'fleet-outside', name: 'stray' };
let kube: KubeCluster;
let service: TestServer;
let dir: string;

before(async () => {
  kube = await startKube();
  service = await slow(30); // over the 0.001 ms target however busy the machine: every member breaches
  dir = mkdtempSync(join(tmpdir(), 'scaler-fleet-kube-'));
});
after(async () => {
  await service?.close();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A member whose target always breaches (mean ≤ 0.001 ms against a 30 ms service): it scales up. */
const member = (ns: string, name: string): string => `target: { kind: Deployment, name: ${name}, namespace: ${ns} }
replicas: { min: 1, max: 10 }
loadTest: { host: ${service.url}, users: 2, duration: 1s, requests: [{ method: GET, path: / }] }
targets: [{ method: GET, endpoint: /, type: mean, target: 0.001 }]
state: { store: configmap }
`;

interface Line {
  source?: string;
  exitCode: number;
  reason?: string;
  message?: string;
  error?: string;
  summary?: string;
}
const linesOf = (r: CliResult): Line[] =>
  r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
/** `/tmp/…/shop.yaml#3` → `shop.yaml#3`: each pod mounts the ConfigMap in its own directory. */
const sourceOf = (l: Line): string => basename(l.source!);

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any; // an API object as the server returns it

describe('jobs/fleet/ on the test cluster: an Indexed Job of two shards', () => {
  it('shards decide each member once; the one outside the RBAC: 403 forbidden, its shard alone non-zero', async () => {
    // 20 targets over 3 namespaces, and the stray one in a 4th.
    for (const ns of [...NAMESPACES, OUTSIDE.ns]) await namespace(kube, ns);
    const targets = Array.from({ length: 20 }, (_, i) => ({ ns: NAMESPACES[i % 3]!, name: `svc-${i}` }));
    for (const t of [...targets, OUTSIDE]) await create(kube, [deployment(t.name, 1)], t.ns);
    await Promise.all([...targets, OUTSIDE].map((t) => settle(kube, APPS, t.ns, t.name)));

    // The overlay, laid out as in the repository, its member files (the names its configMapGenerator
    // lists) holding these members; its rbac.yaml from `manifests` on the 20 only.
    const root = join(dir, 'repo');
    cpSync('jobs/base', join(root, 'jobs/base'), { recursive: true });
    mkdirSync(join(root, 'jobs/fleet/members'), { recursive: true });
    for (const f of ['kustomization.yaml', 'namespace.yaml'])
      copyFileSync(join('jobs/fleet', f), join(root, 'jobs/fleet', f));
    const kustomization = load(readFileSync('jobs/fleet/kustomization.yaml', 'utf8')) as {
      configMapGenerator: { files: string[] }[];
    };
    const files = kustomization.configMapGenerator[0]!.files;
    const docs = files.map((_, j) => targets.filter((_, i) => i % files.length === j).map((t) => member(t.ns, t.name)));
    const rbacInput = join(dir, 'rbac-input');
    mkdirSync(rbacInput);
    files.forEach((f, j) => writeFileSync(join(rbacInput, basename(f)), docs[j]!.join('---\n')));
    docs[0]!.push(member(OUTSIDE.ns, OUTSIDE.name)); // in the ConfigMap, not in the RBAC
    files.forEach((f, j) => writeFileSync(join(root, 'jobs/fleet', f), docs[j]!.join('---\n')));
    const generated = await runBundle(['manifests', '-c', rbacInput, '--namespace', JOB_NS]);
    assert.equal(generated.code, 0, messages(generated.stderr));
    writeFileSync(join(root, 'jobs/fleet/rbac.yaml'), generated.stdout);
    const expected = files.flatMap((f, j) => docs[j]!.map((_, k) => `${basename(f)}#${k + 1}`)).sort();
    const outsideSource = `${basename(files[0]!)}#${docs[0]!.length}`;

    // Rendered as `kubectl apply -k` would, and applied: each object in its own namespace.
    const objs = (loadAll(kustomizeBuild(join(root, 'jobs/fleet'))) as (Obj | null)[]).filter((o): o is Obj => !!o);
    const kinds = new Set(objs.map((o) => o.kind));
    for (const k of ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'CronJob'])
      assert.ok(kinds.has(k), k);
    assert.ok(
      !objs.some((o) => o.kind === 'Role' && o.metadata.namespace === OUTSIDE.ns),
      'no Role where the stray is',
    );
    for (const o of objs) await create(kube, [o], o.metadata.namespace ?? '');

    // A Job from the CronJob's template, as `kubectl create job --from=cronjob/…` makes it.
    const cron = objs.find((o) => o.kind === 'CronJob') as Json;
    const jobName = 'latency-scaler-manual';
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: jobName, annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' } },
      spec: cron.spec.jobTemplate.spec,
    };
    await create(kube, [job as Obj], JOB_NS);
    const podsPath = `/api/v1/namespaces/${JOB_NS}/pods?labelSelector=job-name%3D${jobName}`;
    const pods: Json[] = await until('both shards’ pods Running', async () => {
      const items = (await kube.api('GET', podsPath)).body.items as Json[];
      return items.length === 2 && items.every((p) => p.status?.phase === 'Running') ? items : undefined;
    });

    // Each pod's container, played: its args and env (JOB_COMPLETION_INDEX from the pod's label or
    // annotation, as the kubelet resolves the Job controller's fieldRef), its token, its ConfigMap as files.
    const play = async (pod: Json): Promise<{ index: string; r: CliResult }> => {
      const container = pod.spec.containers[0];
      const index = pod.metadata.annotations['batch.kubernetes.io/job-completion-index'] as string;
      const env: Record<string, string> = {};
      for (const e of container.env as Json[]) {
        if (e.value !== undefined) env[e.name] = e.value;
        else if (e.valueFrom?.fieldRef) {
          const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(e.valueFrom.fieldRef.fieldPath);
          assert.ok(m, `a fieldRef the test resolves: ${e.valueFrom.fieldRef.fieldPath}`);
          env[e.name] = pod.metadata[m[1]!][m[2]!];
        }
      }
      assert.equal(env['JOB_COMPLETION_INDEX'], index);
      assert.equal(env['SCALER_SHARDS'], '2');
      delete env['NODE_COMPILE_CACHE']; // the image's cache directory does not exist here
      const mount = container.volumeMounts.find((m: Json) => m.mountPath === '/etc/latency-scaler');
      const volume = pod.spec.volumes.find((v: Json) => v.name === mount.name);
      const cm = (await kube.api('GET', `/api/v1/namespaces/${JOB_NS}/configmaps/${volume.configMap.name}`)).body;
      const etc = join(dir, `pod-${index}`, 'etc-latency-scaler');
      mkdirSync(etc, { recursive: true });
      for (const [key, text] of Object.entries(cm.data as Record<string, string>)) writeFileSync(join(etc, key), text);
      const args = (container.args as string[]).map((a) => a.replace(/^\/etc\/latency-scaler/, etc));
      assert.deepEqual(container.args, ['run', '--config', '/etc/latency-scaler/']);
      const token = await kube.tokenFor(JOB_NS, pod.spec.serviceAccountName);
      const r = await runBundle(args, {
        env: { ...env, KUBECONFIG: kube.kubeconfigForToken(token, JOB_NS) },
        timeoutMs: 120_000,
      });
      return { index, r };
    };
    const shards = (await Promise.all(pods.map(play))).map((s) => ({ ...s, lines: linesOf(s.r) }));

    // Every member decided exactly once, by one of the two shards, each with at least one.
    const seen = shards.flatMap(({ lines }) => lines.filter((l) => l.source).map(sourceOf)).sort();
    assert.deepEqual(seen, expected, shards.map(({ r }) => messages(r.stderr)).join('\n'));
    for (const { lines } of shards)
      assert.ok(
        lines.some((l) => l.source),
        'each shard has members',
      );

    // The stray: a 403 said in words; every other member scaled up.
    const all = shards.flatMap(({ lines }) => lines);
    const stray = all.find((l) => l.source && sourceOf(l) === outsideSource)!;
    assert.notEqual(stray.exitCode, 0);
    assert.match(
      stray.error ?? '',
      new RegExp(`forbidden: the service account may not get \\w+ .* in namespace ${OUTSIDE.ns}`),
    );
    for (const l of all.filter((x) => x.source && x !== stray)) {
      assert.equal(l.exitCode, 0, `${l.source}: ${l.error ?? l.message}`);
      assert.equal(l.reason, 'TargetBreached', l.message);
      assert.match(l.message!, /^scale up 1→2/);
    }

    // A shard exits with the worst of its members: the stray's shard 1 (a runtime failure), the other 0.
    for (const { r, lines } of shards) {
      const summary = lines.at(-1)!;
      const holdsStray = lines.includes(stray);
      assert.equal(r.code, holdsStray ? 1 : 0, `${summary.summary}\n${messages(r.stderr)}`);
      assert.equal(summary.exitCode, r.code);
      assert.match(summary.summary!, holdsStray ? /^\d+ decided, 1 failed: .*forbidden/ : /^\d+ decided$/);
    }

    // The cluster: each of the 20 scaled once and its state in its own namespace; the stray untouched.
    for (const t of targets) {
      assert.equal(await replicasOf(kube, APPS, t.ns, t.name), 2, `${t.ns}/${t.name}`);
      const state = await kube.api('GET', `/api/v1/namespaces/${t.ns}/configmaps/latency-scaler-deployment-${t.name}`);
      assert.equal(state.status, 200);
      assert.equal(JSON.parse(state.body.data['state.json']).history.length, 1, `${t.ns}/${t.name}`);
    }
    assert.equal(await replicasOf(kube, APPS, OUTSIDE.ns, OUTSIDE.name), 1);
    const strayState = `/api/v1/namespaces/${OUTSIDE.ns}/configmaps/latency-scaler-deployment-${OUTSIDE.name}`;
    assert.equal((await kube.api('GET', strayState)).status, 404);

    // The Job: the failed shard fails its own index only (backoffLimitPerIndex: 0); the other pod is left
    // to finish, and its index completes. kwok ends a pod only with exit 0: the failure is written as
    // the kubelet would report it.
    const bad = shards.find(({ r }) => r.code !== 0)!;
    const good = shards.find(({ r }) => r.code === 0)!;
    const podOf = (index: string) =>
      pods.find((p) => p.metadata.annotations['batch.kubernetes.io/job-completion-index'] === index);
    const now = new Date().toISOString();
    const failed = {
      status: {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'scaler',
            image: podOf(bad.index).spec.containers[0].image,
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: bad.r.code, reason: 'Error', startedAt: now, finishedAt: now } },
          },
        ],
      },
    };
    const badPath = `/api/v1/namespaces/${JOB_NS}/pods/${podOf(bad.index).metadata.name}`;
    const patched = await kube.api('PATCH', `${badPath}/status`, failed, 'application/merge-patch+json');
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const jobPath = `/apis/batch/v1/namespaces/${JOB_NS}/jobs/${jobName}`;
    await until('the failed index counted', async () =>
      (await kube.api('GET', jobPath)).body.status?.failedIndexes === bad.index ? 1 : undefined,
    );
    const goodPath = `/api/v1/namespaces/${JOB_NS}/pods/${podOf(good.index).metadata.name}`;
    const goodPod = (await kube.api('GET', goodPath)).body;
    assert.equal(goodPod.status.phase, 'Running', 'the other shard is not stopped');
    assert.equal(goodPod.metadata.deletionTimestamp, undefined, 'the other shard is not stopped');
    const exited = { metadata: { annotations: { 'test.latency-scaler.io/exited': '0' } } };
    assert.equal((await kube.api('PATCH', goodPath, exited, 'application/merge-patch+json')).status, 200);
    const done = await until('the Job finished', async () => {
      const s = (await kube.api('GET', jobPath)).body.status;
      return s?.conditions?.some((c: Json) => c.type === 'Failed' && c.status === 'True') ? s : undefined;
    });
    assert.equal(done.completedIndexes, good.index);
    assert.equal(done.failedIndexes, bad.index);
  });
});
