// The fault-injecting proxy itself, against a real upstream that records what it applied: each fault
// shows the client what it should, and the upstream saw (or did not see) the request accordingly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answers, startFaultProxy, type FaultProxy } from '../../harness/faults.ts';

let upstream: Server;
let applied: string[] = [];
let proxy: FaultProxy;

before(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      applied.push(`${req.method} ${req.url} ${body}`);
      res.end(JSON.stringify({ ok: true, echo: body }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  proxy = await startFaultProxy({ upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
});
after(async () => {
  await proxy.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

interface Seen {
  status?: number;
  body?: string;
  error?: string;
  ms: number;
}

function call(method: string, path: string, body = '', timeoutMs = 2000): Promise<Seen> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const req = request(`${proxy.url}${path}`, { method, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, ms: Date.now() - t0 }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, ms: Date.now() - t0 }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, ms: Date.now() - t0 }));
    req.end(body);
  });
}

describe('the fault-injecting proxy', () => {
  it('forwards what no rule matches', async () => {
    applied = [];
    const r = await call('PUT', '/x', 'hello');
    assert.equal(r.status, 200);
    assert.match(r.body!, /"echo":"hello"/);
    assert.deepEqual(applied, ['PUT /x hello']);
  });

  it('status: answered by the proxy (429 with Retry-After), never forwarded; once, then forwarded', async () => {
    applied = [];
    proxy.inject({
      method: 'GET',
      path: /^\/limited/,
      fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: 'slow down' },
    });
    const first = await call('GET', '/limited');
    assert.equal(first.status, 429);
    assert.equal(first.body, 'slow down');
    assert.deepEqual(applied, []);
    assert.equal((await call('GET', '/limited')).status, 200);
    assert.equal(applied.length, 1);
  });

  it('lostAnswer: the upstream applied it, the client got no answer', async () => {
    applied = [];
    proxy.inject({ method: 'POST', fault: { kind: 'lostAnswer' } });
    const r = await call('POST', '/apply', 'once');
    assert.ok(r.error, JSON.stringify(r));
    assert.deepEqual(applied, ['POST /apply once']);
  });

  it('hang: read and never answered (the client times out)', async () => {
    applied = [];
    proxy.inject({ path: /^\/hang/, fault: { kind: 'hang' } });
    const r = await call('GET', '/hang', '', 300);
    assert.equal(r.error, 'TIMEOUT');
    assert.ok(r.ms >= 290);
    assert.deepEqual(applied, []);
  });

  it('slow: answered late, applied', async () => {
    applied = [];
    proxy.inject({ path: /^\/slow/, fault: { kind: 'slow', beforeMs: 150, afterMs: 150 } });
    const r = await call('GET', '/slow');
    assert.equal(r.status, 200);
    assert.ok(r.ms >= 290, `${r.ms} ms`);
    assert.equal(applied.length, 1);
  });

  it('reset: the answer cut after some bytes', async () => {
    applied = [];
    proxy.inject({ path: /^\/reset/, fault: { kind: 'reset', afterBytes: 3 } });
    const r = await call('GET', '/reset');
    assert.ok(r.error, JSON.stringify(r));
    assert.equal(applied.length, 1);
  });

  it('skip and times: the second and third matches only', async () => {
    proxy.inject({ path: /^\/nth/, skip: 1, times: 2, fault: answers.kubeStatus(503, 'ServiceUnavailable', 'busy') });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await call('GET', '/nth')).status);
    assert.deepEqual(codes, [200, 503, 503, 200]);
  });

  it('refused: the listener closes, connections are refused, and it reopens on the same port', async () => {
    await proxy.refuse(true);
    const r = await call('GET', '/x');
    assert.equal(r.error, 'ECONNREFUSED');
    await proxy.refuse(false);
    assert.equal((await call('GET', '/x')).status, 200);
  });

  it('logs each request with the fault applied', () => {
    assert.ok(proxy.log.some((e) => e.path === '/apply' && e.fault === 'lostAnswer' && e.upstreamStatus === 200));
    assert.ok(proxy.log.some((e) => e.path === '/limited' && e.fault === 'status'));
  });
});
