// The push (src/report/push.ts) against local HTTP servers: what it sends (method, group, content
// type, basic auth from the URL's user info), and that a refused, hanging or failing Pushgateway is one
// warning — naming the Pushgateway, the call and the cause in words, never the password — not an error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { hanging, serve, type TestServer } from '../../helpers/servers.ts';
import { freePort } from '../../harness/ports.ts';
import type { Level, Logger } from '../../../src/report/log.ts';
import type { RunOutcome } from '../../../src/report/metrics.ts';
import { pushRun, splitCredentials } from '../../../src/report/push.ts';

interface Seen {
  method: string;
  url: string;
  type: string;
  auth: string | undefined;
  body: string;
}

const OUTCOME: RunOutcome = { exitCode: 1, startedAt: 1_000, endedAt: 3_000, version: 'test' };

function recorder(): { log: Logger; lines: { level: Level; message: string }[] } {
  const lines: { level: Level; message: string }[] = [];
  return { lines, log: { log: (level, message) => void lines.push({ level, message }) } };
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => resolve(body));
  });
}

let gateway: TestServer;
let failing: TestServer;
let hang: TestServer;
const seen: Seen[] = [];

before(async () => {
  gateway = await serve((req, res) => {
    void read(req).then((body) => {
      const { method = '', url = '', headers } = req;
      seen.push({ method, url, type: headers['content-type'] ?? '', auth: headers.authorization, body });
      res.writeHead(200).end();
    });
  });
  failing = await serve((_req, res) => res.writeHead(503).end('storage is full\nsecond line'));
  hang = await hanging();
});
after(() => Promise.all([gateway.close(), failing.close(), hang.close()]));

describe('pushing a run', () => {
  it("POSTs a failure to the target's group, as text 0.0.4, with basic auth from the URL", async () => {
    const { log, lines } = recorder();
    const url = gateway.url.replace('http://', 'http://ops:s3cret@');
    const ok = await pushRun(OUTCOME, { pushgateway: url, targetKey: 'default.deployment.web', timeoutMs: 2_000, log });
    assert.equal(ok, true);
    const last = seen.at(-1)!;
    assert.equal(last.method, 'POST');
    assert.equal(last.url, '/metrics/job/latency-scaler/scale_target/default.deployment.web');
    assert.equal(last.type, 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(last.auth, `Basic ${Buffer.from('ops:s3cret').toString('base64')}`);
    assert.match(last.body, /^latency_scaler_last_failure_timestamp_seconds 3$/m);
    assert.ok(lines.every((l) => l.level === 'debug'));
  });

  it('refused: one warning naming the Pushgateway (password redacted), the call and the cause', async () => {
    const { log, lines } = recorder();
    const url = `http://ops:s3cret@127.0.0.1:${await freePort()}`;
    assert.equal(await pushRun(OUTCOME, { pushgateway: url, targetKey: 'k', timeoutMs: 2_000, log }), false);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 'warn');
    assert.match(lines[0]!.message, /the Pushgateway at http:\/\/\[redacted\]@127\.0\.0\.1:\d+/);
    assert.match(lines[0]!.message, /\(POST \/metrics\/job\/latency-scaler\/scale_target\/k\): connection refused;/);
    assert.doesNotMatch(lines[0]!.message, /s3cret/);
  });

  it('no answer: given up after api.timeout, in words', async () => {
    const { log, lines } = recorder();
    const started = Date.now();
    assert.equal(await pushRun(OUTCOME, { pushgateway: hang.url, targetKey: 'k', timeoutMs: 300, log }), false);
    assert.ok(Date.now() - started < 2_000);
    assert.match(lines[0]!.message, /: no answer within 0\.3 s; the run's outcome and exit code are unchanged$/);
  });

  it("an error status: the status and the answer's first line", async () => {
    const { log, lines } = recorder();
    assert.equal(await pushRun(OUTCOME, { pushgateway: failing.url, targetKey: 'k', timeoutMs: 2_000, log }), false);
    assert.match(lines[0]!.message, /: it answered 503: storage is full;/);
  });

  it('the run interrupted (its signal aborted): nothing is sent', async () => {
    const { log } = recorder();
    const before = seen.length;
    const signal = AbortSignal.abort();
    const pushed = await pushRun(OUTCOME, { pushgateway: gateway.url, targetKey: 'k', timeoutMs: 2_000, signal, log });
    assert.equal(pushed, false);
    assert.equal(seen.length, before);
  });

  it('a signal during the push ends it at once', async () => {
    const { log, lines } = recorder();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const to = { pushgateway: hang.url, targetKey: 'k', timeoutMs: 10_000, signal: controller.signal, log };
    assert.equal(await pushRun(OUTCOME, to), false);
    assert.ok(Date.now() - started < 2_000);
    assert.match(lines[0]!.message, /cancelled \(the run was interrupted\)/);
  });
});

describe('credentials in the URL', () => {
  it('become a basic-auth header and leave the URL', () => {
    assert.deepEqual(splitCredentials('https://a%40b:p%3Aw@pg.example:9091/prefix'), {
      base: 'https://pg.example:9091/prefix',
      authorization: `Basic ${Buffer.from('a@b:p:w').toString('base64')}`,
    });
    assert.deepEqual(splitCredentials('http://pg:9091'), { base: 'http://pg:9091' });
  });
});
