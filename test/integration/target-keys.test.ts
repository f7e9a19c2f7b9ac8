// Target keys never fold two targets into one, and a record earlier versions wrote under a target's
// earlier key (a webhook's, a custom kind's) is found, used and moved — through the bundle, with the file
// store's default path, a DynamoDB Local item and a ConfigMap on the real API server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoLocal, LOCAL_CREDENTIALS, type DynamoLocal } from '../harness/dynamodb.ts';
import { startKube, type KubeCluster } from '../harness/kube.ts';
import { messages, runBundle } from '../helpers/cli.ts';
import { create, namespace, settle } from '../helpers/kube-objects.ts';
import { startPoolServer, startService, type CountingService, type PoolServer } from '../helpers/scale-server.ts';
import { emptyRecord, type StateRecord } from '../../src/model/state-record.ts';
import { targetKey } from '../../src/model/target-key.ts';
import { ConflictError } from '../../src/errors.ts';
import { DynamoDbStateStore } from '../../src/state/dynamodb.ts';

let dir: string;
let service: CountingService;
let hooks: PoolServer;
let n = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-keys-'));
  service = await startService(5);
  hooks = await startPoolServer({ '/pool-a': 3, '/pool_a': 2, '/moved': 2, '/dynamo': 2, '/configmap': 2 });
});
after(async () => {
  await hooks?.close();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A calm webhook at `path` (every run within target) that decays by one after two calm runs; `state` when
 * given; another target when `path` is one (`{ kind: … }`).
 */
function config(path: string, state?: string): string {
  const file = join(dir, `scaler-${++n}.yaml`);
  const target = path.startsWith('{') ? path : `{ kind: http, url: '${hooks.url}${path}' }`;
  writeFileSync(
    file,
    `target: ${target}
replicas: { min: 1, max: 5 }
loadTest: { host: ${service.url}, users: 2, duration: 400ms, requests: [{ method: GET, path: /a }] }
targets: [{ method: GET, endpoint: /a, type: mean, target: 5000 }]
decay: { replicas: 1, unchangedRuns: 2 }
settle: { timeout: 0 }
${state ? `state: ${state}\n` : ''}`,
  );
  return file;
}

const keyOf = (path: string) => targetKey({ kind: 'http', url: `${hooks.url}${path}`, headers: {} });
/** The key earlier versions gave the webhook, spelled out: every character outside [A-Za-z0-9.-] a `-`. */
const earlierKeyOf = (path: string) =>
  `http-127.0.0.1-${new URL(hooks.url).port}${path.replace(/[^A-Za-z0-9.-]/g, '-')}`;

async function run(file: string, cwd: string, env: Record<string, string> = {}): Promise<string> {
  const r = await runBundle(['run', '-c', file, '-o', 'json'], { cwd, env, timeoutMs: 60_000 });
  assert.equal(r.code, 0, messages(r.stderr));
  return (JSON.parse(r.stdout) as { message: string }).message;
}

/** A record as an earlier version left it: `calmRuns` calm runs at `replicas`, owned by `key`. */
function earlierRecord(key: string, replicas: number, calmRuns: number): StateRecord {
  const at = new Date(Date.now() - 60_000).toISOString();
  return { ...emptyRecord(key), lastReplicas: replicas, calmRuns, lastRunAt: at, lastSuccessAt: at };
}

describe('target keys', () => {
  it('webhooks /pool-a and /pool_a on one server, default files in one directory: each decays on its own', async () => {
    const cwd = join(dir, 'two-pools');
    mkdirSync(cwd);
    const a = config('/pool-a');
    const b = config('/pool_a');
    const said: string[][] = [[], []];
    for (let round = 0; round < 3; round++) {
      said[0]!.push(await run(a, cwd));
      said[1]!.push(await run(b, cwd));
    }
    // Sharing one record, each read the other's count as a manual change and never decayed.
    assert.match(said[0]![1]!, /2 of 2 calm runs before decay$/, said[0]!.join('\n'));
    assert.match(said[1]![1]!, /2 of 2 calm runs before decay$/, said[1]!.join('\n'));
    assert.deepEqual(
      said.map((s) => s[2]),
      ['decay 3→2: 2 calm runs', 'decay 2→1: 2 calm runs'],
    );
    assert.deepEqual(hooks.pools['/pool-a']!.writes, [2]);
    assert.deepEqual(hooks.pools['/pool_a']!.writes, [1]);
    for (const path of ['/pool-a', '/pool_a']) {
      const file = join(cwd, '.latency-scaler', `${keyOf(path)}.json`);
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).record.target, keyOf(path), file);
    }
  });

  it("a record in the earlier key's default file is found, used, and moved on the next write", async () => {
    const cwd = join(dir, 'moved');
    mkdirSync(join(cwd, '.latency-scaler'), { recursive: true });
    const earlier = join(cwd, '.latency-scaler', `${earlierKeyOf('/moved')}.json`);
    const record = earlierRecord(earlierKeyOf('/moved'), 2, 2);
    writeFileSync(earlier, `${JSON.stringify({ version: 4, record }, null, 2)}\n`);
    // Two calm runs already: this one decays, with the earlier record only (afresh it would count 1 of 2).
    assert.equal(await run(config('/moved'), cwd), 'decay 2→1: 2 calm runs');
    assert.deepEqual(hooks.pools['/moved']!.writes, [1]);
    const moved = join(cwd, '.latency-scaler', `${keyOf('/moved')}.json`);
    assert.ok(!existsSync(earlier) && !existsSync(`${earlier}.versions`), 'the earlier file is gone');
    const now = JSON.parse(readFileSync(moved, 'utf8')) as { version: number; record: StateRecord };
    assert.equal(now.record.target, keyOf('/moved'));
    assert.equal(now.record.lastReplicas, 1);
    assert.equal(now.record.lastRunAt! > record.lastRunAt!, true);
  });
});

