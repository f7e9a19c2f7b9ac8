// The local engine against real HTTP servers: statistics, failure kinds, bounds, abort, scripts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { LocalEngine } from '../../src/loadtest/local.ts';
import { loadScenario } from '../../src/loadtest/scenario.ts';
import { MAX_REQUEST_NAMES, OTHER_NAMES } from '../../src/loadtest/recorder.ts';
import type { LoadPlan } from '../../src/loadtest/types.ts';
import type { HttpUser } from '../../src/loadtest/http-user.ts';
import { ConfigError } from '../../src/errors.ts';
import { failing, fast, hanging, resetting, serve, slow } from '../helpers/servers.ts';
import { seeded } from '../bench/sim/service.ts';

function plan(host: string, o: Partial<LoadPlan> = {}): LoadPlan {
  return {
    engine: 'local',
    host,
    users: 5,
    spawnRate: 100,
    duration: 1000,
    warmup: 0,
    waitTime: { min: 0, max: 0 },
    timeout: 2000,
    headers: {},
    requests: [{ name: 'GET /', method: 'GET', path: '/', weight: 1, headers: {} }],
    percentiles: [50, 90, 99, 99.9],
    ...o,
  };
}

describe('local engine', () => {
  it('a fast server: counts, rates, percentiles; no socket left open', async () => {
    const s = await fast();
    const o = await new LocalEngine().run(plan(s.url));
    const r = o.requests['GET /']!;
    assert.ok(r.count > 100, `count ${r.count}`);
    assert.equal(r.failures, 0);
    assert.ok(Math.abs(r.rps - r.count / (o.measuredMs / 1000)) < 1e-6);
    assert.ok(r.min <= r.median && r.median <= r.percentiles['p99']! && r.percentiles['p99']! <= r.max);
    assert.deepEqual(Object.keys(r.percentiles), ['p50', 'p90', 'p99', 'p99.9']);
    assert.ok(Math.abs(s.hits - r.count) <= 5, 'every answered request counted (up to those cut at the end)');
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(s.openSockets(), 0);
    await s.close();
  });

  it('a slow server (25 ms): the latency is measured, not rounded', async () => {
    const s = await slow(25);
    const r = (await new LocalEngine().run(plan(s.url, { users: 2 }))).requests['GET /']!;
    assert.ok(r.mean >= 25 && r.mean < 40, `mean ${r.mean}`);
    assert.notEqual(r.mean, Math.round(r.mean));
    await s.close();
  });

  it('a saturated service widens the probe (the model sizes an overload from more than a handful)', async () => {
    const s = await slow(300);
    const widen = { aboveMs: 100, users: 6 };
    const narrow = await new LocalEngine().run(plan(s.url, { users: 2, duration: 1500 }));
    const wide = await new LocalEngine().run(plan(s.url, { users: 2, duration: 1500, widen }));
    assert.equal(narrow.widened, undefined);
    assert.equal(wide.widened?.users, 6, JSON.stringify(wide.widened));
    assert.ok(wide.widened!.atMs >= 150 && wide.widened!.atMs < 750, `widened at ${wide.widened!.atMs} ms`);
    const [few, many] = [narrow, wide].map((o) => o.requests['GET /']!.count) as [number, number];
    assert.ok(many >= 2.5 * few, `${many} requests widened, ${few} not`);
    // A quick service never widens.
    const quick = await fast();
    assert.equal((await new LocalEngine().run(plan(quick.url, { users: 2, widen }))).widened, undefined);
    // A queue so long that no answer comes in the first half: widened too, once a first answer is late.
    const queue = await slow(1500);
    const long = await new LocalEngine().run(plan(queue.url, { users: 2, duration: 2000, timeout: 3000, widen }));
    assert.equal(long.widened?.atMs !== undefined && long.widened.atMs < 400, true, JSON.stringify(long.widened));
    await queue.close();
    await Promise.all([s.close(), quick.close()]);
  });

  it('keeps the latency by when requests started (first half, second half): a queue that grows shows', async () => {
    const t0 = Date.now();
    const growing = await serve((_req, res) => setTimeout(() => res.end('ok'), 5 + (Date.now() - t0) / 10));
    const o = await new LocalEngine().run(plan(growing.url, { users: 2, duration: 1000 }));
    const h = o.requests['GET /']!.halves!;
    assert.equal(h.spanMs, 1000);
    assert.ok(h.first.count > 3 && h.second.count > 3, JSON.stringify(h));
    assert.ok(h.second.mean > h.first.mean + 25, `climbs: ${JSON.stringify(h)}`);
    assert.ok(o.aggregated.halves, 'the aggregate too');
    await growing.close();
  });

  it('a failing server: HTTP 500 counted as a kind, with a sample', async () => {
    const s = await failing();
    const r = (await new LocalEngine().run(plan(s.url, { users: 2 }))).requests['GET /']!;
    assert.ok(Math.abs(r.failures - r.count / 2) <= 2, `${r.failures} of ${r.count}`);
    assert.equal(r.failuresByKind['HTTP 500']!.count, r.failures);
    assert.equal(r.failuresByKind['HTTP 500']!.sample, 'GET / answered 500');
    await s.close();
  });

  it('expect.status decides what succeeds', async () => {
    const s = await failing();
    const r = (
      await new LocalEngine().run(
        plan(s.url, {
          users: 1,
          requests: [{ name: 'GET /', method: 'GET', path: '/', weight: 1, headers: {}, expectStatus: [500] }],
        }),
      )
    ).requests['GET /']!;
    assert.equal(r.failuresByKind['HTTP 200']?.count, r.failures);
    await s.close();
  });

  it('a resetting server: connection resets counted', async () => {
    const s = await resetting();
    const r = (await new LocalEngine().run(plan(s.url, { users: 2 }))).requests['GET /']!;
    assert.ok(r.failuresByKind['connection reset']!.count > 0, JSON.stringify(r.failuresByKind));
    assert.ok(r.count - r.failures > 0);
    await s.close();
  });

  it('a refused connection is a failure kind, not a crash', async () => {
    const r = (await new LocalEngine().run(plan('http://127.0.0.1:9', { users: 1, duration: 300 }))).requests['GET /']!;
    assert.ok(r.failuresByKind['connection refused']!.count > 0);
  });

  it('a hanging server cannot hang the run past duration + timeout; its requests time out', async () => {
    const s = await hanging();
    const started = Date.now();
    const r = (await new LocalEngine().run(plan(s.url, { users: 2, duration: 1500, timeout: 400 }))).requests['GET /']!;
    assert.ok(Date.now() - started < 1500 + 400 + 1000, `took ${Date.now() - started} ms`);
    assert.ok(r.failuresByKind['timeout']!.count >= 2, JSON.stringify(r.failuresByKind));
    assert.equal(r.failuresByKind['timeout']!.sample, 'GET / took longer than 400 ms');
    await s.close();
  });

  it('requests in flight at the end are awaited and measured; none starts after the end (raw sockets)', async () => {
    const s = await slow(800);
    try {
      const started = Date.now();
      const o = await new LocalEngine().run(plan(s.url, { users: 3, duration: 300, timeout: 2000 }));
      const r = o.requests['GET /']!;
      assert.equal(r.count, 3, 'the one request of each user, answered 500 ms after the end');
      assert.equal(s.hits, 3, 'no request started after the duration');
      assert.ok(r.min >= 790, JSON.stringify(r));
      assert.ok(Date.now() - started < 300 + 2000, `took ${Date.now() - started} ms`);
    } finally {
      await s.close();
    }
  });

  it('requests in flight at the end are awaited and measured through undici (a scenario script)', async () => {
    const s = await slow(800);
    try {
      const scenario = { tasks: [{ name: 'get', weight: 1, run: (u: HttpUser) => u.get('/') }] };
      const o = await new LocalEngine({ scenario }).run(plan(s.url, { users: 2, duration: 300, timeout: 2000 }));
      const r = o.requests['GET /']!;
      assert.equal(r.count, 2, JSON.stringify(o.requests));
      assert.equal(s.hits, 2);
      assert.ok(r.min >= 790, JSON.stringify(r));
    } finally {
      await s.close();
    }
  });

  it('a script that names requests by their id: at most MAX_REQUEST_NAMES rows, the rest in one, counted', async () => {
    const s = await fast();
    try {
      let id = 0;
      const run = (u: HttpUser) => u.get(`/items/${id++}`); // no name: each id its own name
      const scenario = { tasks: [{ name: 'items', weight: 1, run }] };
      const o = await new LocalEngine({ scenario }).run(plan(s.url, { users: 4, duration: 1000 }));
      const rows = Object.values(o.requests);
      assert.ok(id > MAX_REQUEST_NAMES * 2, `only ${id} requests: the cap was not reached`);
      assert.equal(rows.length, MAX_REQUEST_NAMES + 1, Object.keys(o.requests).slice(-3).join(' '));
      const other = o.requests[OTHER_NAMES]!;
      assert.equal(o.folded?.requests, other.count);
      assert.equal(o.folded?.first, `GET /items/${MAX_REQUEST_NAMES}`);
      assert.equal(
        rows.reduce((n, r) => n + r.count, 0),
        o.aggregated.count,
        'every request counted once',
      );
    } finally {
      await s.close();
    }
  });

  it('a request still unanswered at the drain bound is a timeout, through undici too (never dropped)', async () => {
    const s = await hanging();
    try {
      const scenario = { tasks: [{ name: 'get', weight: 1, run: (u: HttpUser) => u.get('/') }] };
      const started = Date.now();
      const o = await new LocalEngine({ scenario }).run(plan(s.url, { users: 2, duration: 200, timeout: 600 }));
      const r = o.requests['GET /']!;
      assert.equal(r.failuresByKind['timeout']?.count, 2, JSON.stringify(r));
      assert.ok(r.min >= 600, JSON.stringify(r));
      assert.ok(Date.now() - started < 200 + 600 + 1000, `took ${Date.now() - started} ms`);
    } finally {
      await s.close();
    }
  });

  it("measures the generator's own event-loop delay: near zero when idle, the blocking when starved", async () => {
    const s = await fast();
    try {
      const quiet = await new LocalEngine().run(plan(s.url, { users: 1, duration: 500, waitTime: { min: 5, max: 5 } }));
      assert.ok(quiet.generator && quiet.generator.samples > 10, JSON.stringify(quiet.generator));
      assert.ok(quiet.generator.meanMs < 15, JSON.stringify(quiet.generator));
      // Another task hogs the loop for 60 ms in every 80: the generator answers its sockets late.
      const hog = setInterval(() => {
        const until = performance.now() + 60;
        while (performance.now() < until);
      }, 20);
      try {
        const starved = await new LocalEngine().run(plan(s.url, { users: 1, duration: 800 }));
        assert.ok(starved.generator!.p99Ms >= 40, JSON.stringify(starved.generator));
        assert.ok(starved.generator!.meanMs > quiet.generator.meanMs, JSON.stringify(starved.generator));
      } finally {
        clearInterval(hog);
      }
    } finally {
      await s.close();
    }
  });

  it('abort stops the run early and cleanly, with no statistics (nothing may decide on a truncated run)', async () => {
    const s = await slow(5);
    try {
      const controller = new AbortController();
      const reason = new Error('interrupted');
      setTimeout(() => controller.abort(reason), 300);
      const started = Date.now();
      await assert.rejects(
        new LocalEngine().run(plan(s.url, { duration: 10_000 }), controller.signal),
        (e) => e === reason,
      );
      assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
      assert.ok(s.hits > 0);
      await new Promise((res) => setTimeout(res, 50));
      assert.equal(s.openSockets(), 0);
    } finally {
      await s.close();
    }
  });

  it('warm-up is excluded from the statistics', async () => {
    const s = await fast();
    const o = await new LocalEngine().run(
      plan(s.url, { users: 1, duration: 1000, warmup: 500, waitTime: { min: 10, max: 10 } }),
    );
    assert.ok(o.measuredMs < 600 && o.measuredMs > 400, String(o.measuredMs));
    assert.ok(o.requests['GET /']!.count < s.hits * 0.7, `${o.requests['GET /']!.count} of ${s.hits}`);
    await s.close();
  });

  it('weights and think time shape the load', async () => {
    const s = await fast();
    try {
      // Seeded: the weighted choice of ~90 requests is a draw (3:1 fell under 1.8:1 about once in a hundred).
      const o = await new LocalEngine({ random: seeded(11) }).run(
        plan(s.url, {
          users: 2,
          waitTime: { min: 20, max: 20 },
          requests: [
            { name: 'a', method: 'GET', path: '/a', weight: 3, headers: {} },
            { name: 'b', method: 'GET', path: '/b', weight: 1, headers: {} },
          ],
        }),
      );
      const a = o.requests['a']!.count;
      const b = o.requests['b']!.count;
      assert.ok(a + b < 2 * (1000 / 20) + 4, `think time bounds the rate: ${a + b}`);
      assert.ok(a > b * 1.8, `${a} vs ${b}`);
    } finally {
      await s.close(); // a failed assertion must not leave the server holding the test process open
    }
  });

  it('runs a scenario script (log in, then call with the token), recording under its names', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/login')
        return void res.setHeader('content-type', 'application/json').end(JSON.stringify({ token: 't0k' }));
      res.writeHead(req.headers.authorization === 'Bearer t0k' ? 200 : 401).end('[]');
    });
    const scenario = await loadScenario(
      fileURLToPath(new URL('../../examples/scripts/login-then-call.ts', import.meta.url)),
    );
    const o = await new LocalEngine({ scenario }).run(plan(s.url, { users: 3, waitTime: { min: 5, max: 5 } }));
    assert.equal(o.requests['login']!.count, 3);
    assert.ok(o.requests['GET /items']!.count > 0);
    assert.ok(o.requests['GET /items/:id']!.count > 0);
    assert.equal(o.aggregated.failures, 0, JSON.stringify(o.aggregated.failuresByKind));
    await s.close();
  });

  it('HTTP/1.1 edges on the raw path: chunked bodies, Connection: close, HEAD, 204, a POST body', async () => {
    const bodies: string[] = [];
    const s = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/chunked') {
          res.write('a'.repeat(5000));
          setTimeout(() => res.end('b'.repeat(70_000)), 2);
        } else if (req.url === '/close') res.writeHead(200, { connection: 'close' }).end('bye');
        else if (req.url === '/empty') res.writeHead(204).end();
        else if (req.url === '/post') {
          bodies.push(body);
          res.writeHead(201).end('created');
        } else res.writeHead(200, { 'content-length': '10' }).end(req.method === 'HEAD' ? undefined : '0123456789');
      });
    });
    const req = (name: string, method: 'GET' | 'HEAD' | 'POST', path: string, extra: object = {}) => ({
      name,
      method,
      path,
      weight: 1,
      headers: {},
      ...extra,
    });
    const o = await new LocalEngine().run(
      plan(s.url, {
        users: 3,
        duration: 800,
        waitTime: { min: 2, max: 2 },
        requests: [
          req('chunked', 'GET', '/chunked'),
          req('close', 'GET', '/close'),
          req('empty', 'GET', '/empty'),
          req('head', 'HEAD', '/head'),
          req('post', 'POST', '/post', { body: '{"a":1}', expectStatus: [201] }),
        ],
      }),
    );
    for (const name of ['chunked', 'close', 'empty', 'head', 'post']) {
      const r = o.requests[name]!;
      assert.ok(r.count > 3, `${name}: ${r.count}`);
      assert.equal(r.failures, 0, `${name}: ${JSON.stringify(r.failuresByKind)}`);
    }
    assert.ok(bodies.length > 0 && bodies.every((b) => b === '{"a":1}'));
    await s.close();
  });

  it('a broken script is a configuration error naming it', async () => {
    await assert.rejects(
      loadScenario('/nonexistent/scenario.mjs'),
      (e: Error) =>
        e instanceof ConfigError && /loadTest\.script: cannot load "\/nonexistent\/scenario\.mjs"/.test(e.message),
    );
    await assert.rejects(
      loadScenario(fileURLToPath(new URL('../fixtures/locustfile.py', import.meta.url))),
      ConfigError,
    );
  });
});
