// The handler under AWS's own runtime: the Runtime Interface Emulator and the Node.js Runtime
// Interface Client load dist/scale.js as Lambda does and invoke it with EventBridge's scheduled event.
// The function scales an ECS service on moto, its state in DynamoDB Local. A decision; the same event
// again, skipped; a function timeout shorter than the load test, refused at once with the documented
// error (the time left read from the runtime's deadline); and a run that the deadline overtakes
// (its target read hangs), ended by the handler with INTERRUPTED before the runtime kills it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMoto, MOTO_CREDENTIALS, type Moto } from '../harness/moto.ts';
import { startDynamoLocal, type DynamoLocal } from '../harness/dynamodb.ts';
import { startFaultProxy, type FaultProxy } from '../harness/faults.ts';
import { startLambdaRuntime, type LambdaRuntime } from '../harness/lambda-runtime.ts';
import { EcsFixture } from '../helpers/aws-resources.ts';
import { startService, type CountingService } from '../helpers/scale-server.ts';
import { DynamoDbStateStore } from '../../src/state/dynamodb.ts';
import { targetKey } from '../../src/model/target-key.ts';

let moto: Moto;
let ddb: DynamoLocal;
let slow: CountingService;
let ecs: EcsFixture;
const stops: (() => Promise<void>)[] = [];
const TABLE = 'scaler-lambda-runtime';
const saved = { ...process.env };

before(async () => {
  Object.assign(process.env, MOTO_CREDENTIALS);
  [moto, ddb, slow] = await Promise.all([
    startMoto({ MOTO_ECS_SERVICE_RUNNING: '3' }),
    startDynamoLocal(),
    startService(30),
  ]);
  ecs = new EcsFixture(moto.endpoint);
  await state('k').createTable();
});
after(async () => {
  await Promise.all([...stops.map((s) => s()), slow?.close(), moto?.stop(), ddb?.stop()]);
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

/** The function's configuration (SCALER_CONFIG_YAML), scaling `service` in `cluster` through `endpoint`. */
function scalerYaml(cluster: string, endpoint: string, loadTest = '{ duration: 1s }'): string {
  return `target: { kind: ecs-service, cluster: ${cluster}, service: web, endpoint: ${endpoint} }
loadTest: { host: ${slow.url}, users: 2, requests: [{ method: GET, path: /a }], ${loadTest.slice(1, -1)} }
targets: [{ method: GET, endpoint: /a, type: mean, target: 5 }]
state: { store: dynamodb, table: ${TABLE}, endpoint: ${ddb.endpoint} }
`;
}

async function runtime(timeoutS: number, yaml: string): Promise<LambdaRuntime> {
  const r = await startLambdaRuntime({ timeoutS, env: { ...MOTO_CREDENTIALS, SCALER_CONFIG_YAML: yaml } });
  stops.push(r.stop);
  return r;
}

/** EventBridge's scheduled event, as the Schedule event source delivers it (no Input: its own id). */
const tick = (id: string) => ({
  version: '0',
  id,
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-12-02T10:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/latency-scaler-Tick'],
  detail: {},
});

describe('dist/scale.js under the Lambda Runtime Interface Emulator', () => {
  it('a scheduled event decides and scales; the same event delivered again is skipped', async () => {
    await ecs.service('rt', 'web', 2);
    const fn = await runtime(30, scalerYaml('rt', moto.endpoint));
    const first = await fn.invoke(tick('8d3a-0001'));
    const record = first.body as { action: string; current: number; applied: number; message: string };
    assert.equal(first.status, 200, fn.output());
    assert.deepEqual([record.action, record.current, record.applied], ['up', 2, 3], JSON.stringify(first.body));
    assert.equal(await ecs.desired('rt', 'web'), 3);
    // The log line CloudWatch would keep: the decision, its reason and change.
    assert.match(
      fn.output(),
      /"level":"info","msg":"scale up 2→3: GET \/a mean [\d.]+ ms > 5 ms".*"reason":"TargetBreached"/,
    );
    const probes = slow.requests;
    const again = await fn.invoke(tick('8d3a-0001'));
    assert.deepEqual(
      {
        duplicate: (again.body as { duplicate?: boolean }).duplicate,
        eventId: (again.body as { eventId?: string }).eventId,
      },
      { duplicate: true, eventId: '8d3a-0001' },
      JSON.stringify(again.body),
    );
    assert.equal(slow.requests, probes, 'the redelivery sent no load');
    assert.equal(await ecs.desired('rt', 'web'), 3);
    const key = targetKey({ kind: 'ecs-service', cluster: 'rt', service: 'web', endpoint: moto.endpoint });
    const { record: stored } = await state(key).read();
    assert.deepEqual([stored?.history.length, stored?.lastEventId, stored?.lastReplicas], [1, '8d3a-0001', 3]);
  });

  it('a function timeout shorter than the load test: refused at once with the time left the runtime gave', async () => {
    await ecs.service('short', 'web', 2);
    const fn = await runtime(8, scalerYaml('short', moto.endpoint, '{ duration: 20s }'));
    const probes = slow.requests;
    const r = await fn.invoke(tick('8d3a-0002'));
    const error = r.body as { errorType: string; errorMessage: string };
    assert.equal(error.errorType, 'ConfigError', JSON.stringify(r.body));
    assert.match(
      error.errorMessage,
      /Lambda Timeout: [67]s left in this invocation, but the load test needs about 30s plus 5s to decide and apply: raise the function's Timeout or shorten loadTest\.duration\. Nothing was sent or written\./,
    );
    assert.ok(r.ms < 4_000, `answered in ${r.ms} ms, long before the 8 s timeout`);
    assert.equal(slow.requests, probes, 'no load sent');
    assert.equal(await ecs.desired('short', 'web'), 2);
  });

  it("a run the deadline overtakes (its target read hangs): INTERRUPTED, 5 s before the runtime's kill, nothing written", async () => {
    await ecs.service('late', 'web', 2);
    const proxy: FaultProxy = await startFaultProxy({ upstream: moto.endpoint });
    stops.push(() => proxy.close());
    proxy.inject({ body: (b) => b.includes('"include":["TAGS"]'), times: Infinity, fault: { kind: 'hang' } });
    // 1 s of load and a 1 s request timeout fit a 9 s function with the 5 s margin; the hung read does not.
    const fn = await runtime(9, scalerYaml('late', proxy.url, '{ duration: 1s, timeout: 1s }'));
    const r = await fn.invoke(tick('8d3a-0003'));
    const error = r.body as { errorType: string; errorMessage: string };
    assert.equal(error.errorType, 'InterruptedError', JSON.stringify(r.body));
    assert.match(
      error.errorMessage,
      /the run's deadline passed \(the invocation's time limit is near\): no decision made/,
    );
    assert.ok(r.ms >= 3_000 && r.ms < 7_000, `ended after ${r.ms} ms: about 4 s (9 s less the 5 s margin)`);
    assert.doesNotMatch(fn.output(), /Task timed out/);
    const key = targetKey({ kind: 'ecs-service', cluster: 'late', service: 'web', endpoint: proxy.url });
    assert.deepEqual(await state(key).read(), { record: null, version: null });
    assert.equal(await ecs.desired('late', 'web'), 2);
  });
});
