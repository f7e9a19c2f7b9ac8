// Decisions that stay right when the service fails, the run is cut short, or the window lies
// (DESIGN §1, §4), through the bundle with the http scale target and the file store, against real
// local servers whose failures are scripted by request count (deterministic, no randomness).
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE, messages, runBundle } from '../helpers/cli.ts';
import { startScaleServer, type ScaleServer } from '../helpers/scale-server.ts';
import { serve, type TestServer } from '../helpers/servers.ts';

let dir: string;
let scale: ScaleServer;
let service: TestServer | undefined;
let n = 0;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-trust-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  n++;
});
afterEach(async () => {
  await scale?.close();
  await service?.close();
  service = undefined;
});

/** How the service answers its hit-th request (1-based). */
type Behaviour = (hit: number) => { status?: number; delayMs: number } | 'hang';

async function startServiceWith(behaviour: { current: Behaviour }): Promise<TestServer> {
  return serve((_req, res, hit) => {
    const b = behaviour.current(hit);
    if (b === 'hang') return; // the client's timeout ends it; close() destroys the socket
    setTimeout(() => res.writeHead(b.status ?? 200).end('ok'), b.delayMs);
  });
}

function config(
  host: string,
  extra = '',
  targetMs = 7,
  opts: { max?: number; duration?: string; timeout?: string } = {},
): string {
  const path = join(dir, `scaler-${n}.yaml`);
  writeFileSync(
    path,
    `target: { kind: http, url: ${scale.url} }
replicas: { min: 1, max: ${opts.max ?? 10} }
loadTest:
  host: ${host}
  users: 4
  duration: ${opts.duration ?? '1s'}
  timeout: ${opts.timeout ?? '500ms'}
  requests:
    - { method: GET, path: /work }
targets:
  - { method: GET, endpoint: /work, type: mean, target: ${targetMs} }
decay: { replicas: 1, unchangedRuns: 2 }
state: { store: file, path: ${statePath()} }
${extra}`,
  );
  return path;
}

const statePath = (): string => join(dir, `state-${n}.json`);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the decision record, read as JSON
async function run(path: string): Promise<{ code: number | null; record: Record<string, any> }> {
  const r = await runBundle(['run', '-c', path, '-o', 'json']);
  assert.ok(r.stdout.trim().startsWith('{'), `no decision record (exit ${r.code}): ${r.stderr}`);
  return { code: r.code, record: JSON.parse(r.stdout) };
}

