// The history picture: rendered from a record, checked for content, then opened in headless
// Chromium (Debian's chromium) and screenshotted with no error in the console.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyHtml } from '../../src/report/history-html.ts';
import { emptyRecord, type HistoryEntry } from '../../src/state/types.ts';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'scaler-history-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

function record() {
  const t0 = Date.parse('2026-11-22T10:00:00Z');
  const history: HistoryEntry[] = [1, 2, 3, 3, 2].map((applied, i) => ({
    at: new Date(t0 + i * 60_000).toISOString(), current: i ? [1, 2, 3, 3, 2][i - 1]! : 1, desired: applied, applied,
    action: i < 3 ? 'up' : i === 4 ? 'down' : 'hold',
    reason: i === 1 ? 'scale up 1→2: GET /fibonacci?n=10 mean 12.4 ms > 7 ms <&>' : `decision ${i}`,
    observations: [{ target: 'GET /fibonacci?n=10 mean', value: [15, 12.4, 9, 6, 5][i]!, limit: 7 }],
  }));
  return { ...emptyRecord('k'), history };
}

it('renders replicas and latency against the target, reasons on hover, nothing fetched', () => {
  const html = historyHtml(record(), 'latency-scaler: Deployment default/fibonacci');
  assert.match(html, /<title>latency-scaler: Deployment default\/fibonacci<\/title>/);
  assert.equal((html.match(/<svg /g) ?? []).length, 2, 'one chart for replicas, one for the target');
  assert.equal((html.match(/<circle /g) ?? []).length, 10);
  assert.equal((html.match(/class="pt breach"/g) ?? []).length, 3, 'points above the target are marked');
  assert.match(html, /<title>2026-11-22T10:01:00.000Z\nscale up 1→2: GET \/fibonacci\?n=10 mean 12.4 ms &#62; 7 ms &#60;&#38;&#62;<\/title>/);
  assert.match(html, /class="limit"/);
  assert.doesNotMatch(html, /(src|href)=["']?https?:/, 'self-contained');
});

it('opens in headless Chromium without console errors, and screenshots', () => {
  const chromium = ['chromium', 'chromium-browser'].find((c) => spawnSync('which', [c]).status === 0);
  assert.ok(chromium, 'Chromium is required (apt-get install chromium; .ci/run installs it)');
  const page = join(dir, 'history.html');
  const shot = join(dir, 'history.png');
  writeFileSync(page, historyHtml(record(), 'history'));
  const r = spawnSync(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'profile')}`, '--enable-logging=stderr', '--v=0',
    '--window-size=1000,700', `--screenshot=${shot}`, `file://${page}`,
  ], { encoding: 'utf8', timeout: 60_000 });
  assert.ok(existsSync(shot) && statSync(shot).size > 5000, `no screenshot: ${r.stderr.slice(-1500)}`);
  const console = r.stderr.split('\n').filter((l) => /CONSOLE|Uncaught/.test(l));
  assert.deepEqual(console.filter((l) => /error|Uncaught/i.test(l)), [], console.join('\n'));
});
