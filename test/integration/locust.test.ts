// The Locust engine against a real Locust master with two workers, measuring a local service.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocust, type LocustCluster } from '../harness/locust.ts';
import { startService, type CountingService } from '../helpers/scale-server.ts';
import { LocustEngine } from '../../src/loadtest/locust.ts';
import { LocalEngine } from '../../src/loadtest/local.ts';
import { LOCUST_PRECISION } from '../../src/loadtest/locust-stats.ts';
import { decide } from '../../src/decide/decide.ts';
import { validateConfig } from '../../src/config/validate.ts';
import type { LoadPlan } from '../../src/loadtest/types.ts';
import { ProbeError } from '../../src/errors.ts';

const LOCUSTFILE = fileURLToPath(new URL('../fixtures/locustfile.py', import.meta.url));
let locust: LocustCluster;
let service: CountingService;

before(async () => {
  service = await startService(20); // answers after 20 ms
  locust = await startLocust({ locustfile: LOCUSTFILE, workers: 2 });
});
after(async () => {
  await locust?.stop();
  await service?.close();
});

function plan(): LoadPlan {
  return {
    engine: 'locust',
    host: service.url,
    users: 4,
    spawnRate: 4,
    duration: 3000,
    warmup: 0,
    waitTime: { min: 10, max: 10 },
    timeout: 5000,
    headers: {},
    requests: [{ name: 'GET /fib', method: 'GET', path: '/fib', weight: 1, headers: {} }],
    percentiles: [50, 95, 99],
  };
}

function configFor(engine: 'local' | 'locust', limit: number) {
  return validateConfig(
    {
      target: { kind: 'http', url: 'http://127.0.0.1:1/r' },
      loadTest: {
        engine,
        host: service.url,
        users: 4,
        duration: '3s',
        waitTime: '10ms',
        ...(engine === 'locust' ? { locust: { url: locust.url } } : {}),
        requests: [{ method: 'GET', path: '/fib' }],
      },
      targets: [{ method: 'GET', endpoint: '/fib', type: 'mean', target: limit }],
    },
    { source: 'test', requireTarget: true, environment: 'local' },
  );
}

const DEPS = { callTimeoutMs: 10_000 }; // api.timeout's default

describe('Locust engine', () => {
  it("drives the swarm and maps Locust's statistics onto the same observations, then stops the swarm", async () => {
    const o = await new LocustEngine(
      { url: locust.url, workers: { usersPerWorker: 2, readyTimeout: 10_000 } },
      DEPS,
    ).run(plan());
    const fib = o.requests['GET /fib'];
    assert.ok(fib, `keys: ${Object.keys(o.requests)}`);
    assert.ok(fib.count > 20, `count ${fib.count}`);
    assert.equal(fib.failures, 0);
    assert.ok(fib.mean >= 20 && fib.mean < 60, `mean ${fib.mean}`);
    assert.ok(fib.percentiles['p99']! >= 20);
    assert.equal(o.precision, LOCUST_PRECISION);
    assert.equal(o.aggregated.name, 'Aggregated');
    const status = (await (await fetch(`${locust.url}/stats/requests`)).json()) as { state: string };
    assert.notEqual(status.state, 'running', 'no swarm left running');
  });

  it('the same targets give the same decision from either engine on the same service', async () => {
    for (const limit of [5, 500]) {
      // breached (20 ms > 5 ms) and met (20 ms < 500 ms)
      const decisions = [];
      for (const engine of ['local', 'locust'] as const) {
        const config = configFor(engine, limit);
        const runner =
          engine === 'local'
            ? new LocalEngine()
            : new LocustEngine(
                { ...config.loadTest!.locust!, url: config.loadTest!.locust!.url! },
                { callTimeoutMs: config.api.timeout },
              );
        const observations = await runner.run({ ...config.loadTest!, percentiles: [50, 95] });
        decisions.push(
          decide({
            targetKey: 'k',
            status: { replicas: 2, paused: false },
            record: null,
            observations,
            policy: config,
            now: 0,
          }),
        );
      }
      assert.equal(decisions[0]!.action, decisions[1]!.action, decisions.map((d) => d.message).join(' | '));
      assert.equal(decisions[0]!.applied, limit === 5 ? 3 : 2);
      const [local, remote] = decisions.map((d) => d.evaluations[0]!.value!);
      assert.ok(Math.abs(local! - remote!) < 10, `local ${local} vs locust ${remote}`);
    }
  });

  it("requests/s over the measured window with the LPA guide's long think time, not Locust's own span", async () => {
    // between(5, 9): each user sends a request or two in the 5 s measured, in bursts, and Locust's
    // Requests/s divides by its own span of them (here 1.93 req/s for 13 requests in 5 s; headless with
    // every request in the first milliseconds, 346 req/s for ten): an rps target is judged on the window.
    const dir = mkdtempSync(join(tmpdir(), 'scaler-locust-think-'));
    const file = join(dir, 'think.py');
    writeFileSync(
      file,
      'from locust import HttpUser, between, task\n\n\nclass Slow(HttpUser):\n' +
        '    wait_time = between(5, 9)\n\n    @task\n    def fib(self):\n        self.client.get("/fib")\n',
    );
    const slow = await startLocust({ locustfile: file, workers: 1 });
    try {
      const engine = new LocustEngine({ url: slow.url, workers: { usersPerWorker: 10, readyTimeout: 10_000 } }, DEPS);
      const o = await engine.run({ ...plan(), users: 10, spawnRate: 10, duration: 5000 });
      const fib = o.requests['GET /fib']!;
      assert.ok(fib.count >= 1 && fib.count <= 20, `count ${fib.count}`);
      assert.ok(Math.abs(fib.rps - fib.count / 5) < 1e-9, `rps ${fib.rps} for ${fib.count} requests in 5 s`);
      assert.ok(o.aggregated.rps <= 4, `aggregated rps ${o.aggregated.rps}`);
    } finally {
      await slow.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unreachable master is a probe failure naming the step', async () => {
    await assert.rejects(
      new LocustEngine({ url: 'http://127.0.0.1:9' }, DEPS).run(plan()),
      (e: Error) => e instanceof ProbeError && /reset the statistics \(POST \/stats\/reset\) failed/.test(e.message),
    );
  });

  it('a killed worker that the master still lists is not counted: a clear failure, no swarm left running', async () => {
    locust.killWorker(0);
    const engine = new LocustEngine({ url: locust.url, workers: { usersPerWorker: 2, readyTimeout: 3000 } }, DEPS);
    // Moments after the kill the master still lists the worker as ready: the swarm falls short.
    await assert.rejects(
      engine.run(plan()),
      (e: Error) =>
        e instanceof ProbeError && /(the swarm reached only \d of 4 users|expected 2 ready workers)/.test(e.message),
    );
    await new Promise((r) => setTimeout(r, 2500)); // /stats/requests is memoized for 2 s
    const status = (await (await fetch(`${locust.url}/stats/requests`)).json()) as { state: string };
    assert.notEqual(status.state, 'running');
    // Once its heartbeats have lapsed, the master marks it missing and the wait names it.
    for (let i = 0; i < 40; i++) {
      const s = (await (await fetch(`${locust.url}/stats/requests`)).json()) as { workers: { state: string }[] };
      if (s.workers.some((w) => w.state === 'missing')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await assert.rejects(
      engine.run(plan()),
      (e: Error) =>
        e instanceof ProbeError &&
        /expected 2 ready workers within 3s, it reports 1 ready of 2; stopped reporting \(missing heartbeats\): \S+/.test(
          e.message,
        ),
    );
  });
});
