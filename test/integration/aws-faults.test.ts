// Faults between the scaler (the bundle) and the AWS APIs (moto), injected by the fault proxy:
// throttling (400 ThrottlingException / Throttling), 5xx, no answer, and "applied but the answer was
// lost" on the write. Afterwards the state (DynamoDB Local) and the desired count agree, and a change
// reached AWS exactly once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMoto, MOTO_CREDENTIALS, type Moto } from '../harness/moto.ts';
import { startDynamoLocal, type DynamoLocal } from '../harness/dynamodb.ts';
import { answers, startFaultProxy, type FaultProxy } from '../harness/faults.ts';
import { answerInstanceRefreshes, EcsFixture, GroupFixture } from '../helpers/aws-resources.ts';
import { startService, type CountingService } from '../helpers/scale-server.ts';
import { messages, runBundle } from '../helpers/cli.ts';
import { DynamoDbStateStore } from '../../src/state/dynamodb.ts';
import { targetKey } from '../../src/model/target-key.ts';
import type { TargetRef } from '../../src/config/types.ts';

let moto: Moto;
let ddb: DynamoLocal;
let slow: CountingService; // 30 ms an answer, above the 5 ms target: every run scales up by one
let ecs: EcsFixture;
let groups: GroupFixture;
const proxies: FaultProxy[] = [];
const dir = mkdtempSync(join(tmpdir(), 'scaler-aws-faults-'));
const TABLE = 'scaler-aws-faults';
const saved = { ...process.env };

before(async () => {
  Object.assign(process.env, MOTO_CREDENTIALS);
  [moto, ddb, slow] = await Promise.all([
    startMoto({ MOTO_ECS_SERVICE_RUNNING: '3' }),
    startDynamoLocal(),
    startService(30),
  ]);
  ecs = new EcsFixture(moto.endpoint);
  groups = new GroupFixture(moto.endpoint);
  await state('k').createTable();
});
after(async () => {
  await Promise.all([...proxies.map((p) => p.close()), slow?.close(), moto?.stop(), ddb?.stop()]);
  process.env = saved;
});

function state(key: string): DynamoDbStateStore {
  return new DynamoDbStateStore({
    table: TABLE,
    endpoint: ddb.endpoint,
    region: 'eu-west-1',
    targetKey: key,
    requestTimeoutMs: 5_000,
  });
}

async function proxy(group = false): Promise<FaultProxy> {
  const p = await startFaultProxy({ upstream: moto.endpoint });
  proxies.push(p);
  if (group) answerInstanceRefreshes(p);
  return p;
}

let n = 0;
async function run(target: object): Promise<{ code: number | null; record?: { applied: number }; log: string }> {
  const path = join(dir, `scaler-${++n}.yaml`);
  const doc = {
    target,
    replicas: { min: 1, max: 10 },
    loadTest: { host: slow.url, users: 2, duration: '1s', requests: [{ method: 'GET', path: '/a' }] },
    targets: [{ method: 'GET', endpoint: '/a', type: 'mean', target: 5 }],
    state: { store: 'dynamodb', table: TABLE, endpoint: ddb.endpoint },
    api: { timeout: '1s', retryFor: '3s' },
  };
  writeFileSync(path, JSON.stringify(doc));
  const r = await runBundle(['run', '-c', path, '-o', 'json'], { env: { ...MOTO_CREDENTIALS }, timeoutMs: 60_000 });
  return { code: r.code, ...(r.stdout.trim() ? { record: JSON.parse(r.stdout) } : {}), log: messages(r.stderr) };
}

async function recorded(target: TargetRef): Promise<number | null | undefined> {
  return (await state(targetKey(target)).read()).record?.lastReplicas;
}

/** The calls that reached moto (not answered by the proxy) whose body matches. */
const reached = (p: FaultProxy, body: RegExp): number =>
  p.log.filter((e) => body.test(e.body) && e.upstreamStatus !== undefined).length;

const ECS_READ = /"include":\["TAGS"\]/; // DescribeServices
const ECS_WRITE = /"desiredCount":/; // UpdateService
const GROUP_READ = /Action=DescribeAutoScalingGroups/;
const GROUP_WRITE = /Action=SetDesiredCapacity/;