describe('trust: failures count, failing services keep their replicas', () => {
  it('60% of requests time out at 500 ms, 40% answer in 2 ms, target mean 7: scales up (timeouts count)', async () => {
    scale = await startScaleServer(3);
    service = await startServiceWith({ current: (hit) => (hit % 5 < 3 ? 'hang' : { delayMs: 2 }) });
    const { code, record } = await run(config(service.url, '', 7, { duration: '2s' }));
    assert.equal(code, 0);
    const stats = record.observations.requests['GET /work'];
    assert.ok(stats.failures > 0 && stats.failuresByKind.timeout.count === stats.failures, JSON.stringify(stats));
    assert.ok(stats.mean > 100, `mean ${stats.mean} should include the 500 ms timeouts`);
    assert.equal(record.action, 'up', record.message);
    assert.deepEqual(scale.writes, [4]);
  });

  it('half the requests answer 503 in 1 ms: latency looks fine, but the count never goes down', async () => {
    scale = await startScaleServer(3);
    service = await startServiceWith({ current: (hit) => ({ status: hit % 2 ? 503 : 200, delayMs: 1 }) });
    const path = config(service.url, '', 50);
    const messages: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { code, record } = await run(path);
      assert.equal(code, 0);
      assert.equal(record.reason, 'FailingService', record.message);
      messages.push(record.message);
    }
    assert.match(messages[0]!, /^hold at 3: (49|50|51)(\.\d+)?% of requests failed \(HTTP 503 \d+\) > 1%$/);
    assert.deepEqual(scale.writes, []);
    assert.equal(scale.replicas, 3);
  });

  it('at max, three breached runs then calm runs (unchangedRuns 2): the breaches restart the count, as LPA', async () => {
    scale = await startScaleServer(4);
    const behaviour: { current: Behaviour } = { current: () => ({ delayMs: 30 }) };
    service = await startServiceWith(behaviour);
    const path = config(service.url, '', 15, { max: 4 });
    const actions: string[] = [];
    for (let i = 0; i < 6; i++) {
      if (i === 3) behaviour.current = () => ({ delayMs: 1 });
      const { record } = await run(path);
      actions.push(`${record.action}${record.reason === 'TargetBreached' ? '(breach)' : ''}`);
    }
    // LPA's count: stored runs without change ≥ unchangedRuns → decay on the third calm run.
    assert.deepEqual(actions, ['hold(breach)', 'hold(breach)', 'hold(breach)', 'hold', 'hold', 'down']);
    assert.deepEqual(scale.writes, [3]);
  });

  it('a stabilization window delays the decay after a breach (0 s vs 6 s), and never blocks it', async () => {
    const sequence = async (window: string): Promise<string[]> => {
      scale = await startScaleServer(4);
      const behaviour: { current: Behaviour } = { current: () => ({ delayMs: 80 }) };
      service = await startServiceWith(behaviour);
      const path = config(service.url, `stabilization: { downscaleWindow: ${window} }`, 50, { max: 6 });
      const actions: string[] = [];
      for (let i = 0; i < 9; i++) {
        const { record } = await run(path);
        actions.push(`${record.action} ${record.applied}`);
        behaviour.current = () => ({ delayMs: 1 }); // breached once, then calm
        if (record.action === 'down') break;
      }
      await scale.close();
      await service.close();
      service = undefined;
      n++;
      return actions;
    };
    const off = await sequence('0s');
    // unchangedRuns 2: the third calm run decays (LPA's count).
    assert.deepEqual(off, ['up 5', 'hold 5', 'hold 5', 'down 4']);
    const on = await sequence('6s');
    assert.equal(on.at(-1), 'down 4', `the window must delay, never block: ${on.join(', ')}`);
    assert.ok(on.length > off.length, `the breach's need of 5 held within the window: ${on.join(', ')}`);
  });
});

describe('trust: requests in flight when the load test ends are measured', () => {
  it('every other answer takes 2 s, a 1 s test, 10 s timeout: the slow half counts — a breach, not a calm run', async () => {
    scale = await startScaleServer(3);
    service = await startServiceWith({ current: (hit) => ({ delayMs: hit % 2 ? 2 : 2000 }) });
    const started = Date.now();
    const { code, record } = await run(config(service.url, '', 100, { duration: '1s', timeout: '10s' }));
    const tookMs = Date.now() - started;
    assert.equal(code, 0);
    const stats = record.observations.requests['GET /work'];
    assert.equal(stats.failures, 0, JSON.stringify(stats));
    assert.ok(
      stats.max >= 1900,
      `the 2 s answers that came after the test's end are measured: ${JSON.stringify(stats)}`,
    );
    assert.equal(record.action, 'up', record.message);
    assert.deepEqual(scale.writes, [4]);
    // Awaited up to their own timeout at most: the run is not held for the 10 s.
    assert.ok(tookMs < 8000, `took ${tookMs} ms`);
  });

  it('a service that never answers, timeout 2 s ≥ a 1 s test: every request a timeout — a breach, not a probe failure', async () => {
    scale = await startScaleServer(3);
    service = await startServiceWith({ current: () => 'hang' });
    const started = Date.now();
    const { code, record } = await run(config(service.url, '', 100, { duration: '1s', timeout: '2s' }));
    const tookMs = Date.now() - started;
    assert.equal(code, 0, record.message);
    const stats = record.observations.requests['GET /work'];
    assert.equal(stats.count, 4, 'one request per user, each a timeout');
    assert.equal(stats.failuresByKind.timeout.count, 4, JSON.stringify(stats));
    assert.ok(stats.min >= 2000, `a timeout counts at least its timeout: ${JSON.stringify(stats)}`);
    assert.equal(record.action, 'up', record.message);
    // Bounded: the duration plus the timeout (and the bundle's start-up), not more.
    assert.ok(tookMs < 6000, `took ${tookMs} ms`);
  });
});

