// The DynamoDB state store and the Lambda handler against AWS's DynamoDB Local.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDynamoLocal, LOCAL_CREDENTIALS, type DynamoLocal } from '../harness/dynamodb.ts';
import { serve } from '../helpers/servers.ts';
import { runBundle } from '../helpers/cli.ts';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScaleServer } from '../helpers/scale-server.ts';
import { DynamoDbStateStore } from '../../src/state/dynamodb.ts';
import { emptyRecord } from '../../src/model/state-record.ts';
import { bigRecord } from '../helpers/records.ts';
import { ConflictError } from '../../src/errors.ts';
import { runOnce } from '../../src/run.ts';
import { HttpScaleTarget } from '../../src/target/http.ts';
import { validateConfig } from '../../src/config/validate.ts';
import { targetKey } from '../../src/model/target-key.ts';
import { silentLogger } from '../../src/report/log.ts';
import type { LoadTestEngine, Observations } from '../../src/loadtest/types.ts';
import { handler } from '../../src/lambda.ts';

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

let n = 0;
const store = (table: string, key = 'k', endpoint = ddb.endpoint) =>
  new DynamoDbStateStore({
    table,
    endpoint,
    region: 'eu-west-1',
    targetKey: key,
    maxAttempts: 4,
    requestTimeoutMs: 5_000,
  });
const newTable = async (): Promise<string> => {
  const name = `scaler-${++n}`;
  assert.equal(await store(name).createTable(), 'created');
  return name;
};

/** The load engine is not under test here: fixed observations, as a real run would produce. */
function fixedEngine(mean: number): LoadTestEngine {
  return {
    async run(): Promise<Observations> {
      const s = {
        name: 'GET /a',
        count: 100,
        failures: 0,
        rps: 50,
        min: mean,
        max: mean,
        mean,
        median: mean,
        percentiles: {},
        failuresByKind: {},
      };
      return {
        engine: 'local',
        startedAt: new Date().toISOString(),
        measuredMs: 1000,
        requests: { 'GET /a': s },
        aggregated: s,
      };
    },
  };
}

describe('DynamoDB state store (DynamoDB Local)', () => {
  it('creates the table once, reads nothing, writes, updates on the version read', async () => {
    const table = await newTable();
    assert.equal(await store(table).createTable(), 'exists');
    const s = store(table);
    assert.deepEqual(await s.read(), { record: null, version: null });
    await s.write({ ...emptyRecord('k'), calmRuns: 1 }, null);
    const first = await s.read();
    assert.equal(first.version, '1');
    assert.equal(first.record?.calmRuns, 1);
    await s.write({ ...first.record!, calmRuns: 2 }, first.version);
    assert.equal((await s.read()).version, '2');
  });

  it('a write on a stale version, or a second first write, is a conflict and changes nothing', async () => {
    const table = await newTable();
    const s = store(table);
    await s.write(emptyRecord('k'), null);
    await assert.rejects(s.write({ ...emptyRecord('k'), calmRuns: 9 }, null), ConflictError);
    await assert.rejects(s.write({ ...emptyRecord('k'), calmRuns: 9 }, '7'), ConflictError);
    const now = await s.read();
    assert.equal(now.version, '1');
    assert.equal(now.record?.calmRuns, 0);
  });

  it('a missing table says how to create it', async () => {
    await assert.rejects(store('no-such-table').read(), /ResourceNotFoundException.*latency-scaler state init/);
  });

  it('ten concurrent invocations on the same target: exactly one applies, history shows one decision', async () => {
    const table = await newTable();
    const scale = await startScaleServer(2);
    try {
      const config = validateConfig(
        {
          target: { kind: 'http', url: scale.url },
          loadTest: { host: 'http://127.0.0.1:9', requests: [{ method: 'GET', path: '/a' }] },
          targets: [{ method: 'GET', endpoint: '/a', type: 'mean', target: 5 }],
          state: { store: 'dynamodb', table, endpoint: ddb.endpoint },
        },
        { source: 'test', requireTarget: true, environment: 'local' },
      );
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () =>
          runOnce(
            config,
            {
              store: store(table, targetKey(config.target)),
              target: new HttpScaleTarget(config.target as never, config.api.timeout),
              engine: async () => fixedEngine(12),
              now: Date.now,
              log: silentLogger,
            },
            { dryRun: false },
          ),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results)
        if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError, String(r.reason));
      assert.deepEqual(scale.writes, [3]);
      const { record } = await store(table, targetKey(config.target)).read();
      assert.equal(record?.history.length, 1);
    } finally {
      await scale.close();
    }
  });

  it('a history of 1000 five-target decisions (past the 400 KB item limit) is trimmed oldest first and still written', async () => {
    const table = await newTable();
    const s = store(table);
    const record = bigRecord('k', 1000, 5);
    assert.ok(Buffer.byteLength(JSON.stringify(record)) > 400_000, 'the test record is larger than an item may be');
    await s.write(record, null);
    const { record: stored, version } = await s.read();
    assert.equal(version, '1');
    assert.ok(stored!.history.length < 1000 && stored!.history.length > 300, `${stored!.history.length} entries kept`);
    assert.deepEqual(stored!.history.at(-1), record.history.at(-1), 'the newest decision is kept');
    await s.write({ ...stored!, calmRuns: 1 }, version); // and the next write fits too
  });

  it('throttling is retried with backoff', async () => {
    const table = await newTable();
    let throttled = 0;
    const proxy: Server = createServer((req, res) => {
      if (throttled < 2) {
        throttled++;
        req.resume();
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'ThrottlingException' });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
            message: 'Rate of requests exceeds the allowed throughput.',
          }),
        );
        return;
      }
      const up = new URL(ddb.endpoint);
      const fwd = httpRequest(
        { host: up.hostname, port: up.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 500, r.headers);
          r.pipe(res);
        },
      );
      req.pipe(fwd);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const s = store(table, 'k', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
      assert.deepEqual(await s.read(), { record: null, version: null });
      assert.equal(throttled, 2);
    } finally {
      proxy.close();
    }
  });
});