describe('ECS behind the fault proxy', () => {
  it('throttled (400 ThrottlingException) twice: retried, scaled once, state and desiredCount agree', async () => {
    await ecs.service('throttled', 'web', 2);
    const p = await proxy();
    p.inject({
      body: (b) => ECS_READ.test(b),
      times: 2,
      fault: answers.awsJson(400, 'ThrottlingException', 'Rate exceeded'),
    });
    const target = { kind: 'ecs-service', cluster: 'throttled', service: 'web', endpoint: p.url } as const;
    const r = await run(target);
    assert.equal(r.code, 0, r.log);
    assert.equal(r.record?.applied, 3);
    assert.equal(p.log.filter((e) => e.fault === 'status').length, 2, 'both throttled answers were met');
    assert.deepEqual([await ecs.desired('throttled', 'web'), await recorded(target)], [3, 3]);
    assert.equal(reached(p, ECS_WRITE), 1, 'one UpdateService');
  });

  it('5xx on every UpdateService: given up within api.retryFor, the claim put back, nothing changed', async () => {
    await ecs.service('failing', 'web', 2);
    const p = await proxy();
    p.inject({
      body: (b) => ECS_WRITE.test(b),
      times: Infinity,
      fault: answers.awsJson(500, 'ServerException', 'internal'),
    });
    const target = { kind: 'ecs-service', cluster: 'failing', service: 'web', endpoint: p.url } as const;
    const started = Date.now();
    const r = await run(target);
    assert.equal(r.code, 1, r.log);
    assert.match(
      r.log,
      /ecs-service failing\/web: UpdateService failed: ServerException \(HTTP 500\): internal; still failing after \d+ attempts/,
    );
    assert.ok(p.log.filter((e) => ECS_WRITE.test(e.body)).length > 1, 'retried');
    assert.ok(Date.now() - started < 20_000);
    assert.equal(await ecs.desired('failing', 'web'), 2);
    assert.equal(await recorded(target), null, 'the claim was put back: no decision recorded');
  });

  it('no answer to DescribeServices: exit 1 in words after api.retryFor, no load, nothing written', async () => {
    await ecs.service('hung', 'web', 2);
    const p = await proxy();
    p.inject({ body: (b) => ECS_READ.test(b), times: Infinity, fault: { kind: 'hang' } });
    const target = { kind: 'ecs-service', cluster: 'hung', service: 'web', endpoint: p.url } as const;
    const probes = slow.requests;
    const r = await run(target);
    assert.equal(r.code, 1, r.log);
    assert.match(
      r.log,
      /DescribeServices failed: ECS at http:\/\/127\.0\.0\.1:\d+: no answer within 1 s; still failing after/,
    );
    assert.equal(slow.requests, probes, 'no load sent');
    assert.equal(await recorded(target), undefined);
    assert.equal(await ecs.desired('hung', 'web'), 2);
  });

  it('UpdateService applied but its answer lost: looked at again, not resent; applied once, agreeing', async () => {
    await ecs.service('lost', 'web', 2);
    const p = await proxy();
    p.inject({ body: (b) => ECS_WRITE.test(b), fault: { kind: 'lostAnswer' } });
    const target = { kind: 'ecs-service', cluster: 'lost', service: 'web', endpoint: p.url } as const;
    const r = await run(target);
    assert.equal(r.code, 0, r.log);
    assert.equal(r.record?.applied, 3);
    assert.equal(reached(p, ECS_WRITE), 1, 'exactly one UpdateService reached ECS');
    assert.deepEqual([await ecs.desired('lost', 'web'), await recorded(target)], [3, 3]);
  });
});

describe('a change by someone else', () => {
  it('desiredCount changed during the load test: the re-read before the write refuses it (exit 3)', async () => {
    await ecs.service('moved', 'web', 2);
    const target = { kind: 'ecs-service', cluster: 'moved', service: 'web', endpoint: moto.endpoint } as const;
    slow.onRequest = () => void ecs.setDesired('moved', 'web', 5); // an operator, mid-run
    const r = await run(target);
    assert.equal(r.code, 3, r.log);
    assert.match(
      r.log,
      /ecs-service moved\/web: desiredCount is no longer 2 but 5 \(changed by someone else since the read\)/,
    );
    assert.equal(await ecs.desired('moved', 'web'), 5, 'their change stands');
    assert.equal(await recorded(target), null, 'the claim was put back');
  });
});

describe('EC2 Auto Scaling behind the fault proxy', () => {
  it('throttled (400 Throttling, XML) twice, then a 503 on the write: retried, scaled once, agreeing', async () => {
    await groups.group('busy', { min: 1, max: 5, desired: 2 });
    const p = await proxy(true);
    p.inject({
      body: (b) => GROUP_READ.test(b),
      times: 2,
      fault: answers.awsQueryError(400, 'Throttling', 'Rate exceeded'),
    });
    p.inject({
      body: (b) => GROUP_WRITE.test(b),
      fault: answers.awsQueryError(503, 'ServiceUnavailable', 'try again'),
    });
    const target = { kind: 'autoscaling-group', name: 'busy', endpoint: p.url } as const;
    const r = await run(target);
    assert.equal(r.code, 0, r.log);
    assert.equal(r.record?.applied, 3);
    assert.equal(p.log.filter((e) => e.fault === 'status' && !/Refreshes/.test(e.body)).length, 3);
    assert.equal(reached(p, GROUP_WRITE), 1, 'one SetDesiredCapacity reached Auto Scaling');
    assert.deepEqual([await groups.desired('busy'), await recorded(target)], [3, 3]);
  });

  it('SetDesiredCapacity applied but its answer lost: applied once, agreeing', async () => {
    await groups.group('lost', { min: 1, max: 5, desired: 2 });
    const p = await proxy(true);
    p.inject({ body: (b) => GROUP_WRITE.test(b), fault: { kind: 'lostAnswer' } });
    const target = { kind: 'autoscaling-group', name: 'lost', endpoint: p.url } as const;
    const r = await run(target);
    assert.equal(r.code, 0, r.log);
    assert.equal(reached(p, GROUP_WRITE), 1, 'exactly one SetDesiredCapacity reached Auto Scaling');
    assert.deepEqual([await groups.desired('lost'), await recorded(target)], [3, 3]);
  });
});