describe('target keys in DynamoDB (DynamoDB Local)', () => {
  let ddb: DynamoLocal;
  let client: DynamoDBClient;
  const saved = { ...process.env };
  before(async () => {
    Object.assign(process.env, LOCAL_CREDENTIALS);
    ddb = await startDynamoLocal();
    client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'eu-west-1' });
  });
  after(async () => {
    client?.destroy();
    await ddb?.stop();
    process.env = saved;
  });

  const store = (table: string, key: string, earlierKey?: string) =>
    new DynamoDbStateStore({
      table,
      endpoint: ddb.endpoint,
      region: 'eu-west-1',
      targetKey: key,
      earlierKey,
      requestTimeoutMs: 5_000,
    });
  const putItem = (table: string, key: string, version: number, record: StateRecord) =>
    client.send(
      new PutItemCommand({
        TableName: table,
        Item: { target: { S: key }, version: { N: String(version) }, record: { S: JSON.stringify(record) } },
      }),
    );
  const getItem = async (table: string, key: string) =>
    (await client.send(new GetItemCommand({ TableName: table, Key: { target: { S: key } }, ConsistentRead: true })))
      .Item;

  it('an item under the earlier key is found, used and moved: the new item written, the earlier deleted', async () => {
    const table = 'keys-moved';
    await store(table, 'x').createTable();
    const earlierKey = earlierKeyOf('/dynamo');
    await putItem(table, earlierKey, 7, earlierRecord(earlierKey, 2, 2));
    const file = config(
      '/dynamo',
      `{ store: dynamodb, table: ${table}, endpoint: ${ddb.endpoint}, region: eu-west-1 }`,
    );
    assert.equal(await run(file, dir, LOCAL_CREDENTIALS), 'decay 2→1: 2 calm runs');
    assert.equal(await getItem(table, earlierKey), undefined, 'the earlier item is gone');
    const item = await getItem(table, keyOf('/dynamo'));
    assert.equal(item?.['version']?.N, '1');
    assert.equal((JSON.parse(item!['record']!.S!) as StateRecord).target, keyOf('/dynamo'));
  });

  it('a write to the earlier item since the read is a conflict: nothing moved, nothing lost', async () => {
    const table = 'keys-conflict';
    await store(table, 'x').createTable();
    await putItem(table, 'old', 1, earlierRecord('old', 2, 1));
    const ours = store(table, 'new', 'old');
    const read = await ours.read();
    assert.equal(read.record?.target, 'new', "read as this target's record");
    await putItem(table, 'old', 2, earlierRecord('old', 3, 0)); // an earlier version's run, meanwhile
    await assert.rejects(ours.write({ ...read.record!, calmRuns: 2 }, read.version), ConflictError);
    assert.equal(await getItem(table, 'new'), undefined);
    assert.equal((await getItem(table, 'old'))?.['version']?.N, '2');
  });
});