describe('the Lambda handler', () => {
  const yaml = (table: string, url: string) => `target: { kind: http, url: ${url} }
loadTest: { host: http://127.0.0.1:9, users: 1, duration: 1s, requests: [{ method: GET, path: /a }] }
targets: [{ method: GET, endpoint: /a, type: mean, target: 5 }]
state: { store: dynamodb, table: ${table}, endpoint: ${ddb.endpoint} }
`;

  it('runs one cycle from a schedule event and returns the decision record (probe failure rejects)', async () => {
    const table = await newTable();
    const scale = await startScaleServer(2);
    try {
      process.env['SCALER_CONFIG_YAML'] = yaml(table, scale.url);
      // The service at 127.0.0.1:9 is down: a probe failure, which must reject (the platform records it).
      await assert.rejects(
        handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString() }),
        (e: Error & { code?: string }) =>
          e.code === 'PROBE_FAILED' && /could not measure the service: hold at 2: probe failed/.test(e.message),
      );
      const key = targetKey({ kind: 'http', url: scale.url, headers: {} });
      const { record } = await store(table, key).read();
      assert.equal(record?.history.length, 1);
      // The service up (the scale server answers GET /a too): the decision record is returned and stored.
      const service = scale.url.replace('/replicas', '');
      const held = await handler({ overrides: { 'loadTest.host': service, 'targets[0]': undefined } }).catch(
        (e: Error) => e,
      );
      assert.ok(held instanceof Error, 'an unknown override path is refused');
      const ok = (await handler({ overrides: { 'loadTest.host': service } })) as {
        action: string;
        message: string;
        applied: number;
      };
      assert.match(ok.message, /GET \/a mean/);
      assert.equal((await store(table, key).read()).record?.history.length, 2);
      // A dry run: decision returned, nothing stored.
      const result = (await handler({
        dryRun: true,
        overrides: { 'loadTest.host': scale.url.replace('/replicas', '') },
      })) as { dryRun: boolean; message: string };
      assert.equal(result.dryRun, true);
      assert.match(result.message, /GET \/a mean/);
      assert.equal((await store(table, key).read()).record?.history.length, 2);
    } finally {
      delete process.env['SCALER_CONFIG_YAML'];
      await scale.close();
    }
  });

  it('a redelivered schedule event (same id) is skipped: one load test, one decision', async () => {
    const table = await newTable();
    const scale = await startScaleServer(2);
    try {
      process.env['SCALER_CONFIG_YAML'] = yaml(table, scale.url).replace(
        'http://127.0.0.1:9',
        scale.url.replace('/replicas', ''),
      );
      const event = {
        id: 'c5a1b7e2-0001',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        time: new Date().toISOString(),
      };
      const first = (await handler(event)) as { message: string };
      assert.match(first.message, /GET \/a mean/);
      const readsAfterFirst = scale.reads;
      const again = (await handler(event)) as { duplicate?: boolean; eventId?: string };
      assert.deepEqual({ duplicate: again.duplicate, eventId: again.eventId }, { duplicate: true, eventId: event.id });
      assert.equal(scale.reads, readsAfterFirst, 'the redelivery read nothing and sent no load');
      const key = targetKey({ kind: 'http', url: scale.url, headers: {} });
      const { record } = await store(table, key).read();
      assert.equal(record?.history.length, 1);
      assert.equal(record?.lastEventId, event.id);
      await handler({ ...event, id: 'c5a1b7e2-0002' });
      assert.equal((await store(table, key).read()).record?.history.length, 2, 'the next tick runs');
    } finally {
      delete process.env['SCALER_CONFIG_YAML'];
      await scale.close();
    }
  });

  it('an invocation whose time limit cannot fit the load test is refused before any load; a near deadline interrupts', async () => {
    const table = await newTable();
    const scale = await startScaleServer(2);
    try {
      process.env['SCALER_CONFIG_YAML'] = yaml(table, scale.url).replace(
        'http://127.0.0.1:9',
        scale.url.replace('/replicas', ''),
      );
      const short = { getRemainingTimeInMillis: () => 3_000 };
      await assert.rejects(
        handler({ overrides: { 'loadTest.duration': '5s' } }, short),
        /Lambda Timeout: 3s left in this invocation, but the load test needs about 15s plus 5s/, // 5 s + a 10 s timeout
      );
      assert.equal(scale.reads, 0, 'nothing read, no load sent');
      // Time enough for the estimate, but the scale target answers slowly: the deadline (the remaining
      // time less the margin to decide and apply) interrupts the run, and nothing is written.
      const slowTarget = await serve((_req, res) => void setTimeout(() => res.end('{"replicas": 2}'), 3_000));
      try {
        process.env['SCALER_CONFIG_YAML'] = yaml(table, `${slowTarget.url}/replicas`);
        const started = Date.now();
        await assert.rejects(
          handler(
            { overrides: { 'loadTest.duration': '500ms', 'loadTest.timeout': '200ms' } },
            { getRemainingTimeInMillis: () => 5_900 },
          ),
          (e: Error & { code?: string }) => e.code === 'INTERRUPTED' && /deadline passed/.test(e.message),
        );
        assert.ok(Date.now() - started < 2_000, `${Date.now() - started} ms`);
        const key = targetKey({ kind: 'http', url: `${slowTarget.url}/replicas`, headers: {} });
        assert.deepEqual(await store(table, key).read(), { record: null, version: null });
      } finally {
        await slowTarget.close();
      }
    } finally {
      delete process.env['SCALER_CONFIG_YAML'];
      await scale.close();
    }
  });

  it('status reads the DynamoDB record (no load)', async () => {
    const table = await newTable();
    const scale = await startScaleServer(2);
    try {
      const path = join(tmpdir(), `status-${table}.yaml`);
      writeFileSync(path, yaml(table, scale.url).replace('http://127.0.0.1:9', scale.url.replace('/replicas', '')));
      const env = { ...LOCAL_CREDENTIALS };
      assert.equal((await runBundle(['run', '-c', path, '-o', 'json'], { env })).code, 0);
      const r = await runBundle(['status', '-c', path, '-o', 'json'], { env });
      assert.equal(r.code, 0, r.stderr);
      const [row] = JSON.parse(r.stdout) as { replicas: number; state: string; lastDecision: string }[];
      assert.equal(row!.replicas, 2);
      assert.match(row!.state, new RegExp(`^dynamodb ${table}\\[`));
      assert.match(row!.lastDecision, /GET \/a mean/);
    } finally {
      await scale.close();
    }
  });

  it('a bad event or config rejects with a clear message and writes nothing', async () => {
    const table = await newTable();
    process.env['SCALER_CONFIG_YAML'] = yaml(table, 'http://127.0.0.1:9/replicas');
    try {
      await assert.rejects(
        handler({ overrides: 'users=3' }),
        /event\.overrides: "users=3" is not an object of setting paths/,
      );
      await assert.rejects(handler({ dryRun: 'yes' }), /event\.dryRun: "yes" is not true or false/);
      await assert.rejects(
        handler({ overrides: { 'loadTest.users': -2 } }),
        /loadTest\.users \(from override loadTest\.users\): -2 is below the minimum 1/,
      );
      await assert.rejects(handler('tick'), /event: "tick" is not an object/);
      process.env['SCALER_CONFIG_YAML'] = 'targets: [';
      await assert.rejects(handler({}), /malformed YAML/);
      assert.deepEqual(
        await store(table, targetKey({ kind: 'http', url: 'http://127.0.0.1:9/replicas', headers: {} })).read(),
        { record: null, version: null },
      );
    } finally {
      delete process.env['SCALER_CONFIG_YAML'];
    }
  });
});
