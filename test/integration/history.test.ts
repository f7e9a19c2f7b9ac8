// The history picture for real: `scale.js history` writes it from the file state store after real
// runs, and headless Chromium (Debian's chromium) opens and screenshots it with nothing in the console.
// What is drawn is measured in Chromium too (history-measure.js, run in a copy of the page): labels
// apart and whole, points inside their plots, bands not empty, time left to right; for that page and
// for richer ones (days of history, spikes, failures by kind, a fleet) made by the same functions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyRecord, type HistoryEntry, type StateRecord } from '../../src/model/state-record.ts';
import { fleetHistoryHtml, historyHtml } from '../../src/report/history-html.ts';
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

const MEASURE = readFileSync(new URL('./history-measure.js', import.meta.url), 'utf8');

/** Runs headless Chromium on a page with `args` (--screenshot, --dump-dom); its stdout and console lines. */
function chromium(page: string, name: string, args: string[]): { stdout: string; console: string[]; stderr: string } {
  const command = ['chromium', 'chromium-browser'].find((c) => spawnSync('which', [c]).status === 0);
  assert.ok(command, 'Chromium is required (apt-get install chromium; .ci/run installs it)');
  const r = spawnSync(
    command,
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
      ...args,
      `file://${page}`,
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  // Chromium logs every console message of the page as INFO:CONSOLE whatever its level, and the page
  // itself logs nothing: so any console line (an error, a failed load) is a failure.
  const console = r.stderr.split('\n').filter((l) => /:CONSOLE|Uncaught/.test(l));
  return { stdout: r.stdout, console, stderr: r.stderr };
}

/** Opens a page in headless Chromium; returns the screenshot's size and every console line. */
function openInChromium(page: string, name: string): { shot: number; console: string[]; stderr: string } {
  const shot = join(dir, `${name}.png`);
  const r = chromium(page, name, [`--screenshot=${shot}`]);
  return { shot: existsSync(shot) ? statSync(shot).size : 0, console: r.console, stderr: r.stderr };
}

interface Measured {
  panels: number;
  points: number;
  bars: number;
  bands: number;
  timeLabels: number;
  valueLabels: number;
  problems: string[];
}

/** Lays a copy of the page out in Chromium with the measuring script appended; what it found drawn. */
function measureInChromium(page: string, name: string): Measured {
  const copy = join(dir, `${name}-measured.html`);
  writeFileSync(copy, readFileSync(page, 'utf8').replace('</body>', `<script>${MEASURE}</script>\n</body>`));
  const r = chromium(copy, `${name}-measured`, ['--dump-dom']);
  assert.deepEqual(r.console, [], 'the page and the measuring script log nothing');
  const json = /<pre id="measured">([^<]*)<\/pre>/.exec(r.stdout)?.[1];
  assert.ok(json, `nothing measured: ${r.stderr.slice(-1500)}`);
  const text = json
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  return JSON.parse(text) as Measured;
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
    assert.match(html, /max 5/, "the config's replica bounds");

    const opened = openInChromium(out, 'history');
    assert.ok(opened.shot > 5000, `no screenshot: ${opened.stderr.slice(-1500)}`);
    assert.deepEqual(opened.console, []);
    const drawn = measureInChromium(out, 'history');
    assert.deepEqual(drawn.problems, []);
    assert.equal(drawn.panels, 2);
    assert.equal(drawn.points, 4, 'both decisions on both panels');
    assert.equal(drawn.bands, 2, 'above max 5 and below min 1');
    assert.ok(drawn.timeLabels >= 4 && drawn.valueLabels >= 6, JSON.stringify(drawn));
  });

  it("a fleet with unreadable records: the page names each failed member's error and draws the others; exit 1, as status", async () => {
    const one = readFileSync(config(), 'utf8'); // its record holds the two decisions above
    const corrupt = join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{ not json');
    const another = join(dir, 'another.json');
    copyFileSync(join(dir, 'state.json'), another); // the first target's record
    const member = (path: string, state: string): string =>
      one.replace(`url: ${target.url}`, `url: ${target.url}${path}`).replace(join(dir, 'state.json'), state);
    const fleet = join(dir, 'fleet.yaml');
    const documents = [one, member('/b', corrupt), member('/c', another), 'targets: nonsense\n'];
    writeFileSync(fleet, documents.join('---\n'));
    const out = join(dir, 'fleet.html');

    const r = await runBundle(['history', '-c', fleet, '--out', out, '-o', 'json']);
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout) as { targets: number; decisions: number; failed: { error: string }[] };
    assert.deepEqual([result.targets, result.decisions, result.failed.length], [1, 2, 3], r.stdout);
    const html = readFileSync(out, 'utf8');
    assert.equal((html.match(/<h2>/g) ?? []).length, 4, 'a heading per member');
    assert.equal((html.match(/<svg /g) ?? []).length, 2, "the readable member's panels");
    assert.match(html, /<p class="error-text">error: state file [^<]*corrupt\.json is not valid JSON/);
    assert.match(html, /<p class="error-text">error: state file [^<]*another\.json belongs to target/);
    assert.match(
      html,
      /<h2>[^<]*fleet\.yaml#4<\/h2>\n<section class="group"><p class="error-text">error: invalid configuration/,
    );
    assert.deepEqual(measureInChromium(out, 'fleet-failed').problems, []);

    const text = await runBundle(['history', '-c', fleet, '--out', out, '-o', 'text']);
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /^wrote .*fleet\.html \(1 of 4 targets, 2 decisions\)\n {2}.*\/b: error: state file /);
    const status = await runBundle(['status', '-c', fleet, '-o', 'json']);
    assert.equal(status.code, r.code, 'the exit code status gives the same fleet');
  });

  const pages: { name: string; html: () => string; panels: number; bands: number; bars: number }[] = [
    {
      name: 'three days, spikes, failures by kind',
      html: () => historyHtml(sample(72, 3_600_000, 1), 't', { bounds: { min: 1, max: 8 } }),
      panels: 4,
      bands: 2,
      bars: 1,
    },
    {
      name: 'nine seconds: ten decisions a second apart',
      html: () => historyHtml(sample(10, 1000, 6), 't', { bounds: { min: 1, max: 8 } }),
      panels: 4,
      bands: 2,
      bars: 1,
    },
    {
      name: 'a fleet of three: ten minutes, a day, a single decision',
      html: () =>
        fleetHistoryHtml([
          { title: 'Deployment default/a', record: sample(11, 60_000, 2), bounds: { min: 2, max: 6 } },
          { title: 'Deployment default/b', record: sample(49, 1_800_000, 3), bounds: { min: 0, max: 10 } },
          { title: 'Deployment default/c', record: sample(1, 60_000, 4) },
        ]),
      panels: 12,
      bands: 3,
      bars: 1,
    },
  ];
  for (const p of pages) {
    it(`what is drawn: ${p.name}`, () => {
      const page = join(dir, `${p.name.replace(/\W+/g, '-')}.html`);
      writeFileSync(page, p.html());
      const drawn = measureInChromium(page, 'sample');
      assert.deepEqual(drawn.problems, []);
      assert.equal(drawn.panels, p.panels);
      assert.equal(drawn.bands, p.bands);
      assert.ok(drawn.bars >= p.bars, 'failure bars drawn');
    });
  }

  it('the measuring is real: a point outside its plot and overlapping labels are caught', () => {
    const page = join(dir, 'broken.html');
    const html = historyHtml(sample(11, 60_000, 5), 't')
      .replace(/<circle class="pt" cx="[\d.]+"/, '<circle class="pt" cx="2"')
      .replace(/(class="axis xtick" x=")[\d.]+(.*?class="axis xtick" x=")[\d.]+/, '$1300$2302');
    writeFileSync(page, html);
    const { problems } = measureInChromium(page, 'broken');
    assert.ok(
      problems.some((l) => /a point at .* is outside the plot/.test(l)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((l) => /labels "\d\d:\d\d" and "\d\d:\d\d" overlap/.test(l)),
      problems.join('\n'),
    );
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

/**
 * `n` decisions `step` ms apart from an evening (so days change): a mean with spikes 100× the rest
 * and a failed probe, a rate, a failure-ratio target, and from the middle on the failures by kind
 * that a decision may store.
 */
function sample(n: number, step: number, seed: number): StateRecord {
  const t0 = Date.parse('2026-11-22T18:07:00Z');
  let replicas = 2;
  const history = Array.from({ length: n }, (_, i): HistoryEntry => {
    const spike = i % 17 === 5;
    const mean = spike ? 480 + seed : 5 + 3 * Math.sin(i / 3 + seed);
    const current = replicas;
    replicas = Math.max(1, Math.min(8, replicas + (mean > 7 ? 1 : i % 5 === 0 ? -1 : 0)));
    const ratio = spike ? 0.18 : i % 7 === 0 ? 0.012 : 0;
    const entry = {
      at: new Date(t0 + i * step).toISOString(),
      current,
      desired: replicas,
      applied: replicas,
      action: replicas > current ? 'scale-up' : replicas < current ? 'scale-down' : 'hold',
      reason: `decision ${i}: GET /fib mean ${mean.toFixed(1)} ms <&> 7 ms`,
      observations: [
        { target: 'GET /fib mean', value: i === 9 ? null : mean, limit: 7 },
        { target: 'GET /fib rps', value: 40 + (i % 4) * 5, limit: 45 },
        { target: 'GET /fib failureRatio', value: ratio, limit: 0.05 },
      ],
    };
    const kinds = ratio ? { timeout: 40, 'HTTP 503': 8 } : {};
    return i > n / 2 ? ({ ...entry, failures: { ratio, kinds } } as HistoryEntry) : entry;
  });
  return { ...emptyRecord('sample'), history };
}