describe("trust: someone else's change in flight is waited for", () => {
  it('3 → 6 by hand, 3 of 6 ready, breached: every run holds NotSettled until ready, then scales as usual', async () => {
    scale = await startScaleServer(3);
    const behaviour: { current: Behaviour } = { current: () => ({ delayMs: 1 }) };
    service = await startServiceWith(behaviour);
    const path = config(service.url, 'settle: { timeout: 5m }', 7);
    assert.equal((await run(path)).record.action, 'hold'); // calm: no change of ours in flight
    behaviour.current = () => ({ delayMs: 20 });
    scale.replicas = 6; // by hand
    scale.readyReplicas = 3;
    const held: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { code, record } = await run(path);
      assert.equal(code, 0);
      held.push(`${record.reason} ${record.applied}`);
    }
    assert.deepEqual(held, ['NotSettled 6', 'NotSettled 6', 'NotSettled 6']);
    assert.deepEqual(scale.writes, [], 'no scale-up while the new pods start');
    scale.readyReplicas = undefined;
    const { record } = await run(path);
    assert.equal(record.action, 'up', record.message);
    assert.deepEqual(scale.writes, [7]);
  });
});

describe("trust: the load generator's own delay is not read as the service's latency", () => {
  const starve = fileURLToPath(new URL('../fixtures/starve-event-loop.mjs', import.meta.url));

  it('a generator starved of CPU against a 1 ms service, target mean 30 ms: hold GeneratorSaturated, no scale', async () => {
    scale = await startScaleServer(3);
    service = await startServiceWith({ current: () => ({ delayMs: 1 }) });
    const path = config(service.url, '', 30);
    const r = await runBundle(['run', '-c', path, '-o', 'json'], { env: { NODE_OPTIONS: `--import=${starve}` } });
    const record = JSON.parse(r.stdout);
    assert.equal(r.code, 0, r.stderr);
    const stats = record.observations.requests['GET /work'];
    assert.ok(stats.mean > 30, `the starved generator measures its own delay: ${stats.mean}`);
    assert.equal(record.reason, 'GeneratorSaturated', record.message);
    assert.match(
      record.message,
      /the load generator's own delay \(event-loop delay mean [\d.]+ ms.*is a material part of/,
    );
    assert.match(record.unreliable, /own delay was \d+% of a latency/);
    assert.deepEqual(scale.writes, []);
  });

  it('the same service and target with the generator unhindered: a calm hold (the test above can fail)', async () => {
    scale = await startScaleServer(3);
    service = await startServiceWith({ current: () => ({ delayMs: 1 }) });
    const { record } = await run(config(service.url, '', 20));
    assert.equal(record.reason, 'WithinTargets', record.message);
    assert.ok(record.observations.generator.p99Ms < 20, JSON.stringify(record.observations.generator));
  });
});

