// The history picture for real: `scale.js history` writes it from the file state store after real
// runs, and headless Chromium (Debian's chromium) opens and screenshots it with nothing in the console.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundle } from '../helpers/cli.ts';
import { startScaleServer, startService, type CountingService, type ScaleServer } from '../helpers/scale-server.ts';

let dir: string;
let service: CountingService;
let target: ScaleServer;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-history-'));
  service = await startService(30); // 30 ms per request: above the 5 ms target
  target = await startScaleServer(1);
});
after(async () => {
  await service?.close();
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a page in headless Chromium; returns the screenshot's size and every console line. */
function openInChromium(page: string, name: string): { shot: number; console: string[]; stderr: string } {
  const chromium = ['chromium', 'chromium-browser'].find((c) => spawnSync('which', [c]).status === 0);
  assert.ok(chromium, 'Chromium is required (apt-get install chromium; .ci/run installs it)');
  const shot = join(dir, `${name}.png`);
  const r = spawnSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${join(dir, `profile-${name}`)}`,
      '--enable-logging=stderr',
      '--v=0',
      '--window-size=1000,900',
      `--screenshot=${shot}`,
      `file://${page}`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  // Chromium logs every console message of the page as INFO:CONSOLE whatever its level, and the page
  // itself logs nothing: so any console line (an error, a failed load) is a failure.
  const console = r.stderr.split('\n').filter((l) => /:CONSOLE|Uncaught/.test(l));
  return { shot: existsSync(shot) ? statSync(shot).size : 0, console, stderr: r.stderr };
}

describe('history', () => {
  const config = (): string => {
    const path = join(dir, 'scaler.yaml');
    writeFileSync(
      path,
      `target: { kind: http, url: ${target.url} }
replicas: { min: 1, max: 5 }
loadTest: { host: ${service.url}, users: 2, duration: 1s, requests: [{ method: GET, path: /fib }] }
targets: [{ method: GET, endpoint: /fib, type: mean, target: 5 }]
settle: { timeout: 0s }
state: { store: file, path: ${join(dir, 'state.json')} }
`,
    );
    return path;
  };

  it('before any run: says there is no history, writes nothing, exits 1', async () => {
    const out = join(dir, 'none.html');
    const r = await runBundle(['history', '--config', config(), '--out', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no history recorded yet/);
    assert.equal(existsSync(out), false);
  });

  it('after two runs: writes the picture of both decisions, says where', async () => {
    for (let i = 0; i < 2; i++)
      assert.equal((await runBundle(['run', '--config', config(), '--output', 'json'])).code, 0);
    assert.equal(target.replicas, 3, 'two scale-ups');
    const out = join(dir, 'history.html');
    const r = await runBundle(['history', '--config', config(), '--out', out, '--output', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { file: out, decisions: 2 });
    const html = readFileSync(out, 'utf8');
    assert.match(html, /<title>latency-scaler: .*<\/title>/);
    assert.equal((html.match(/<svg /g) ?? []).length, 2);
    assert.match(html, /scale up 1→2: GET \/fib mean [\d.]+ ms &#62; 5 ms/);

    const opened = openInChromium(out, 'history');
    assert.ok(opened.shot > 5000, `no screenshot: ${opened.stderr.slice(-1500)}`);
    assert.deepEqual(opened.console, []);
  });

  it('the console check is real: a page that logs an error is caught', () => {
    const page = join(dir, 'bad.html');
    writeFileSync(
      page,
      '<!doctype html><title>bad</title><p>bad</p><script>console.error("broken chart"); missing();</script>',
    );
    const opened = openInChromium(page, 'bad');
    assert.ok(opened.shot > 0, opened.stderr.slice(-1500));
    assert.ok(
      opened.console.some((l) => l.includes('broken chart')),
      opened.stderr.slice(-1500),
    );
    assert.ok(
      opened.console.some((l) => /Uncaught ReferenceError/.test(l)),
      opened.stderr.slice(-1500),
    );
  });
});
