// The ECS service and Auto Scaling group targets through the bundle, against moto in server mode
// (the AWS APIs) with DynamoDB Local for the state: resources made through the SDK, a loopback
// service as the probe's host. Scale up on a breach, decay, not settled during a deployment, another
// autoscaler refused before any load, pause by tag, and the group's own bounds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMoto, MOTO_CREDENTIALS, type Moto } from '../harness/moto.ts';
import { startDynamoLocal, type DynamoLocal } from '../harness/dynamodb.ts';
import { startFaultProxy, type FaultProxy } from '../harness/faults.ts';
import { answerInstanceRefreshes, EcsFixture, GroupFixture } from '../helpers/aws-resources.ts';
import { startService, type CountingService } from '../helpers/scale-server.ts';
import { messages, runBundle } from '../helpers/cli.ts';
import { DynamoDbStateStore } from '../../src/state/dynamodb.ts';
import { targetKey } from '../../src/model/target-key.ts';
import type { TargetRef } from '../../src/config/types.ts';

let moto: Moto;
let ddb: DynamoLocal;
let slow: CountingService; // 30 ms an answer: a 5 ms mean target is breached
let fast: CountingService; // at once: a 500 ms target is calm
let ecs: EcsFixture;
let groups: GroupFixture;
const proxies: FaultProxy[] = [];
const dir = mkdtempSync(join(tmpdir(), 'scaler-aws-'));
const TABLE = 'scaler-aws';

const saved = { ...process.env };
before(async () => {
  Object.assign(process.env, MOTO_CREDENTIALS); // the fixtures' and the state store's clients
  [moto, ddb, slow, fast] = await Promise.all([
    startMoto({ MOTO_ECS_SERVICE_RUNNING: '3' }),
    startDynamoLocal(),
    startService(30),
    startService(0),
  ]);
  ecs = new EcsFixture(moto.endpoint);
  groups = new GroupFixture(moto.endpoint);
  await state(TABLE, 'k').createTable();
});
after(async () => {
  await Promise.all([...proxies.map((p) => p.close()), slow?.close(), fast?.close(), moto?.stop(), ddb?.stop()]);
  process.env = saved;
});

function state(table: string, key: string): DynamoDbStateStore {
  return new DynamoDbStateStore({
    table,
    endpoint: ddb.endpoint,
    region: 'eu-west-1',
    targetKey: key,
    requestTimeoutMs: 5_000,
  });
}

let n = 0;
/** A scaler.yaml (JSON is YAML) for `target`, probing `host`. */
function config(target: object, host: CountingService, extra: Record<string, unknown> = {}): string {
  const path = join(dir, `scaler-${++n}.yaml`);
  const doc = {
    target,
    replicas: { min: 1, max: 10 },
    loadTest: { host: host.url, users: 2, duration: '1s', requests: [{ method: 'GET', path: '/a' }] },
    targets: [{ method: 'GET', endpoint: '/a', type: 'mean', target: host === slow ? 5 : 500 }],
    decay: { replicas: 1, unchangedRuns: 1 },
    state: { store: 'dynamodb', table: TABLE, endpoint: ddb.endpoint },
    api: { timeout: '2s', retryFor: '4s' },
    ...extra,
  };
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

interface Run {
  code: number | null;
  record: { action: string; reason: string; message: string; current: number; applied: number; limitedBy?: string };
  log: string;
}

async function run(path: string): Promise<Run> {
  const r = await runBundle(['run', '-c', path, '-o', 'json'], { env: { ...MOTO_CREDENTIALS }, timeoutMs: 60_000 });
  return { code: r.code, record: r.stdout.trim() ? JSON.parse(r.stdout) : undefined, log: messages(r.stderr) };
}

async function recorded(target: TargetRef): Promise<number | undefined> {
  return (await state(TABLE, targetKey(target)).read()).record?.lastReplicas ?? undefined;
}

/** A proxy in front of moto that answers DescribeInstanceRefreshes (moto has none): the group's endpoint. */
async function groupEndpoint(): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ upstream: moto.endpoint });
  proxies.push(proxy);
  answerInstanceRefreshes(proxy);
  return proxy;
}

