// Many autoscalers in one invocation (DESIGN §7), through the bundle: a directory and a file of several
// documents, each member with its own service, webhook target and state file; one member's bad
// configuration or unreachable service never stops the others; shards partition the fleet.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BUNDLE, messages, runBundle } from '../helpers/cli.ts';
import { startPoolServer, startScaleServer, type ScaleServer } from '../helpers/scale-server.ts';
import { slow, type TestServer } from '../helpers/servers.ts';
import { handler } from '../../src/lambda.ts';

let dir: string;
let services: TestServer[] = [];
let scales: ScaleServer[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-fleet-'));
  services = await Promise.all([slow(40), slow(1), slow(1)]);
  scales = await Promise.all([startScaleServer(2), startScaleServer(2), startScaleServer(2)]);
});
after(async () => {
  await Promise.all([...services, ...scales].map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** One autoscaler's document: service i measured, scale target i, its own state file. */
const doc = (i: number, extra = ''): string => `target: { kind: http, url: ${scales[i]!.url} }
loadTest: { host: ${services[i]!.url}, users: 2, duration: 500ms, requests: [{ method: GET, path: /x }] }
targets: [{ method: GET, endpoint: /x, type: mean, target: 20 }]
state: { store: file, path: ${join(dir, `state-${i}.json`)} }
${extra ? `${extra}\n` : ''}`;

interface Line {
  source?: string;
  exitCode: number;
  action?: string;
  message?: string;
  error?: string;
  summary?: string;
}
const lines = (stdout: string): Line[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

const sources = (stdout: string): string[] =>
  lines(stdout)
    .flatMap((l) => (l.source ? [l.source] : []))
    .sort();

describe('a fleet in one invocation', () => {
  it('a directory (a file of two documents and another file): each decides on its own, one JSON line each', async () => {
    const fleet = join(dir, 'fleet');
    mkdirSync(fleet);
    writeFileSync(join(fleet, 'a.yaml'), `${doc(0)}---\n${doc(1)}`);
    writeFileSync(join(fleet, 'b.yaml'), doc(2));
    const r = await runBundle(['run', '-c', fleet, '-o', 'json', '--parallel', '3']);
    assert.equal(r.code, 0, messages(r.stderr));
    const out = lines(r.stdout);
    assert.equal(out.length, 4, r.stdout);
    const bySource = new Map(out.filter((l) => l.source).map((l) => [l.source, l]));
    assert.deepEqual([...bySource.keys()].sort(), [`${fleet}/a.yaml#1`, `${fleet}/a.yaml#2`, `${fleet}/b.yaml`]);
    assert.equal(bySource.get(`${fleet}/a.yaml#1`)!.action, 'up', 'the 40 ms service breaches 20 ms');
    assert.equal(bySource.get(`${fleet}/a.yaml#2`)!.action, 'hold');
    assert.equal(out.at(-1)!.summary, '3 decided');
    assert.deepEqual(
      scales.map((s) => s.writes),
      [[3], [], []],
    );
  });

  it("one member's bad configuration and another's unreachable service stop neither the third nor the summary", async () => {
    const file = join(dir, 'mixed.yaml');
    // Its metrics pushed nowhere either: a warning line of its own.
    const unreachable = doc(1, 'metrics: { pushgateway: "http://127.0.0.1:9" }').replace(
      services[1]!.url,
      'http://127.0.0.1:9',
    );
    writeFileSync(file, `${doc(0)}---\n${doc(2, 'replicas: { mni: 1 }')}---\n${unreachable}`);
    const r = await runBundle(['run', '-c', file, '-o', 'json']);
    assert.ok(r.stdout.trim(), messages(r.stderr));
    const out = lines(r.stdout);
    assert.equal(r.code, 2, 'the worst: an invalid document');
    const summary = out.at(-1)!.summary!;
    assert.match(summary, /^1 decided, 1 failed, 1 invalid: /);
    assert.match(summary, /mixed\.yaml#2: invalid configuration in .*mixed\.yaml#2: replicas\.mni/);
    assert.match(summary, /mixed\.yaml#3: hold at 2: probe failed: the service could not be reached/);
    assert.equal(out.find((l) => l.source?.endsWith('#1'))!.exitCode, 0);
    // A member's own log lines (here its failed push) name the member, as its record does.
    const logs = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; msg: string; member?: string });
    const pushes = logs.filter((l) => l.msg.startsWith("could not push the run's metrics"));
    assert.deepEqual(
      pushes.map((l) => [l.level, l.member]),
      [['warn', `${file}#3`]],
      r.stderr,
    );
  });

  it("SIGTERM during the members' load tests: the summary says interrupted, not failed; exit 143", async () => {
    const file = join(dir, 'long.yaml');
    const long = (i: number): string => doc(i).replace('duration: 500ms', 'duration: 20s');
    writeFileSync(file, `${long(1)}---\n${long(2)}`);
    const child = spawn(process.execPath, [BUNDLE, 'run', '-c', file, '-o', 'json', '--parallel', '2'], {
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise((r) => setTimeout(r, 2_000));
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 143, stdout);
    const summary = lines(stdout).at(-1)!.summary!;
    assert.match(summary, /^0 decided, 2 interrupted: /, summary);
    assert.doesNotMatch(summary, /failed/);
  });

  it("a directory with one file's YAML typo and one document that is a list: the others run", async () => {
    const fleet = join(dir, 'typos');
    mkdirSync(fleet);
    writeFileSync(join(fleet, 'a.yaml'), 'targets: [\n  - {method: GET\n'); // unclosed: a syntax error
    writeFileSync(join(fleet, 'b.yaml'), `${doc(0)}---\n- a list, not settings\n`);
    writeFileSync(join(fleet, 'c.yaml'), doc(2).replace('state-2.json', 'state-2-typos.json')); // its own calm count
    const before = scales.map((s) => s.writes.length);
    const r = await runBundle(['run', '-c', fleet, '-o', 'json']);
    assert.ok(r.stdout.trim(), messages(r.stderr));
    const out = lines(r.stdout);
    assert.equal(r.code, 2, 'the worst: an invalid document');
    const summary = out.at(-1)!.summary!;
    assert.match(summary, /^2 decided, 2 invalid: /, summary);
    assert.match(summary, /a\.yaml: invalid configuration in .*a\.yaml: malformed YAML at line \d+/);
    assert.match(summary, /b\.yaml#2: invalid configuration in .*b\.yaml#2: the document is .*expected a YAML mapping/);
    const decided = out.filter((l) => l.action).map((l) => l.source);
    assert.deepEqual(decided.sort(), [`${fleet}/b.yaml#1`, `${fleet}/c.yaml`]);
    assert.equal(scales[0]!.writes.length, before[0]! + 1, 'the 40 ms member scaled up');
  });

  it('two documents for one target, or two whose records fold into one: both refused before any load', async () => {
    const file = join(dir, 'twice.yaml');
    const again = doc(0).replace('state-0.json', 'state-0-again.json'); // its own state: still one target
    const pools = await startPoolServer({ '/pool-a': 2, '/pool_a': 2 });
    // Two webhooks whose paths read alike (`/pool-a`, `/pool_a`) have their own keys and default files.
    const pool = (path: string) =>
      doc(1)
        .replace(/^target: .*$/m, `target: { kind: http, url: '${pools.url}${path}' }`)
        .replace(/^state: .*\n/m, '');
    // One kind in two spellings: one key, one ConfigMap (never reached: refused first).
    const rollout = (kind: string) =>
      pool('/pool-a').replace(
        /^target: .*$/m,
        `target: { kind: ${kind}, apiVersion: argoproj.io/v1, name: web, namespace: shop }`,
      );
    writeFileSync(
      file,
      [
        doc(0),
        again,
        pool('/pool-a'),
        pool('/pool_a'),
        rollout('Rollout'),
        rollout('rollout'),
        doc(2).replace('state-2.json', 'state-2-twice.json'),
      ].join('---\n'),
    );
    const before = scales.map((s) => s.writes.length);
    try {
      const r = await runBundle(['run', '-c', file, '-o', 'json'], { cwd: dir });
      assert.ok(r.stdout.trim(), messages(r.stderr));
      const summary = lines(r.stdout).at(-1)!.summary!;
      assert.equal(r.code, 2, summary);
      assert.match(summary, /^3 decided, 4 invalid: /, summary);
      assert.match(
        summary,
        /twice\.yaml#1: .*target: http .* is also scaled by .*twice\.yaml#2: one target, one autoscaler/,
      );
      assert.match(summary, /twice\.yaml#2: .*is also scaled by .*twice\.yaml#1/);
      assert.match(
        summary,
        /twice\.yaml#5: .*state: Rollout shop\/web and rollout shop\/web .*would share one state record/,
      );
      assert.deepEqual(
        scales.map((s, i) => s.writes.length - before[i]!),
        [0, 0, 0],
        'the refused members read and scaled nothing; the seventh held',
      );
      assert.deepEqual(
        [pools.pools['/pool-a']!.reads, pools.pools['/pool_a']!.reads].map((n) => n > 0),
        [true, true],
        'each webhook decided',
      );
      const files = readdirSync(join(dir, '.latency-scaler')).filter((f) => f.startsWith('http-'));
      assert.equal(files.filter((f) => f.endsWith('.json')).length, 2, files.join(', '));
    } finally {
      await pools.close();
    }
  });

  it('validate checks every document of a fleet: each valid one said, each invalid one named (exit 2)', async () => {
    const fleet = join(dir, 'validate');
    mkdirSync(fleet);
    writeFileSync(join(fleet, 'a.yaml'), `${doc(0)}---\n${doc(1)}`);
    const good = await runBundle(['validate', '-c', join(fleet, 'a.yaml'), '-o', 'text']);
    assert.equal(good.code, 0, messages(good.stderr));
    assert.match(good.stdout, /a\.yaml#1 is valid[\s\S]*a\.yaml#2 is valid/);
    writeFileSync(join(fleet, 'b.yaml'), doc(2, 'replicas: { mni: 1 }'));
    const bad = await runBundle(['validate', '-c', fleet, '-o', 'text']);
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /a\.yaml#2 is valid/);
    assert.match(bad.stdout, /invalid configuration in .*b\.yaml: replicas\.mni: unknown key/);
  });

  it('--shard i/n: the shards partition the fleet by target, stably', async () => {
    const file = join(dir, 'shards.yaml');
    writeFileSync(file, `${doc(0)}---\n${doc(1)}---\n${doc(2)}`);
    const seen: string[][] = [];
    for (const shard of ['0/2', '1/2']) {
      const r = await runBundle(['run', '-c', file, '-o', 'json', '--shard', shard, '--dry-run']);
      assert.equal(r.code, 0, messages(r.stderr));
      // Sorted: a member's line is printed as it ends, so members of one shard may end in either order.
      seen.push(sources(r.stdout));
    }
    const all = [...seen[0]!, ...seen[1]!].sort();
    assert.deepEqual(all, [`${file}#1`, `${file}#2`, `${file}#3`]);
    const again = await runBundle(['run', '-c', file, '-o', 'json', '--shard', '0/2', '--dry-run']);
    assert.deepEqual(sources(again.stdout), seen[0], 'the same shard again');
    const bad = await runBundle(['run', '-c', file, '--shard', '2/2']);
    assert.equal(bad.code, 2);
    assert.match(messages(bad.stderr), /--shard: "2\/2" is not i\/n with 0 ≤ i < n/);
  });

  it('one configuration is a single run, as ever (one decision record, not a fleet line)', async () => {
    const file = join(dir, 'single.yaml');
    writeFileSync(file, doc(2));
    const r = await runBundle(['run', '-c', file, '-o', 'json']);
    assert.equal(r.code, 0, messages(r.stderr));
    const record = JSON.parse(r.stdout) as { source?: string; action: string };
    assert.equal(record.source, undefined);
    assert.equal(record.action, 'hold');
  });

  it('a Lambda invocation runs a fleet from SCALER_CONFIG_YAML; one that cannot fit its waves is refused before any load', async () => {
    process.env['SCALER_CONFIG_YAML'] = `${doc(1)}---\n${doc(2)}`;
    try {
      const reads = scales.map((s) => s.reads);
      const short = { getRemainingTimeInMillis: () => 8_000 };
      await assert.rejects(
        handler({}, short),
        /Lambda Timeout: 8s left in this invocation, but 2 autoscalers at \d+ at once run in 1 wave of up to 12\.5 s each/,
      );
      assert.deepEqual(
        scales.map((s) => s.reads),
        reads,
        'nothing read, no load sent',
      );
      const result = (await handler({}, { getRemainingTimeInMillis: () => 60_000 })) as {
        fleet: boolean;
        summary: string;
        members: { source: string; exitCode: number }[];
      };
      assert.equal(result.fleet, true);
      assert.equal(result.summary, '2 decided');
      assert.deepEqual(result.members.map((m) => m.source).sort(), [
        'environment SCALER_CONFIG_YAML#1',
        'environment SCALER_CONFIG_YAML#2',
      ]);
    } finally {
      delete process.env['SCALER_CONFIG_YAML'];
    }
  });

  it('status and history read the whole fleet: a row per target, one page with a chart group per target', async () => {
    const file = join(dir, 'watch.yaml');
    writeFileSync(file, `${doc(0)}---\n${doc(1)}---\n${doc(2)}`);
    await runBundle(['run', '-c', file, '-o', 'json']); // every member has a history now
    const status = await runBundle(['status', '-c', file, '-o', 'json']);
    assert.equal(status.code, 0, messages(status.stderr));
    const rows = JSON.parse(status.stdout) as { target: string; lastDecision: string | null }[];
    assert.equal(rows.length, 3);
    assert.ok(
      rows.every((r) => r.lastDecision),
      status.stdout,
    );
    const out = join(dir, 'fleet-history.html');
    const history = await runBundle(['history', '-c', file, '--out', out, '-o', 'json']);
    assert.equal(history.code, 0, messages(history.stderr));
    assert.equal((JSON.parse(history.stdout) as { targets: number }).targets, 3);
    const html = readFileSync(out, 'utf8');
    for (const scale of scales) assert.ok(html.includes(new URL(scale.url).host), 'a group per target');
  });
});