describe('target keys in a ConfigMap (the real API server)', () => {
  let kube: KubeCluster;
  before(async () => (kube = await startKube()));
  after(() => kube?.stop());

  it("a webhook's record owned by its earlier key is accepted, and its owner rewritten on the next write", async () => {
    const ns = await namespace(kube, 'keys');
    const name = 'latency-scaler-hook';
    const earlierKey = earlierKeyOf('/configmap');
    const data = { 'state.json': JSON.stringify(earlierRecord(earlierKey, 2, 2)) };
    const made = await kube.api('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name }, data });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const file = config('/configmap', `{ store: configmap, name: ${name}, namespace: ${ns} }`);
    assert.equal(await run(file, dir, { KUBECONFIG: kube.kubeconfigPath }), 'decay 2→1: 2 calm runs');
    const cm = await kube.api('GET', `/api/v1/namespaces/${ns}/configmaps/${name}`);
    const record = JSON.parse(cm.body.data['state.json']) as StateRecord;
    assert.notEqual(record.target, earlierKey);
    assert.equal(record.target, keyOf('/configmap'));
  });

  it("a custom kind's record under its earlier key (no API group) is accepted; its owner gains the group", async () => {
    const ns = await namespace(kube, 'keys-crd');
    const ROLLOUT = { apiVersion: 'keys.example.com/v1', kind: 'Rollout' };
    await create(kube, [rolloutDefinition()], '');
    for (let i = 0; i < 100; i++) {
      const r = await kube.api('POST', `/apis/keys.example.com/v1/namespaces/${ns}/rollouts`, {
        ...ROLLOUT,
        metadata: { name: 'web' },
        spec: { replicas: 2 },
      });
      if (r.status === 201) break;
      await new Promise((res) => setTimeout(res, 100)); // until the CRD is established
    }
    await settle(kube, ROLLOUT, ns, 'web', 'rollouts');
    const name = 'latency-scaler-rollout-web'; // the default ConfigMap: named by kind and name, as before
    const data = { 'state.json': JSON.stringify(earlierRecord(`${ns}.rollout.web`, 2, 2)) };
    const made = await kube.api('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name }, data });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const file = config(`{ kind: Rollout, apiVersion: keys.example.com/v1, name: web, namespace: ${ns} }`);
    assert.equal(await run(file, dir, { KUBECONFIG: kube.kubeconfigPath }), 'decay 2→1: 2 calm runs');
    const cm = await kube.api('GET', `/api/v1/namespaces/${ns}/configmaps/${name}`);
    const record = JSON.parse(cm.body.data['state.json']) as StateRecord;
    assert.equal(record.target, `${ns}.rollout.web..keys.example.com`);
  });
});

/** A namespaced `Rollout` in keys.example.com with a /scale subresource: a kind outside core and apps/v1. */
function rolloutDefinition() {
  const replicas = {
    type: 'object',
    properties: { replicas: { type: 'integer' }, readyReplicas: { type: 'integer' } },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'rollouts.keys.example.com' },
    spec: {
      group: 'keys.example.com',
      scope: 'Namespaced',
      names: { plural: 'rollouts', singular: 'rollout', kind: 'Rollout' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: replicas, status: replicas } } },
          subresources: {
            status: {},
            scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
          },
        },
      ],
    },
  };
}
