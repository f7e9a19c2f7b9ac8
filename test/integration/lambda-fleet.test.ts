// A fleet in one Lambda invocation is idempotent as a single target is: EventBridge may deliver one
// tick twice, and the redelivery runs no member again (each member's record keeps the event id).
// Through the handler, with DynamoDB Local for the state and two webhook targets.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDynamoLocal, LOCAL_CREDENTIALS, type DynamoLocal } from '../harness/dynamodb.ts';
import { startScaleServer, startService, type CountingService, type ScaleServer } from '../helpers/scale-server.ts';
import { DynamoDbStateStore } from '../../src/state/dynamodb.ts';
import { targetKey } from '../../src/model/target-key.ts';
import { handler, type FleetInvocationResult } from '../../src/lambda.ts';

let ddb: DynamoLocal;
const saved = { ...process.env };
before(async () => {
  Object.assign(process.env, LOCAL_CREDENTIALS);
  ddb = await startDynamoLocal();
});
after(async () => {
  await ddb?.stop();
  process.env = saved;
});

const store = (table: string, key: string) =>
  new DynamoDbStateStore({
    table,
    endpoint: ddb.endpoint,
    region: 'eu-west-1',
    targetKey: key,
    requestTimeoutMs: 5_000,
  });

/** One document per scale server, each probing a service that answers in 30 ms, above its 5 ms target. */
function fleetYaml(table: string, servers: ScaleServer[], service: CountingService): string {
  return servers
    .map(
      (s) => `target: { kind: http, url: ${s.url} }
loadTest: { host: ${service.url}, users: 1, duration: 1s, requests: [{ method: GET, path: /a }] }
targets: [{ method: GET, endpoint: /a, type: mean, target: 5 }]
state: { store: dynamodb, table: ${table}, endpoint: ${ddb.endpoint} }
`,
    )
    .join('---\n');
}

it('a redelivered schedule event to a fleet of two runs no member twice: one scale-up each, one decision each', async () => {
  const table = 'fleet-redelivery';
  await store(table, 'k').createTable();
  const servers = [await startScaleServer(2), await startScaleServer(2)];
  const service = await startService(30);
  try {
    process.env['SCALER_CONFIG_YAML'] = fleetYaml(table, servers, service);
    const event = {
      id: 'f1eet-0001',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2026-12-02T10:00:00Z',
    };
    const first = (await handler(event)) as FleetInvocationResult;
    assert.equal(first.exitCode, 0, first.summary);
    assert.deepEqual(
      servers.map((s) => s.writes),
      [[3], [3]],
      'the first delivery scales each member up once',
    );
    const reads = servers.map((s) => s.reads);
    const probes = service.requests;
    const again = (await handler(event)) as FleetInvocationResult & { duplicate?: boolean };
    assert.deepEqual(
      servers.map((s) => s.writes),
      [[3], [3]],
      'the redelivery scales nothing again',
    );
    assert.deepEqual(
      servers.map((s) => s.reads),
      reads,
      'nor reads a target',
    );
    assert.equal(service.requests, probes, 'nor sends load');
    assert.equal(again.duplicate, true, JSON.stringify(again));
    assert.equal(again.summary, '0 decided, 2 skipped (event f1eet-0001 already handled)');
    for (const s of servers) {
      const { record } = await store(table, targetKey({ kind: 'http', url: s.url, headers: {} })).read();
      assert.equal(record?.history.length, 1);
      assert.equal(record?.lastEventId, event.id);
    }
    // The next tick is a new event: every member runs.
    const next = (await handler({ ...event, id: 'f1eet-0002' })) as FleetInvocationResult;
    assert.equal(next.exitCode, 0, next.summary);
    assert.deepEqual(
      servers.map((s) => s.writes),
      [
        [3, 4],
        [3, 4],
      ],
    );
  } finally {
    delete process.env['SCALER_CONFIG_YAML'];
    await Promise.all([...servers.map((s) => s.close()), service.close()]);
  }
});
