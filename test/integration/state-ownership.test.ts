// The scaler touches only what is its own in a state store, through the bundle against the real
// systems: `state reset` removes only this target's record (a file, a ConfigMap on the real API
// server, a DynamoDB Local item) and refuses anything else with exit 2 unless --force; and every
// ConfigMap write keeps what others put on the object (labels, annotations, ownerReferences).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoLocal, LOCAL_CREDENTIALS, type DynamoLocal } from '../harness/dynamodb.ts';
import { startKube, type KubeCluster } from '../harness/kube.ts';
import { messages, runBundle } from '../helpers/cli.ts';
import { create, deployment, namespace, replicasOf, settle } from '../helpers/kube-objects.ts';
import { startScaleServer, startService, type CountingService, type ScaleServer } from '../helpers/scale-server.ts';
import { emptyRecord } from '../../src/model/state-record.ts';
import { targetKey } from '../../src/model/target-key.ts';
import { DynamoDbStateStore } from '../../src/state/dynamodb.ts';

const APPS = { apiVersion: 'apps/v1', kind: 'Deployment' };
let dir: string;
let service: CountingService;
let n = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-owned-'));
  service = await startService(30);
});
after(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A breaching config (each run scales up) of `target`, with `state`. */
function config(target: string, state: string): string {
  const path = join(dir, `scaler-${++n}.yaml`);
  writeFileSync(
    path,
    `target: ${target}
replicas: { min: 1, max: 9 }
loadTest: { host: ${service.url}, users: 2, duration: 500ms, requests: [{ method: GET, path: /fib }] }
targets: [{ method: GET, endpoint: /fib, type: mean, target: 0.001 }]
settle: { timeout: 0 }
state: ${state}
`,
  );
  return path;
}

const refusal = /not this target's record, so it was left as it is; to remove it anyway: state reset --force/;

describe('state reset with the file store', () => {
  it("refuses another target's record and a file that is no record (exit 2), --force removes it", async () => {
    const scale = await startScaleServer(2);
    try {
      const statePath = join(dir, 'shared-state.json');
      const ours = config(`{ kind: http, url: ${scale.url} }`, `{ store: file, path: ${statePath} }`);
      const theirs = config(`{ kind: http, url: ${scale.url}-b }`, `{ store: file, path: ${statePath} }`);
      assert.equal((await runBundle(['run', '-c', ours, '-o', 'json'])).code, 0);
      const before = readFileSync(statePath, 'utf8');
      let r = await runBundle(['state', 'reset', '-c', theirs]);
      assert.equal(r.code, 2, messages(r.stderr));
      const key = targetKey({ kind: 'http', url: scale.url, headers: {} });
      assert.match(messages(r.stderr), new RegExp(`state file .*shared-state\\.json belongs to target ${key}, not`));
      assert.match(messages(r.stderr), refusal);
      assert.equal(readFileSync(statePath, 'utf8'), before, 'the record is left as it was');
      r = await runBundle(['state', 'reset', '-c', theirs, '--force']);
      assert.equal(r.code, 0, messages(r.stderr));
      assert.equal(existsSync(statePath), false, '--force removes it');

      const notes = join(dir, 'notes', 'todo.txt');
      mkdirSync(join(dir, 'notes'));
      writeFileSync(notes, 'buy milk\n');
      r = await runBundle([
        'state',
        'reset',
        '-c',
        config(`{ kind: http, url: ${scale.url} }`, `{ store: file, path: ${notes} }`),
      ]);
      assert.equal(r.code, 2, messages(r.stderr));
      assert.match(messages(r.stderr), /state file .*todo\.txt is not valid JSON/);
      assert.equal(readFileSync(notes, 'utf8'), 'buy milk\n');

      assert.equal((await runBundle(['run', '-c', ours, '-o', 'json'])).code, 0);
      r = await runBundle(['state', 'reset', '-c', ours]);
      assert.equal(r.code, 0, messages(r.stderr));
      assert.equal(existsSync(statePath), false, 'our own record is removed');
    } finally {
      await scale.close();
    }
  });
});

describe('the state ConfigMap on the real API server', () => {
  let kube: KubeCluster;
  before(async () => (kube = await startKube()));
  after(() => kube?.stop());

  const cmPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/configmaps/${name}`;
  const run = (path: string) =>
    runBundle(['run', '-c', path, '-o', 'json'], { env: { KUBECONFIG: kube.kubeconfigPath }, timeoutMs: 60_000 });
  const reset = (path: string, ...extra: string[]) =>
    runBundle(['state', 'reset', '-c', path, ...extra], { env: { KUBECONFIG: kube.kubeconfigPath } });
  const kubeConfig = (ns: string, name: string, state = '') =>
    config(
      `{ kind: Deployment, apiVersion: apps/v1, name: ${name}, namespace: ${ns} }`,
      `{ store: configmap${state ? `, name: ${state}` : ''} }`,
    );

  it('keeps the labels, annotations and ownerReferences others put on it, through runs and a reset', async () => {
    const ns = await namespace(kube, 'owned');
    await create(kube, [deployment('fib', 2)], ns);
    await settle(kube, APPS, ns, 'fib');
    const uid = (await kube.api('GET', `/apis/apps/v1/namespaces/${ns}/deployments/fib`)).body.metadata.uid as string;
    const name = 'latency-scaler-deployment-fib';
    // As `kubectl apply` leaves it under Argo CD: its labels, the last applied configuration, a tracking id.
    const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns } };
    const metadata = {
      name,
      labels: {
        'app.kubernetes.io/name': 'latency-scaler',
        'app.kubernetes.io/managed-by': 'latency-scaler',
        'app.kubernetes.io/instance': 'shop-scaler',
        team: 'shop',
      },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(applied)}\n`,
        'argocd.argoproj.io/tracking-id': `shop-scaler:/ConfigMap:${ns}/${name}`,
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'fib', uid }],
    };
    const made = await kube.api('POST', `/api/v1/namespaces/${ns}/configmaps?fieldManager=kubectl-client-side-apply`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const path = kubeConfig(ns, 'fib');
    for (let i = 0; i < 3; i++) {
      const r = await run(path);
      assert.equal(r.code, 0, messages(r.stderr));
    }
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 5, 'three runs, three scale-ups');
    const after = (await kube.api('GET', cmPath(ns, name))).body;
    assert.deepEqual(after.metadata.labels, metadata.labels);
    assert.deepEqual(after.metadata.annotations, metadata.annotations);
    assert.deepEqual(
      after.metadata.ownerReferences.map((o: { kind: string; name: string; uid: string }) => [o.kind, o.name, o.uid]),
      [['Deployment', 'fib', uid]],
    );
    assert.equal(JSON.parse(after.data['state.json']).history.length, 3, 'and our record, written three times');
    const managers = (after.metadata.managedFields as { manager: string }[]).map((f) => f.manager);
    assert.ok(managers.includes('kubectl-client-side-apply'), `managedFields kept: ${managers.join(', ')}`);

    const r = await reset(path);
    assert.equal(r.code, 0, messages(r.stderr));
    const emptied = (await kube.api('GET', cmPath(ns, name))).body;
    assert.equal(emptied.data?.['state.json'], undefined, 'the record is gone');
    assert.deepEqual(emptied.metadata.labels, metadata.labels);
    assert.deepEqual(emptied.metadata.annotations, metadata.annotations);
    assert.equal(emptied.metadata.ownerReferences.length, 1);
  });

  it('a lost race is still a conflict: a write on a version the ConfigMap has left is refused (exit 3)', async () => {
    const ns = await namespace(kube, 'race');
    await create(kube, [deployment('fib', 2)], ns);
    await settle(kube, APPS, ns, 'fib');
    const path = kubeConfig(ns, 'fib');
    assert.equal((await run(path)).code, 0);
    await settle(kube, APPS, ns, 'fib');
    // Another writer between our read and our write: a label added while the load test runs.
    const name = 'latency-scaler-deployment-fib';
    service.onRequest = () =>
      void kube.api('PATCH', cmPath(ns, name), { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json');
    const r = await run(path);
    assert.equal(r.code, 3, messages(r.stderr));
    assert.match(messages(r.stderr), /changed since it was read .*nothing applied/);
    assert.equal(await replicasOf(kube, APPS, ns, 'fib'), 3, 'nothing applied');
  });

  it("refuses (exit 2) a ConfigMap that is not a state ConfigMap, and one with another target's record", async () => {
    const ns = await namespace(kube, 'foreign');
    const settings = { 'app.properties': 'colour=blue\n' };
    await create(kube, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: settings }], ns);
    const path = kubeConfig(ns, 'fib', 'settings');
    let r = await reset(path);
    assert.equal(r.code, 2, messages(r.stderr));
    assert.match(messages(r.stderr), new RegExp(`configmap ${ns}/settings holds other data \\(app\\.properties\\)`));
    assert.match(messages(r.stderr), refusal);
    assert.deepEqual((await kube.api('GET', cmPath(ns, 'settings'))).body.data, settings, 'left as it was');
    r = await reset(path, '--force');
    assert.equal(r.code, 0, messages(r.stderr));
    const forced = (await kube.api('GET', cmPath(ns, 'settings'))).body;
    assert.deepEqual(forced.data ?? {}, {}, '--force empties it');

    await create(kube, [deployment('fib', 1)], ns);
    await settle(kube, APPS, ns, 'fib');
    const fib = kubeConfig(ns, 'fib');
    assert.equal((await run(fib)).code, 0);
    const web = kubeConfig(ns, 'web', 'latency-scaler-deployment-fib');
    r = await reset(web);
    assert.equal(r.code, 2, messages(r.stderr));
    const key = targetKey({ kind: 'Deployment', apiVersion: 'apps/v1', name: 'fib', namespace: ns });
    assert.match(messages(r.stderr), new RegExp(`holds the state of ${key.replace(/\./g, '\\.')}, not`));
    const kept = (await kube.api('GET', cmPath(ns, 'latency-scaler-deployment-fib'))).body;
    assert.equal(JSON.parse(kept.data['state.json']).target, key, "fib's record is left as it was");
  });
});

