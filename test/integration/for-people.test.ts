// Text meant for people never carries a URL's secrets nor a remote body's control characters: a webhook
// whose token is in a query value no list of names knows (?code=), whose error body tries to set the
// terminal's title and clear the screen — through the bundle, in stdout, the logs and the state file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundle } from '../helpers/cli.ts';
import { startScaleServer } from '../helpers/scale-server.ts';
import { slow, type TestServer } from '../helpers/servers.ts';

const SECRET = 'hook-secret-9';
const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J boom';
let dir: string;
let service: TestServer;
let hook: Server;
let hookUrl: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-people-'));
  service = await slow(40);
  hook = createServer((req, res) => {
    if (req.method === 'GET') return void res.end(JSON.stringify({ replicas: 2 }));
    res.writeHead(500, { 'content-type': 'text/plain' }).end(HOSTILE);
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const address = hook.address() as { port: number };
  hookUrl = `http://127.0.0.1:${address.port}/scale?code=${SECRET}`;
});
after(async () => {
  await service.close();
  await new Promise((resolve) => hook.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('text for people', () => {
  for (const output of ['text', 'json']) {
    it(`-o ${output}: a failed scale's message names the webhook without its ?code= value, the body's escapes escaped`, async () => {
      const state = join(dir, `state-${output}.json`);
      const config = join(dir, `scaler-${output}.yaml`);
      writeFileSync(
        config,
        `target: { kind: http, url: "${hookUrl}" }
loadTest: { host: ${service.url}, users: 2, duration: 500ms, requests: [{ method: GET, path: /x }] }
targets: [{ method: GET, endpoint: /x, type: mean, target: 20 }]
state: { store: file, path: ${state} }
`,
      );
      const r = await runBundle(['run', '-c', config, '-o', output]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const said = r.stdout + r.stderr;
      assert.match(said, /scale\?code=\[redacted\]/, said);
      assert.match(said, /\\u001b\]0;pwned\\u0007/, said);
      const stored = existsSync(state) ? readFileSync(state, 'utf8') : '';
      for (const [where, text] of [
        ['output', said],
        ['state file', stored],
      ] as const) {
        assert.ok(!text.includes(SECRET), `${where} carries the token: ${text}`);
        assert.ok(!text.includes('\u001b'), `${where} carries a raw ESC: ${JSON.stringify(text)}`);
      }
      const status = await runBundle(['status', '-c', config, '-o', output]);
      assert.ok(!(status.stdout + status.stderr).includes(SECRET), status.stdout + status.stderr);
    });
  }

  it('values carry their units for people (ms, req/s, a failure share in %); JSON keeps numbers', async () => {
    const scale = await startScaleServer(2);
    try {
      const config = join(dir, 'units.yaml');
      writeFileSync(
        config,
        `target: { kind: http, url: ${scale.url} }
loadTest: { host: ${service.url}, users: 2, duration: 500ms, requests: [{ method: GET, path: /x }] }
targets:
  - { method: GET, endpoint: /x, type: p95, target: 4000 }
  - { method: GET, endpoint: /x, type: failureRatio, target: 0.5 }
  - { method: GET, endpoint: /x, type: rps, target: 1 }
settle: { timeout: 0s }
state: { store: file, path: ${join(dir, 'units-state.json')} }
`,
      );
      const valid = await runBundle(['validate', '-c', config, '-o', 'text']);
      assert.equal(valid.code, 0, valid.stderr);
      for (const line of ['GET /x p95 ≤ 4000 ms', 'GET /x failureRatio ≤ 50%', 'GET /x rps ≥ 1 req/s'])
        assert.ok(valid.stdout.includes(`target:  ${line}`), valid.stdout);

      const run = await runBundle(['run', '-c', config, '-o', 'json']);
      assert.equal(run.code, 0, run.stderr);
      const decided = JSON.parse(run.stdout) as { message: string; evaluations: { limit: unknown }[] };
      assert.match(
        decided.message,
        /p95 [\d.]+ ms ≤ 4000 ms; GET \/x failureRatio 0% ≤ 50%; GET \/x rps [\d.]+ req\/s ≥ 1 req\/s/,
      );
      assert.deepEqual(
        decided.evaluations.map((e) => e.limit),
        [4000, 0.5, 1],
        'JSON: numbers',
      );

      const status = await runBundle(['status', '-c', config, '-o', 'text']);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /p95 [\d.]+ ms\/4000 ms, failureRatio 0%\/50%, rps [\d.]+ req\/s\/1 req\/s/);

      const page = join(dir, 'units.html');
      assert.equal((await runBundle(['history', '-c', config, '--out', page])).code, 0);
      const html = readFileSync(page, 'utf8');
      assert.match(html, /<title>[^<]*: [\d.]+ ms \(limit 4000 ms\)\n/, 'the hover text');
      assert.match(html, /<title>[^<]*: [\d.]+ req\/s \(limit 1 req\/s\)\n/);
      assert.match(html, /<h3>GET \/x p95 <small>\(ms; dashed: target/, "the panel's unit");
    } finally {
      await scale.close();
    }
  });

  it('a count of one is singular: 1 user, 1 calm run, 1 decision, decay in 1 run', async () => {
    const scale = await startScaleServer(2);
    try {
      const config = join(dir, 'one.yaml');
      writeFileSync(
        config,
        `target: { kind: http, url: ${scale.url} }
replicas: { min: 1, max: 5 }
loadTest: { host: ${service.url}, users: 1, duration: 500ms, requests: [{ method: GET, path: /x }] }
targets: [{ method: GET, endpoint: /x, type: mean, target: 4000 }]
decay: { replicas: 1, unchangedRuns: 1 }
settle: { timeout: 0s }
state: { store: file, path: ${join(dir, 'one-state.json')} }
`,
      );
      const valid = await runBundle(['validate', '-c', config, '-o', 'text']);
      assert.equal(valid.code, 0, valid.stderr);
      assert.match(valid.stdout, /engine, 1 user at /);
      assert.match(valid.stdout, /-1 after 1 calm run\b/);

      const run = await runBundle(['run', '-c', config, '-o', 'text']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /within target; 1 of 1 calm run before decay/);

      const status = await runBundle(['status', '-c', config, '-o', 'text']);
      assert.match(status.stdout.split('\n')[1]!, /\s1 run\s/, 'decay in 1 run');

      const page = join(dir, 'one.html');
      const history = await runBundle(['history', '-c', config, '--out', page, '-o', 'text']);
      assert.equal(history.stdout, `wrote ${page} (1 decision)\n`);
    } finally {
      await scale.close();
    }
  });
});