describe('trust: two targets never share a record', () => {
  it('two webhooks that differ only in their query decay each on its own (default state paths)', async () => {
    const replicas: Record<string, number> = { checkout: 3, search: 5 };
    const hooks = await serve((req, res) => {
      const which = new URL(req.url!, 'http://x').searchParams.get('service')!;
      if (req.method === 'PUT') {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          replicas[which] = JSON.parse(body).replicas;
          res.end('{}');
        });
        return;
      }
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ replicas: replicas[which] }));
    });
    service = await startServiceWith({ current: () => ({ delayMs: 1 }) });
    const cwd = mkdtempSync(join(dir, 'shared-cwd-'));
    const write = (name: string): string => {
      const path = join(cwd, `${name}.yaml`);
      writeFileSync(
        path,
        `target: { kind: http, url: ${hooks.url}/replicas?service=${name} }
loadTest: { host: ${service!.url}, users: 2, duration: 300ms, requests: [{ method: GET, path: /work }] }
targets: [{ method: GET, endpoint: /work, type: mean, target: 50 }]
decay: { replicas: 1, unchangedRuns: 1 }`,
      );
      return path;
    };
    const paths = [write('checkout'), write('search')];
    try {
      for (let i = 0; i < 3; i++) {
        for (const path of paths) {
          const r = await runBundle(['run', '-c', path, '-o', 'json'], { cwd });
          const record = JSON.parse(r.stdout);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(
            record.manualChange,
            false,
            `${path}: the other target's count read as a change: ${record.message}`,
          );
        }
      }
      assert.deepEqual(replicas, { checkout: 2, search: 4 }, 'each decayed once, on its own count');
      const files = readdirSync(join(cwd, '.latency-scaler')).filter((f) => f.endsWith('.json'));
      assert.equal(files.length, 2, files.join(', '));
    } finally {
      await hooks.close();
    }
  });

  it('loadTest.host with a path: the path prefixes every request; with a query: refused, exit 2, nothing sent', async () => {
    scale = await startScaleServer(3);
    const seen: string[] = [];
    service = await serve((req, res) => {
      seen.push(req.url!);
      res.end('ok');
    });
    const { code, record } = await run(config(`${service.url}/api`, '', 50));
    assert.equal(code, 0);
    assert.ok(seen.length > 0 && seen.every((u) => u === '/api/work'), seen.slice(0, 3).join(' '));
    assert.ok(record.observations.requests['GET /work'], 'named as configured');
    const before = seen.length;
    const r = await runBundle(['run', '-c', config(`${service.url}/api?x=1`, '', 50), '-o', 'json']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(messages(r.stderr), /loadTest\.host: ".*\/api\?x=\[redacted\]" has a query: /);
    assert.equal(seen.length, before, 'nothing sent');
  });
});

describe('trust: an interrupted run decides nothing', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} two seconds into a 20 s load test: non-zero exit within a few seconds, no state file, no PUT`, async () => {
      scale = await startScaleServer(3);
      service = await startServiceWith({ current: () => ({ delayMs: 1 }) });
      const path = config(service.url, '', 50, { duration: '20s' });
      const child = spawn(process.execPath, [BUNDLE, 'run', '-c', path, '-o', 'json'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await new Promise((r) => setTimeout(r, 2000));
      assert.ok(service!.hits > 0, 'the load test had started');
      const sentAt = Date.now();
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      const tookMs = Date.now() - sentAt;
      assert.equal(code, signal === 'SIGTERM' ? 143 : 130, stderr);
      assert.ok(tookMs < 3000, `took ${tookMs} ms to stop`);
      assert.match(
        stderr,
        new RegExp(`interrupted by ${signal} .*: no decision made; nothing written, nothing applied`),
      );
      assert.equal(stdout, '');
      assert.ok(!existsSync(statePath()), 'no state file');
      assert.deepEqual(scale.writes, []);
      const hits = service!.hits;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(service!.hits, hits, 'no request after the exit');
    });
  }

  it('the same run uninterrupted writes its state (the test above can fail)', async () => {
    scale = await startScaleServer(3);
    service = await startServiceWith({ current: () => ({ delayMs: 1 }) });
    const { code } = await run(config(service.url, '', 50));
    assert.equal(code, 0);
    assert.ok(existsSync(statePath()));
    assert.equal(JSON.parse(readFileSync(statePath(), 'utf8')).record.lastReplicas, 3);
  });
});