describe('state reset with DynamoDB Local', () => {
  let ddb: DynamoLocal;
  let scale: ScaleServer;
  before(async () => {
    Object.assign(process.env, LOCAL_CREDENTIALS); // for the client this test writes with directly
    [ddb, scale] = await Promise.all([startDynamoLocal(), startScaleServer(2)]);
  });
  after(async () => {
    await scale?.close();
    await ddb?.stop();
  });

  it("refuses an item holding another target's record (exit 2), --force deletes it; our own is deleted", async () => {
    const table = 'owned';
    const where = { table, endpoint: ddb.endpoint, region: 'eu-west-1', requestTimeoutMs: 5_000 };
    await new DynamoDbStateStore({ ...where, targetKey: 'x' }).createTable();
    const state = `{ store: dynamodb, table: ${table}, endpoint: ${ddb.endpoint}, region: eu-west-1 }`;
    const path = config(`{ kind: http, url: ${scale.url} }`, state);
    const key = targetKey({ kind: 'http', url: scale.url, headers: {} });
    const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'eu-west-1' });
    const item = { target: { S: key } };
    try {
      const record = JSON.stringify(emptyRecord('http-elsewhere'));
      const foreign = { ...item, version: { N: '4' }, record: { S: record } };
      await client.send(new PutItemCommand({ TableName: table, Item: foreign }));
      const env = { ...LOCAL_CREDENTIALS };
      let r = await runBundle(['state', 'reset', '-c', path], { env });
      assert.equal(r.code, 2, messages(r.stderr));
      assert.match(messages(r.stderr), /dynamodb owned\[.*\] holds the state of http-elsewhere/);
      assert.match(messages(r.stderr), refusal);
      const kept = await client.send(new GetItemCommand({ TableName: table, Key: item }));
      assert.equal(kept.Item?.['version']?.N, '4', 'left as it was');
      r = await runBundle(['state', 'reset', '-c', path, '--force'], { env });
      assert.equal(r.code, 0, messages(r.stderr));
      assert.equal((await client.send(new GetItemCommand({ TableName: table, Key: item }))).Item, undefined);

      assert.equal((await runBundle(['run', '-c', path, '-o', 'json'], { env })).code, 0);
      r = await runBundle(['state', 'reset', '-c', path], { env });
      assert.equal(r.code, 0, messages(r.stderr));
      assert.equal((await client.send(new GetItemCommand({ TableName: table, Key: item }))).Item, undefined);
    } finally {
      client.destroy();
    }
  });
});
