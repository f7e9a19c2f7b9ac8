// What README says, as written, through the bundle: its commands run after `npm ci`, `--set` reaches a
// list item, the configuration's origin is named as it was given, a paused run is recorded like any
// other, and the calm count a decision says is the one the record keeps.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE, messages, runBundle } from '../helpers/cli.ts';
import { startScaleServer, startService, type CountingService, type ScaleServer } from '../helpers/scale-server.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const COMMANDS = ['init', 'run', 'validate', 'status', 'history', 'state', 'manifests', 'loadtest', 'schema'];
const MORE = ['serve', 'pause', 'resume', 'set-replicas'];

let dir: string;
let service: CountingService;
let scale: ScaleServer;
let n = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-as-written-'));
  service = await startService(5);
  scale = await startScaleServer(2);
});
after(async () => {
  await scale.close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(extra = ''): { path: string; state: string } {
  const state = join(dir, `state-${++n}.json`);
  const path = join(dir, `scaler-${n}.yaml`);
  writeFileSync(
    path,
    `target: { kind: http, url: ${scale.url} }
replicas: { min: 1, max: 4 }
loadTest: { host: ${service.url}, users: 2, duration: 1s, requests: [{ method: GET, path: /a }] }
targets:
  - { method: GET, endpoint: /a, type: mean, target: 500 }
decay: { replicas: 1, unchangedRuns: 3 }
state: { store: file, path: ${state} }
${extra}`,
  );
  return { path, state };
}

/** Each command line of README's shell blocks: its first word (past `VAR=value` assignments). */
function shellCommands(): string[] {
  const blocks = [...README.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const lines: string[] = [];
  for (const block of blocks) {
    let continued = false;
    for (const raw of block.split('\n')) {
      const line = raw.trim();
      if (!continued && line && !line.startsWith('#')) lines.push(line);
      continued = line.endsWith('\\');
    }
  }
  return lines;
}

describe("README's commands, as written", () => {
  it('no command line is `latency-scaler …` (not on the PATH after npm ci): `node dist/scale.js …`', () => {
    // As a command: at the start of a line or of a code span (prose such as "a latency-scaler run" is not).
    const named = new RegExp(`(^\\s*|\`)latency-scaler (${[...COMMANDS, ...MORE].join('|')})\\b`);
    const prose = README.split('\n').filter((l) => named.test(l));
    assert.deepEqual(prose, [], 'a command spelled as a program that is not installed');
    const shell = shellCommands().filter((l) => /^(\w+=\S*\s+)*latency-scaler\b/.test(l));
    assert.deepEqual(shell, []);
  });

  it('every `node dist/scale.js <command>` README names exists (its --help exits 0)', async () => {
    const named = new Set([...README.matchAll(/node dist\/scale\.js ([a-z-]+)/g)].map((m) => m[1]!));
    assert.ok(named.size >= 6, [...named].join(' '));
    for (const command of named) {
      const r = await runBundle([command, '--help']);
      assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    }
  });
});

describe('--set reaches a list item; the origin of a value is named as given', () => {
  it('--set targets[0].target=300 (and targets.0.target) changes the first target', async () => {
    const { path } = config();
    for (const set of ['targets[0].target=300', 'targets.0.target=300']) {
      const r = await runBundle(['validate', '-c', path, '-o', 'json', '--set', set]);
      assert.equal(r.code, 0, messages(r.stderr));
      assert.equal(JSON.parse(r.stdout).config.targets[0].target, 300, set);
    }
  });

  it('an item that does not exist: exit 2 naming --set and the items there are; nothing sent or written', async () => {
    const { path, state } = config();
    const before = service.requests;
    const r = await runBundle(['run', '-c', path, '--set', 'targets[2].target=300']);
    assert.equal(r.code, 2);
    assert.match(messages(r.stderr), /--set targets\[2\]\.target: reaches no item: targets has one, targets\[0\]/);
    assert.doesNotMatch(messages(r.stderr), /in .*scaler-\d+\.yaml/, 'the flag is blamed, not the file');
    assert.equal(service.requests, before, 'no load');
    assert.deepEqual(scale.writes, []);
    assert.throws(() => readFileSync(state), /ENOENT/, 'no state written');
  });

  it('a value from --set that is out of range names the flag', async () => {
    const r = await runBundle(['validate', '-c', config().path, '--set', 'targets[0].target=-1']);
    assert.equal(r.code, 2);
    assert.match(messages(r.stderr), /targets\[0\]\.target \(from --set targets\[0\]\.target\)/);
  });

  it('a relative SCALER_CONFIG that cannot be read is named as SCALER_CONFIG, with the directory', async () => {
    const r = await runBundle(['run'], { cwd: dir, env: { SCALER_CONFIG: 'missing.yaml' } });
    assert.equal(r.code, 2);
    const said = messages(r.stderr);
    assert.match(said, /environment SCALER_CONFIG: cannot read "missing\.yaml" \(in .*scaler-as-written-[^)]*\)/);
    assert.doesNotMatch(said, /--config/);
  });

  it('SCALER_CONFIG naming a directory is a fleet, as --config DIR is', async () => {
    const fleet = join(dir, 'fleet');
    mkdirSync(fleet, { recursive: true });
    writeFileSync(join(fleet, 'a.yaml'), readFileSync(config().path));
    writeFileSync(join(fleet, 'b.yaml'), 'target: [not, a, mapping\n');
    const r = await runBundle(['validate', '-o', 'text'], { env: { SCALER_CONFIG: fleet } });
    assert.equal(r.code, 2, 'one member is invalid');
    assert.match(r.stdout + r.stderr, /a\.yaml/);
    assert.match(r.stdout + r.stderr, /b\.yaml.*malformed YAML/);
  });
});

describe('what a run records is what it says', () => {
  it('a paused run is recorded: its time and a history entry, the counters kept; status agrees', async () => {
    const { path, state } = config();
    const first = await runBundle(['run', '-c', path, '-o', 'json']);
    assert.equal(first.code, 0, messages(first.stderr));
    const calm = JSON.parse(readFileSync(state, 'utf8')).record;
    scale.paused = true;
    try {
      const before = service.requests;
      const r = await runBundle(['run', '-c', path, '-o', 'json']);
      assert.equal(r.code, 0, messages(r.stderr));
      assert.equal(JSON.parse(r.stdout).reason, 'Paused');
      assert.equal(service.requests, before, 'no load while paused');
      const { record } = JSON.parse(readFileSync(state, 'utf8'));
      assert.ok(record.lastRunAt > calm.lastRunAt, `${record.lastRunAt} after ${calm.lastRunAt}`);
      assert.equal(record.history.length, 2);
      assert.match(record.history[1].reason, /^hold at 2: paused by annotation latency-scaler\.io\/paused$/);
      assert.equal(record.calmRuns, calm.calmRuns, 'the calm count is kept while paused');
      const status = await runBundle(['status', '-c', path, '-o', 'json']);
      assert.equal(status.code, 0, messages(status.stderr));
      assert.equal(JSON.parse(status.stdout)[0]?.lastRunAt ?? JSON.parse(status.stdout).lastRunAt, record.lastRunAt);
    } finally {
      scale.paused = false;
    }
  });

  it('"1 of 3 calm runs" after the first calm run, as `state show` counts it', async () => {
    const { path } = config();
    const r = await runBundle(['run', '-c', path, '-o', 'json']);
    assert.equal(r.code, 0, messages(r.stderr));
    assert.match(JSON.parse(r.stdout).message, /within target; 1 of 3 calm runs before decay$/);
    const shown = await runBundle(['state', 'show', '-c', path, '-o', 'text']);
    assert.match(shown.stdout, /calm runs: 1;/);
  });
});

assert.ok(BUNDLE.endsWith('scale.js'));
