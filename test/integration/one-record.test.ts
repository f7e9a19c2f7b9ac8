// One record per target, wherever the command runs from (DESIGN §5), on the real control plane through the
// bundle: a person's run, status, history and state show from a laptop read the ConfigMap the CronJob's pod
// writes; a record an earlier version kept in ./.latency-scaler/ is read until a run moves it there, said
// once; a file store set by hand for a cluster target says that the cluster holds another record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKube, type KubeCluster } from '../harness/kube.ts';
import { messages, runBundle } from '../helpers/cli.ts';
import { create, deployment, namespace, settle } from '../helpers/kube-objects.ts';
import { startScaleServer, startService, type CountingService } from '../helpers/scale-server.ts';

let kube: KubeCluster;
let service: CountingService;
let dir: string;

before(async () => {
  kube = await startKube();
  service = await startService(5);
  dir = mkdtempSync(join(tmpdir(), 'scaler-one-record-'));
});
after(async () => {
  await service?.close();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const APPS = { apiVersion: 'apps/v1', kind: 'Deployment' };

/** A settled Deployment `fib` in a new namespace, a working directory, and a scaler.yaml with no `state:`. */
async function setUp(name: string, state = ''): Promise<{ ns: string; work: string; config: string }> {
  const ns = await namespace(kube, name);
  await create(kube, [deployment('fib', 2)], ns);
  await settle(kube, APPS, ns, 'fib');
  const work = mkdtempSync(join(dir, `${name}-`));
  const config = join(work, 'scaler.yaml');
  writeFileSync(
    config,
    `target: { kind: Deployment, apiVersion: apps/v1, name: fib, namespace: ${ns} }
replicas: { min: 1, max: 5 }
loadTest: { host: ${service.url}, users: 2, duration: 1s, requests: [{ method: GET, path: /fib }] }
targets: [{ method: GET, endpoint: /fib, type: mean, target: 100000 }]
decay: { replicas: 1, unchangedRuns: 5 }
${state}`,
  );
  return { ns, work, config };
}

/** A person at a laptop: the admin kubeconfig, no pod environment, in the working directory. */
const laptop = (work: string, args: string[]) =>
  runBundle(args, { env: { KUBECONFIG: kube.kubeconfigPath }, cwd: work, timeoutMs: 60_000 });

/** The CronJob's pod (its environment says it is in a pod), run from a directory of its own. */
const pod = (config: string) =>
  runBundle(['run', '-c', config, '-o', 'json'], {
    env: { KUBECONFIG: kube.kubeconfigPath, KUBERNETES_SERVICE_HOST: '10.0.0.1' },
    cwd: mkdtempSync(join(dir, 'pod-')),
    timeoutMs: 60_000,
  });

async function recordOf(ns: string): Promise<{ history: { reason: string }[] } | undefined> {
  const r = await kube.api('GET', `/api/v1/namespaces/${ns}/configmaps/latency-scaler-deployment-fib`);
  return r.status === 200 && r.body.data?.['state.json'] ? JSON.parse(r.body.data['state.json']) : undefined;
}

const LEGACY = (ns: string) => join('.latency-scaler', `${ns}.deployment.fib.json`);

describe('one record per target, wherever the command runs from', () => {
  it('run, status, history and state show from a laptop read the record the CronJob keeps (the ConfigMap)', async () => {
    const { ns, work, config } = await setUp('one-laptop');
    const cronjob = await pod(config);
    assert.equal(cronjob.code, 0, messages(cronjob.stderr));
    const decided = (JSON.parse(cronjob.stdout) as { message: string }).message;
    const cm = `configmap ${ns}/latency-scaler-deployment-fib`;

    const show = await laptop(work, ['state', 'show', '-c', config, '-o', 'json']);
    assert.equal(show.code, 0, messages(show.stderr));
    const shown = JSON.parse(show.stdout) as { store: string; record: { history: unknown[] } | null };
    assert.deepEqual({ store: shown.store, history: shown.record?.history.length }, { store: cm, history: 1 });
    const status = await laptop(work, ['status', '-c', config, '-o', 'json']);
    const [row] = JSON.parse(status.stdout) as { state: string; lastDecision: string }[];
    assert.deepEqual({ state: row!.state, last: row!.lastDecision }, { state: cm, last: decided });
    const history = await laptop(work, ['history', '-c', config, '--out', join(work, 'h.html')]);
    assert.equal((JSON.parse(history.stdout) as { decisions: number }).decisions, 1, messages(history.stderr));
    const run = await laptop(work, ['run', '-c', config, '-o', 'json']);
    assert.equal(run.code, 0, messages(run.stderr));
    assert.equal((await recordOf(ns))?.history.length, 2, "the laptop's run added to the CronJob's record");
    assert.ok(!existsSync(join(work, '.latency-scaler')), 'no second record on the laptop');

    // A webhook run by hand keeps its file.
    const pool = await startScaleServer(2);
    try {
      const hook = join(work, 'hook.yaml');
      writeFileSync(
        hook,
        readFileSync(config, 'utf8').replace(/^target: .*$/m, `target: { kind: http, url: ${pool.url} }`),
      );
      const r = await laptop(work, ['state', 'show', '-c', hook, '-o', 'json']);
      assert.match(
        (JSON.parse(r.stdout) as { store: string }).store,
        /^file \.latency-scaler\/http-127\.0\.0\.1-\d+-replicas_[0-9a-f]{8}\.json$/,
      );
    } finally {
      await pool.close();
    }
  });

  it("an earlier version's ./.latency-scaler/ record: read until the next run moves it into the ConfigMap, said once", async () => {
    const { ns, work, config } = await setUp('one-legacy');
    // What an earlier version wrote when run by hand: the file at its default path.
    const before = await laptop(work, ['run', '-c', config, '-o', 'json', '--set', 'state.store=file']);
    assert.equal(before.code, 0, messages(before.stderr));
    const legacy = join(work, LEGACY(ns));
    assert.ok(existsSync(legacy));
    const earlier = (JSON.parse(before.stdout) as { message: string }).message;

    const status = await laptop(work, ['status', '-c', config, '-o', 'json']);
    const [row] = JSON.parse(status.stdout) as { state: string; lastDecision: string }[];
    assert.deepEqual(
      { state: row!.state, last: row!.lastDecision },
      { state: `configmap ${ns}/latency-scaler-deployment-fib`, last: earlier },
    );
    assert.match(
      messages(status.stderr),
      new RegExp(
        `configmap ${ns}/latency-scaler-deployment-fib holds no record yet: this reads the one in file ` +
          `${LEGACY(ns).replace(/\./g, '\\.')} \\(earlier versions kept it there when run by hand.*the next run ` +
          '\\(not a dry run\\) moves it there',
      ),
    );
    const dry = await laptop(work, ['run', '-c', config, '--dry-run', '-o', 'json']);
    assert.equal(dry.code, 0, messages(dry.stderr));
    assert.ok(existsSync(legacy) && (await recordOf(ns)) === undefined, 'a dry run moves nothing');

    const run = await laptop(work, ['run', '-c', config, '-o', 'json']);
    assert.equal(run.code, 0, messages(run.stderr));
    const said = messages(run.stderr);
    assert.match(
      said,
      /held this machine's record of it \(2 replicas, last run .*\): this run moved it into configmap/,
    );
    assert.match(said, new RegExp(`The file is kept as ${LEGACY(ns).replace(/\./g, '\\.')}\\.old`));
    const moved = (await recordOf(ns))?.history.map((h) => h.reason) ?? [];
    assert.equal(moved[0], earlier, 'the earlier decision, and this one, in one record');
    assert.match(moved[1] ?? '', /2 of 5 calm runs/, 'counted on from the moved record');
    assert.ok(!existsSync(legacy) && existsSync(`${legacy}.old`));
    const again = await laptop(work, ['run', '-c', config, '-o', 'json']);
    assert.equal(again.code, 0, messages(again.stderr));
    assert.doesNotMatch(messages(again.stderr), /machine's record|earlier record/, 'said once');

    // Another such file while the ConfigMap holds a record: not read, set aside by the next run, not moved.
    await laptop(work, ['run', '-c', config, '-o', 'json', '--set', 'state.store=file']);
    const shown = await laptop(work, ['state', 'show', '-c', config, '-o', 'json']);
    assert.equal((JSON.parse(shown.stdout) as { record: { history: unknown[] } }).record.history.length, 3);
    assert.match(
      messages(shown.stderr),
      /holds an earlier record \(2 replicas, .*\): not read, configmap .* holds the record/,
    );
    const last = await laptop(work, ['run', '-c', config, '-o', 'json']);
    assert.match(messages(last.stderr), /this run did not move it: configmap .* holds a record already/);
    assert.equal((await recordOf(ns))?.history.length, 4);
    assert.ok(!existsSync(legacy));
  });

  it('state.store: file for a cluster target while the ConfigMap holds a record: which one it reads, and the other, once', async () => {
    const { ns, work, config } = await setUp('one-two', `state: { store: file, path: mine.json }\n`);
    const shared = config.replace('scaler.yaml', 'cron.yaml');
    writeFileSync(shared, readFileSync(config, 'utf8').replace(/^state: .*$/m, ''));
    const cronjob = await pod(shared);
    assert.equal(cronjob.code, 0, messages(cronjob.stderr));

    const run = await laptop(work, ['run', '-c', config, '-o', 'json']);
    assert.equal(run.code, 0, messages(run.stderr));
    const said = messages(run.stderr);
    const warning = new RegExp(
      `Deployment ${ns}/fib: this reads the record in file mine\\.json \\(state\\.store: file\\); configmap ` +
        `${ns}/latency-scaler-deployment-fib holds another \\(2 replicas, last run [^)]+\\) — the CronJob's, by default`,
      'g',
    );
    assert.equal(said.match(warning)?.length, 1, said);
    const status = await laptop(work, ['status', '-c', config, '-o', 'json']);
    assert.equal(messages(status.stderr).match(warning)?.length, 1);
  });
});
