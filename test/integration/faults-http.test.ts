// Faults at the other boundaries, each behind the fault-injecting proxy, through the bundle: DynamoDB
// Local (the state), the webhook scale target, the probed service, and a Locust master. After each:
// the exit code, the message, and that the state and the replica count agree.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as wait } from 'node:timers/promises';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoLocal, LOCAL_CREDENTIALS, type DynamoLocal } from '../harness/dynamodb.ts';
import { answers, startFaultProxy, type FaultProxy } from '../harness/faults.ts';
import { startLocust, type LocustCluster } from '../harness/locust.ts';
import { BUNDLE, messages, runBundle } from '../helpers/cli.ts';
import { startScaleServer, startService, type CountingService, type ScaleServer } from '../helpers/scale-server.ts';
import { DynamoDbStateStore } from '../../src/state/dynamodb.ts';
import { targetKey } from '../../src/model/target-key.ts';

let dir: string;
let service: CountingService;
let ddb: DynamoLocal;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-hfaults-'));
  service = await startService(30); // the generator's own delay on a busy machine is no material part of it
  ddb = await startDynamoLocal();
});
after(async () => {
  await service?.close();
  await ddb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function config(opts: {
  target: string;
  host?: string;
  state: string;
  limit?: number;
  extra?: string;
  timeout?: string;
  api?: string;
}): string {
  const path = join(dir, `scaler-${++n}.yaml`);
  writeFileSync(
    path,
    `target: { kind: http, url: ${opts.target} }
replicas: { min: 1, max: 5 }
loadTest: { host: ${opts.host ?? service.url}, users: 2, duration: 500ms, timeout: ${opts.timeout ?? '300ms'}, requests: [{ method: GET, path: /fib }] }
targets: [{ method: GET, endpoint: /fib, type: mean, target: ${opts.limit ?? 0.001} }]
state: ${opts.state}
api: ${opts.api ?? '{ timeout: 1s, retryFor: 2s }'}
${opts.extra ?? ''}`,
  );
  return path;
}

const run = (path: string, env: Record<string, string> = {}) =>
  runBundle(['run', '-c', path, '-o', 'json'], { env, timeoutMs: 60_000 });

describe('faults at DynamoDB (the state)', () => {
  let proxy: FaultProxy;
  let table: string;
  const env = { ...LOCAL_CREDENTIALS };
  before(async () => {
    Object.assign(process.env, LOCAL_CREDENTIALS); // for the store this test reads directly
    proxy = await startFaultProxy({ upstream: ddb.endpoint });
  });
  after(() => proxy.close());

  async function scene(
    opts: { api?: string } = {},
  ): Promise<{ scale: ScaleServer; path: string; store: DynamoDbStateStore }> {
    table = `faults-${++n}`;
    const where = { table, endpoint: ddb.endpoint, region: 'eu-west-1', requestTimeoutMs: 5_000 };
    const direct = new DynamoDbStateStore({ ...where, targetKey: 'x' });
    await direct.createTable();
    const scale = await startScaleServer(2);
    const path = config({
      target: scale.url,
      state: `{ store: dynamodb, table: ${table}, endpoint: ${proxy.url}, region: eu-west-1 }`,
      ...opts,
    });
    const key = targetKey({ kind: 'http', url: scale.url, headers: {} });
    return {
      scale,
      path,
      store: new DynamoDbStateStore({ ...where, targetKey: key }),
    };
  }
  const isPut = (body: string): boolean => body.includes('"ConditionExpression"');

  it('the PutItem applied but its answer lost: the SDK retries, meets its own write — recognised, applied once, exit 0', async () => {
    const { scale, path, store } = await scene();
    try {
      proxy.inject({ method: 'POST', body: isPut, fault: { kind: 'lostAnswer' } });
      const r = await run(path, env);
      assert.equal(r.code, 0, messages(r.stderr));
      assert.match(messages(r.stderr), /the claim is ours/);
      assert.deepEqual(scale.writes, [3]);
      const { record } = await store.read();
      assert.equal(record?.lastReplicas, 3);
      assert.equal(record?.history.length, 1);
    } finally {
      await scale.close();
    }
  });

  it('ProvisionedThroughputExceeded on the write, then through: retried by the SDK, a normal run', async () => {
    const { scale, path, store } = await scene();
    try {
      proxy.inject({
        method: 'POST',
        body: isPut,
        times: 2,
        fault: answers.dynamo(400, 'ProvisionedThroughputExceededException', 'slow down'),
      });
      const r = await run(path, env);
      assert.equal(r.code, 0, messages(r.stderr));
      assert.deepEqual(scale.writes, [3]);
      assert.equal((await store.read()).record?.lastReplicas, 3);
    } finally {
      await scale.close();
    }
  });

  it('InternalServerError on every write: exit 1 naming DynamoDB and the cause; nothing applied, nothing stored', async () => {
    const { scale, path, store } = await scene();
    try {
      proxy.inject({
        method: 'POST',
        body: isPut,
        times: Infinity,
        fault: answers.dynamo(500, 'InternalServerError', 'internal'),
      });
      const r = await run(path, env);
      assert.equal(r.code, 1);
      assert.match(messages(r.stderr), /dynamodb faults-\d+\[.*\]: write \(PutItem\) failed: InternalServerError/);
      assert.deepEqual(scale.writes, []);
      assert.equal((await store.read()).record, null);
    } finally {
      proxy.clear();
      await scale.close();
    }
  });

  it('no answer at all: exit 1, "DynamoDB at http://…: no answer within 1 s", nothing applied', async () => {
    const { scale, path } = await scene();
    try {
      proxy.inject({ method: 'POST', times: Infinity, fault: { kind: 'hang' } });
      const r = await run(path, env);
      assert.equal(r.code, 1);
      assert.match(
        messages(r.stderr),
        /read \(GetItem\) failed: DynamoDB at http:\/\/127\.0\.0\.1:\d+: no answer within 1 s/,
      );
      assert.deepEqual(scale.writes, []);
    } finally {
      proxy.clear();
      await scale.close();
    }
  });

  it('SIGTERM while the claim (the PutItem) gets no answer: cut within the grace, nothing applied, exit 1', async () => {
    // Each attempt waits api.timeout (4 s) for an answer, and the SDK makes six: the claim alone would
    // outlast the pod's SIGKILL. A 3 s grace cuts it 0.5 s after the signal.
    const { scale, path } = await scene({ api: '{ timeout: 4s, retryFor: 30s, graceAfterSignal: 3s }' });
    try {
      proxy.inject({ method: 'POST', body: isPut, times: Infinity, fault: { kind: 'hang' } });
      const seen = proxy.log.length; // earlier tests' hangs are in the log too
      const child = spawn(process.execPath, [BUNDLE, 'run', '-c', path, '-o', 'json'], {
        env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c) => (stderr += c));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      try {
        // Once the claim's PutItem is waiting for its answer.
        while (!proxy.log.slice(seen).some((e) => e.method === 'POST' && e.fault === 'hang')) await wait(50);
        const sentAt = Date.now();
        child.kill('SIGTERM');
        const code = await exited;
        const tookMs = Date.now() - sentAt;
        assert.equal(code, 1, messages(stderr));
        assert.ok(tookMs < 3000, `took ${tookMs} ms after the signal, past its 3 s grace`);
        assert.match(
          messages(stderr),
          /dynamodb faults-\d+\[.*\]: the claim was cut short: .*within 3\.0 s of the signal .*nothing applied/,
        );
      } finally {
        clearTimeout(killer);
      }
      assert.deepEqual(scale.writes, [], 'nothing applied');
    } finally {
      proxy.clear();
      await scale.close();
    }
  });

  it('refused: exit 1, "connection refused", nothing applied', async () => {
    const { scale, path } = await scene();
    await proxy.refuse(true);
    try {
      const r = await run(path, env);
      assert.equal(r.code, 1);
      assert.match(messages(r.stderr), /DynamoDB at http:\/\/127\.0\.0\.1:\d+: connection refused/);
      assert.deepEqual(scale.writes, []);
    } finally {
      await proxy.refuse(false);
      await scale.close();
    }
  });
});

describe('faults at the webhook scale target', () => {
  let proxy: FaultProxy;
  let scale: ScaleServer;
  before(async () => {
    scale = await startScaleServer(2);
    proxy = await startFaultProxy({ upstream: scale.url.replace('/replicas', '') });
  });
  after(async () => {
    await proxy.close();
    await scale.close();
  });

  function scene(): { path: string; state: string } {
    scale.replicas = 2;
    scale.writes.length = 0;
    proxy.clear();
    const state = join(dir, `webhook-${++n}.json`);
    return { path: config({ target: `${proxy.url}/replicas`, state: `{ store: file, path: ${state} }` }), state };
  }
  const recorded = (state: string): { lastReplicas: number | null; history: unknown[] } | undefined =>
    existsSync(state)
      ? (JSON.parse(readFileSync(state, 'utf8')) as { record: { lastReplicas: number | null; history: unknown[] } })
          .record
      : undefined;

  it('the PUT applied but its answer lost: read again, at the applied count — success, exit 0, written once', async () => {
    const { path, state } = scene();
    proxy.inject({ method: 'PUT', fault: { kind: 'lostAnswer' } });
    const r = await run(path);
    assert.equal(r.code, 0, messages(r.stderr));
    assert.match(messages(r.stderr), /the change is in place/);
    assert.deepEqual(scale.writes, [3]);
    assert.equal(recorded(state)?.lastReplicas, 3);
  });

  it('409 on the PUT: the count changed under us — exit 3, the claim put back', async () => {
    const { path, state } = scene();
    proxy.inject({ method: 'PUT', fault: { kind: 'status', status: 409, body: '{"error":"replicas are 4"}' } });
    const r = await run(path);
    assert.equal(r.code, 3, messages(r.stderr));
    assert.deepEqual(scale.writes, []);
    assert.equal(recorded(state)?.lastReplicas ?? null, null, 'no decision recorded');
  });

  for (const status of [500, 503, 429]) {
    it(`${status} on the PUT: exit 1, the claim put back, replicas unchanged`, async () => {
      const { path, state } = scene();
      proxy.inject({ method: 'PUT', fault: { kind: 'status', status, headers: { 'retry-after': '1' }, body: 'no' } });
      const r = await run(path);
      assert.equal(r.code, 1, messages(r.stderr));
      assert.match(messages(r.stderr), new RegExp(`answered HTTP ${status}`));
      assert.equal(scale.replicas, 2);
      assert.equal(recorded(state)?.lastReplicas ?? null, null);
    });
  }

  it('no answer to the GET: exit 1, "no answer within 1 s", no load sent, nothing written', async () => {
    const { path, state } = scene();
    proxy.inject({ method: 'GET', fault: { kind: 'hang' } });
    const before = service.requests;
    const r = await run(path);
    assert.equal(r.code, 1);
    assert.match(
      messages(r.stderr),
      /the http scale target: GET http:\/\/127\.0\.0\.1:\d+\/replicas failed: no answer within 1 s/,
    );
    assert.equal(service.requests, before);
    assert.ok(!existsSync(state));
  });

  it('refused: exit 1, "connection refused", nothing written', async () => {
    const { path, state } = scene();
    await proxy.refuse(true);
    try {
      const r = await run(path);
      assert.equal(r.code, 1);
      assert.match(messages(r.stderr), /failed: connection refused/);
      assert.ok(!existsSync(state));
    } finally {
      await proxy.refuse(false);
    }
  });
});

describe('faults at the probed service', () => {
  let proxy: FaultProxy;
  let scale: ScaleServer;
  before(async () => {
    proxy = await startFaultProxy({ upstream: service.url });
  });
  after(() => proxy.close());

  async function runAgainst(
    limit: number,
    timeout?: string,
  ): Promise<{ code: number | null; record: { action: string; reason: string; message: string } }> {
    scale = await startScaleServer(3);
    try {
      const path = config({
        target: scale.url,
        host: proxy.url,
        limit,
        ...(timeout ? { timeout } : {}),
        state: `{ store: file, path: ${join(dir, `probe-${++n}.json`)} }`,
      });
      const r = await run(path);
      return { code: r.code, record: JSON.parse(r.stdout) };
    } finally {
      await scale.close();
    }
  }

  it('refused (nothing reached): a probe failure — hold, exit 1', async () => {
    await proxy.refuse(true);
    try {
      const { code, record } = await runAgainst(1000);
      assert.equal(code, 1);
      assert.equal(record.reason, 'ProbeFailed');
      assert.match(
        record.message,
        /the service could not be reached: 100% of requests failed \(connection refused \d+\)/,
      );
    } finally {
      await proxy.refuse(false);
    }
  });

  it('no answers (hang): timeouts count at their timeout — a breach, scale up', async () => {
    proxy.inject({ times: Infinity, fault: { kind: 'hang' } });
    try {
      const { code, record } = await runAgainst(100);
      assert.equal(code, 0);
      assert.equal(record.action, 'up', record.message);
    } finally {
      proxy.clear();
    }
  });

  it('no answers (hang), the timeout (1 s) longer than the test (500 ms): awaited, timeouts — a breach, scale up', async () => {
    proxy.inject({ times: Infinity, fault: { kind: 'hang' } });
    try {
      const { code, record } = await runAgainst(100, '1s');
      assert.equal(code, 0, record.message);
      assert.equal(record.action, 'up', record.message);
      assert.match(record.message, /mean 1\d{3}(\.\d+)? ms > 100 ms/);
    } finally {
      proxy.clear();
    }
  });

  it('slow answers (600 ms) that end after the 500 ms test: measured, a breach, scale up', async () => {
    proxy.inject({ times: Infinity, fault: { kind: 'slow', afterMs: 600 } });
    try {
      const { code, record } = await runAgainst(100, '2s');
      assert.equal(code, 0, record.message);
      assert.equal(record.action, 'up', record.message);
    } finally {
      proxy.clear();
    }
  });

  it('slow answers: a breach, scale up', async () => {
    proxy.inject({ times: Infinity, fault: { kind: 'slow', afterMs: 50 } });
    try {
      const { record } = await runAgainst(20);
      assert.equal(record.action, 'up', record.message);
    } finally {
      proxy.clear();
    }
  });

  for (const fault of [
    { kind: 'status', status: 503 },
    { kind: 'status', status: 429 },
    { kind: 'reset', afterBytes: 0 },
    { kind: 'lostAnswer' },
  ] as const) {
    it(`every answer ${fault.kind === 'status' ? `a ${fault.status}` : fault.kind}: a failing service — hold, never down`, async () => {
      proxy.inject({ times: Infinity, fault });
      try {
        const { code, record } = await runAgainst(1000);
        assert.equal(code, 0);
        assert.equal(record.reason, 'FailingService', record.message);
        assert.equal(record.action, 'hold');
      } finally {
        proxy.clear();
      }
    });
  }
});

describe('faults at a Locust master', () => {
  let locust: LocustCluster;
  let proxy: FaultProxy;
  let scale: ScaleServer;
  before(async () => {
    locust = await startLocust({ locustfile: 'test/fixtures/locustfile.py', workers: 0 });
    proxy = await startFaultProxy({ upstream: locust.url });
    scale = await startScaleServer(2);
  });
  after(async () => {
    await proxy?.close();
    await scale?.close();
    await locust?.stop();
  });

  const locustConfig = (): string => {
    const path = join(dir, `locust-${++n}.yaml`);
    writeFileSync(
      path,
      `target: { kind: http, url: ${scale.url} }
loadTest: { host: ${service.url}, engine: locust, users: 2, duration: 1s, locust: { url: ${proxy.url} } }
targets: [{ method: GET, endpoint: /fib, type: mean, target: 1000 }]
state: { store: file, path: ${join(dir, `locust-${n}.json`)} }
`,
    );
    return path;
  };

  it('refused: a probe failure naming the master — hold, exit 1, never down', async () => {
    await proxy.refuse(true);
    try {
      const r = await run(locustConfig());
      assert.equal(r.code, 1, r.stderr);
      const record = JSON.parse(r.stdout);
      assert.equal(record.reason, 'ProbeFailed');
      assert.match(
        record.message,
        /locust master http:\/\/127\.0\.0\.1:\d+: reset the statistics \(POST \/stats\/reset\) failed/,
      );
      assert.deepEqual(scale.writes, []);
    } finally {
      await proxy.refuse(false);
    }
  });

  it('the answer to /swarm lost (a master with a worker swarms): /stop reaches it, the swarm does not run on', async () => {
    const swarming = await startLocust({ locustfile: 'test/fixtures/locustfile.py', workers: 1 });
    const lossy = await startFaultProxy({ upstream: swarming.url });
    try {
      lossy.inject({ method: 'POST', path: /^\/swarm/, fault: { kind: 'lostAnswer' } });
      const path = locustConfig().replace('.yaml', '-lossy.yaml');
      writeFileSync(path, readFileSync(locustConfig(), 'utf8').replace(proxy.url, lossy.url));
      const r = await run(path);
      assert.equal(r.code, 1, r.stderr);
      assert.match(JSON.parse(r.stdout).message, /start the swarm \(POST \/swarm\) failed/);
      const state = async (): Promise<string> =>
        ((await fetch(`${swarming.url}/stats/requests`).then((res) => res.json())) as { state: string }).state;
      // The master's state follows its worker's reports (every few seconds): wait for it to settle.
      const seen: string[] = [];
      for (let i = 0; i < 20 && seen.at(-1) !== 'stopped'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        seen.push(await state());
      }
      assert.equal(seen.at(-1), 'stopped', `the master was told to stop: ${seen.join(' → ')}`);
      assert.deepEqual(scale.writes, []);
    } finally {
      await lossy.close();
      await swarming.stop();
    }
  });

  it("500 on /swarm: a probe failure with the master's answer; the swarm is not left running", async () => {
    proxy.inject({ method: 'POST', path: /^\/swarm/, fault: { kind: 'status', status: 500, body: 'boom' } });
    const r = await run(locustConfig());
    assert.equal(r.code, 1, r.stderr);
    assert.match(JSON.parse(r.stdout).message, /start the swarm \(POST \/swarm\) answered HTTP 500: boom/);
    assert.deepEqual(scale.writes, []);
  });
});