describe('kind: ecs-service (moto)', () => {
  it('scales up on a breach (2 → 3), then decays when calm (3 → 2); state and desiredCount agree', async () => {
    await ecs.service('shop', 'web', 2);
    const target = { kind: 'ecs-service', cluster: 'shop', service: 'web', endpoint: moto.endpoint } as const;
    const up = await run(config(target, slow));
    assert.equal(up.code, 0, up.log);
    assert.deepEqual([up.record.action, up.record.current, up.record.applied], ['up', 2, 3], up.record.message);
    assert.equal(await ecs.desired('shop', 'web'), 3);
    assert.equal(await recorded(target), 3);
    const calm = await run(config(target, fast));
    assert.equal(calm.record.action, 'hold', calm.record.message);
    const down = await run(config(target, fast));
    assert.deepEqual([down.record.action, down.record.applied], ['down', 2], down.record.message);
    assert.equal(await ecs.desired('shop', 'web'), 2);
    assert.equal(await recorded(target), 2);
  });

  it('a deployment in progress is not settled: hold, however slow the service', async () => {
    await ecs.service('deploying', 'web', 5); // moto: 3 of 5 running, the rollout IN_PROGRESS
    const target = { kind: 'ecs-service', cluster: 'deploying', service: 'web', endpoint: moto.endpoint } as const;
    const r = await run(config(target, slow));
    assert.equal(r.code, 0, r.log);
    assert.equal(r.record.reason, 'NotSettled', r.record.message);
    assert.match(r.record.message, /deployment in progress: the rollout of deploying-web:1 is IN_PROGRESS/);
    assert.equal(await ecs.desired('deploying', 'web'), 5);
  });

  it('an Application Auto Scaling policy is refused before any load, unless allowOtherAutoscalers', async () => {
    await ecs.service('tracked', 'web', 2);
    await ecs.cpuPolicy('tracked', 'web');
    const target = { kind: 'ecs-service', cluster: 'tracked', service: 'web', endpoint: moto.endpoint } as const;
    const before = slow.requests;
    const refused = await run(config(target, slow));
    assert.equal(refused.code, 1);
    assert.match(
      refused.log,
      new RegExp(
        String.raw`Application Auto Scaling policy cpu50 \(TargetTrackingScaling\) ` +
          String.raw`also scales ecs-service tracked/web: ` +
          String.raw`refusing to scale.*target\.allowOtherAutoscalers: true`,
      ),
    );
    assert.equal(slow.requests, before, 'no load sent');
    assert.equal(await recorded(target), undefined, 'nothing written');
    const allowed = await run(config({ ...target, allowOtherAutoscalers: true }, slow));
    assert.equal(allowed.code, 0, allowed.log);
    assert.equal(allowed.record.applied, 3);
    assert.equal(await ecs.desired('tracked', 'web'), 3);
  });

  it('pause by tag: latency-scaler.io/paused holds with no load; paused-replicas sets the count', async () => {
    const arn = await ecs.service('paused', 'web', 2);
    await ecs.tag(arn, 'latency-scaler.io/paused', 'true');
    const target = { kind: 'ecs-service', cluster: 'paused', service: 'web', endpoint: moto.endpoint } as const;
    const before = slow.requests;
    const held = await run(config(target, slow));
    assert.equal(held.code, 0, held.log);
    assert.equal(held.record.reason, 'Paused', held.record.message);
    assert.equal(slow.requests, before, 'no load sent');
    await ecs.tag(arn, 'latency-scaler.io/paused', 'false');
    await ecs.tag(arn, 'latency-scaler.io/paused-replicas', '1');
    const pinned = await run(config(target, slow));
    assert.deepEqual([pinned.record.reason, pinned.record.applied], ['Paused', 1], pinned.record.message);
    assert.equal(await ecs.desired('paused', 'web'), 1);
    await ecs.tag(arn, 'latency-scaler.io/paused-replicas', 'some');
    const bad = await run(config(target, slow));
    assert.equal(bad.code, 1);
    assert.match(
      bad.log,
      /ecs-service paused\/web: tag latency-scaler\.io\/paused-replicas: "some" is not a replica count/,
    );
  });

  it('a service that does not exist: exit 1, in words, nothing written', async () => {
    const target = { kind: 'ecs-service', cluster: 'shop', service: 'nope', endpoint: moto.endpoint } as const;
    const r = await run(config(target, slow));
    assert.equal(r.code, 1);
    assert.match(
      r.log,
      new RegExp(
        String.raw`ecs-service shop/nope: DescribeServices found no active service \(MISSING\) ` +
          String.raw`at http://127\.0\.0\.1:\d+: ` +
          String.raw`check target\.cluster and target\.service`,
      ),
    );
    assert.equal(await recorded(target), undefined);
  });
});

