// The Locust engine never leaves a swarm running: once /swarm was sent, whatever becomes of its answer
// (lost, never in time, the run interrupted), /stop reaches the master. A scripted master (answering as
// Locust 2.x's web UI does, recording each call) behind the fault-injecting proxy; no Locust needed.
import { after, afterEach, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { serve, type TestServer } from '../../helpers/servers.ts';
import { startFaultProxy, type FaultProxy } from '../../harness/faults.ts';
import { LocustEngine } from '../../../src/loadtest/locust.ts';
import type { LoadPlan } from '../../../src/loadtest/types.ts';
import { ProbeError } from '../../../src/errors.ts';

const CALL_TIMEOUT_MS = 1_000; // the engine's per-call limit in these tests (api.timeout in production: 10 s)

let master: TestServer & { calls: string[] };
let proxy: FaultProxy;
let users = 0; // the swarm's size as the master reports it

before(async () => {
  const calls: string[] = [];
  const json = (res: ServerResponse, body: unknown): void =>
    void res.setHeader('content-type', 'application/json').end(JSON.stringify(body));
  const server = await serve((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      calls.push(`${req.method} ${path}`);
      if (req.method === 'POST' && path === '/stats/reset') return void res.end('ok');
      if (req.method === 'POST' && path === '/swarm') {
        users = Number(new URLSearchParams(body).get('user_count'));
        return json(res, { success: true, message: 'Swarming started', host: 'http://svc:5000' });
      }
      if (req.method === 'POST' && path === '/stop') {
        users = 0;
        return json(res, { success: true, message: 'Test stopped' });
      }
      if (req.method === 'GET' && path === '/stats/requests')
        return json(res, { state: users ? 'running' : 'stopped', user_count: users, stats: [], errors: [] });
      if (req.method === 'GET' && path === '/stats/requests/csv')
        return void res.end('"Type","Name","Request Count","Failure Count"\r\n,"Aggregated",0,0\r\n');
      if (req.method === 'GET' && path === '/stats/failures/csv')
        return void res.end('"Method","Name","Error","Occurrences"\r\n');
      res.writeHead(404).end('not found');
    });
  });
  master = Object.assign(server, { calls });
  proxy = await startFaultProxy({ upstream: master.url });
});
after(async () => {
  await proxy?.close();
  await master?.close();
});
afterEach(() => {
  proxy.clear();
  proxy.log.length = 0;
  master.calls.length = 0;
  users = 0;
});

const plan: LoadPlan = {
  engine: 'locust',
  host: 'http://svc:5000',
  users: 4,
  spawnRate: 4,
  duration: 1000,
  warmup: 0,
  waitTime: { min: 10, max: 10 },
  timeout: 1000,
  headers: {},
  requests: [{ name: 'GET /fib', method: 'GET', path: '/fib', weight: 1, headers: {} }],
  percentiles: [50, 95],
};

const engine = () =>
  new LocustEngine({ url: proxy.url }, { sleep: () => Promise.resolve(), callTimeoutMs: CALL_TIMEOUT_MS });

/** Until the master has seen `call` (or 5 s have passed). */
async function seen(call: string): Promise<void> {
  for (let i = 0; i < 500 && !master.calls.includes(call); i++) await new Promise((r) => setTimeout(r, 10));
}

it('a run that ends well stops the swarm once', async () => {
  await engine().run(plan);
  assert.deepEqual(
    master.calls.filter((c) => c.startsWith('POST')),
    ['POST /stats/reset', 'POST /swarm', 'POST /stats/reset', 'POST /stop'],
  );
  assert.equal(users, 0);
});

it('the answer to /swarm lost (the master swarms): a probe failure, and /stop reached the master', async () => {
  proxy.inject({ method: 'POST', path: /^\/swarm/, fault: { kind: 'lostAnswer' } });
  await assert.rejects(
    engine().run(plan),
    (e: Error) => e instanceof ProbeError && /start the swarm \(POST \/swarm\) failed/.test(e.message),
  );
  assert.deepEqual([...master.calls], ['POST /stats/reset', 'POST /swarm', 'POST /stop']);
  assert.equal(users, 0, 'no swarm left running');
});

it('/swarm unanswered past the call timeout (the master swarms): /stop reached the master', async () => {
  proxy.inject({ method: 'POST', path: /^\/swarm/, fault: { kind: 'slow', afterMs: 60_000 } });
  await assert.rejects(
    engine().run(plan),
    (e: Error) =>
      e instanceof ProbeError && /start the swarm \(POST \/swarm\) failed: no answer within \d+ s/.test(e.message),
  );
  assert.deepEqual([...master.calls], ['POST /stats/reset', 'POST /swarm', 'POST /stop']);
  assert.equal(users, 0, 'no swarm left running');
});

it('/swarm never forwarded (hangs at the proxy): /stop is still sent, harmless', async () => {
  proxy.inject({ method: 'POST', path: /^\/swarm/, fault: { kind: 'hang' } });
  await assert.rejects(
    engine().run(plan),
    (e: Error) => e instanceof ProbeError && /no answer within \d+ s/.test(e.message),
  );
  assert.deepEqual([...master.calls], ['POST /stats/reset', 'POST /stop']);
});

it('the run interrupted (its AbortSignal) during the /swarm call: /stop reached the master', async () => {
  proxy.inject({ method: 'POST', path: /^\/swarm/, fault: { kind: 'slow', afterMs: 60_000 } });
  const interrupt = new AbortController();
  const run = engine().run(plan, interrupt.signal);
  await seen('POST /swarm');
  interrupt.abort(new Error('SIGTERM'));
  await assert.rejects(
    run,
    (e: Error) => e instanceof ProbeError && /start the swarm \(POST \/swarm\) failed/.test(e.message),
  );
  assert.deepEqual([...master.calls], ['POST /stats/reset', 'POST /swarm', 'POST /stop']);
  assert.equal(users, 0, 'no swarm left running');
});

it('/stop unanswered after a lost /swarm answer: bounded, the original failure reported', async () => {
  proxy.inject({ method: 'POST', path: /^\/swarm/, fault: { kind: 'lostAnswer' } });
  proxy.inject({ method: 'POST', path: /^\/stop/, fault: { kind: 'hang' } });
  const started = Date.now();
  await assert.rejects(
    engine().run(plan),
    (e: Error) => e instanceof ProbeError && /start the swarm \(POST \/swarm\) failed/.test(e.message),
  );
  assert.ok(Date.now() - started < 8_000, `took ${Date.now() - started} ms`); // the clean-up /stop's 5 s limit
  assert.deepEqual(
    proxy.log.map((l) => `${l.method} ${l.path}`),
    ['POST /stats/reset', 'POST /swarm', 'POST /stop'],
  );
});