describe('kind: autoscaling-group (moto)', () => {
  it("scales up on a breach, never past the group's own MaxSize (said so), and decays", async () => {
    await groups.group('api', { min: 1, max: 3, desired: 2 });
    const proxy = await groupEndpoint();
    const target = { kind: 'autoscaling-group', name: 'api', endpoint: proxy.url } as const;
    const up = await run(config(target, slow));
    assert.equal(up.code, 0, up.log);
    assert.deepEqual([up.record.action, up.record.current, up.record.applied], ['up', 2, 3], up.record.message);
    assert.equal(await groups.desired('api'), 3);
    // replicas.max is 10, the group's MaxSize 3: a breach at 3 holds there (moto would take 4; AWS refuses it).
    const atMax = await run(config(target, slow));
    assert.equal(atMax.code, 0, atMax.log);
    assert.deepEqual([atMax.record.applied, atMax.record.limitedBy], [3, 'max'], atMax.record.message);
    assert.match(
      atMax.log,
      /MinSize and MaxSize \(1\.\.3\) narrow replicas 1\.\.10 to 1\.\.3: a count outside them is refused/,
    );
    assert.equal(await groups.desired('api'), 3);
    assert.equal(await recorded(target), 3);
    const calm = await run(config(target, fast));
    assert.equal(calm.record.action, 'hold', calm.record.message);
    const down = await run(config(target, fast));
    assert.deepEqual([down.record.action, down.record.applied], ['down', 2], down.record.message);
    assert.equal(await groups.desired('api'), 2);
    assert.equal(await recorded(target), 2);
    assert.ok(!proxy.log.some((e) => /DesiredCapacity=4/.test(e.body)), 'a count above MaxSize was never sent');
  });

  it('an instance refresh is not settled (a breach waits); an instance not InService holds the decay', async () => {
    await groups.group('rolling', { min: 1, max: 5, desired: 2 });
    const proxy = await startFaultProxy({ upstream: moto.endpoint });
    proxies.push(proxy);
    answerInstanceRefreshes(proxy, [{ id: 'r-1', group: 'rolling', status: 'InProgress', percent: 40 }]);
    const target = { kind: 'autoscaling-group', name: 'rolling', endpoint: proxy.url } as const;
    const refreshing = await run(config(target, slow));
    assert.equal(refreshing.code, 0, refreshing.log);
    assert.equal(refreshing.record.reason, 'NotSettled', refreshing.record.message);
    assert.match(refreshing.record.message, /instance refresh r-1 InProgress, 40% complete/);
    proxy.clear();
    answerInstanceRefreshes(proxy, [{ id: 'r-1', group: 'rolling', status: 'Successful', percent: 100 }]);
    const calm = await run(config(target, fast)); // settled and calm: the first of the one calm run decay needs
    assert.equal(calm.record.action, 'hold', calm.record.message);
    // As pods not ready in Kubernetes: an instance out of service with no change in flight holds the
    // decay (a breach would still scale up).
    await groups.standbyOne('rolling');
    const standby = await run(config(target, fast));
    assert.equal(standby.record.reason, 'NotSettled', standby.record.message);
    assert.match(standby.record.message, /2 of 2 instances InService \(1 Standby\), so no decay/);
    assert.equal(await groups.desired('rolling'), 2);
  });

  it('scaling policies on the group, or the Cluster Autoscaler tag, are refused before any load', async () => {
    await groups.group('tracked', { min: 1, max: 5, desired: 2 });
    await groups.cpuPolicy('tracked');
    await groups.group('nodes', { min: 1, max: 5, desired: 2 });
    await groups.tag('nodes', 'k8s.io/cluster-autoscaler/enabled', 'true');
    const proxy = await groupEndpoint();
    const before = slow.requests;
    const tracked = await run(config({ kind: 'autoscaling-group', name: 'tracked', endpoint: proxy.url }, slow));
    assert.equal(tracked.code, 1);
    assert.match(
      tracked.log,
      /Auto Scaling policy cpu50 \(TargetTrackingScaling\) also scales autoscaling-group tracked/,
    );
    const nodes = await run(config({ kind: 'autoscaling-group', name: 'nodes', endpoint: proxy.url }, slow));
    assert.equal(nodes.code, 1);
    assert.match(
      nodes.log,
      /the Kubernetes Cluster Autoscaler \(the group is tagged k8s\.io\/cluster-autoscaler\/enabled\)/,
    );
    assert.equal(slow.requests, before, 'no load sent');
    assert.deepEqual([await groups.desired('tracked'), await groups.desired('nodes')], [2, 2]);
  });

  it('pause by tag: latency-scaler.io/paused holds with no load', async () => {
    await groups.group('quiet', { min: 1, max: 5, desired: 2 });
    await groups.tag('quiet', 'latency-scaler.io/paused', 'true');
    const proxy = await groupEndpoint();
    const before = slow.requests;
    const r = await run(config({ kind: 'autoscaling-group', name: 'quiet', endpoint: proxy.url }, slow));
    assert.equal(r.code, 0, r.log);
    assert.equal(r.record.reason, 'Paused', r.record.message);
    assert.equal(slow.requests, before);
    assert.equal(await groups.desired('quiet'), 2);
  });
});
