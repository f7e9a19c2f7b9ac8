// One complete invocation of the bundle against real local servers: a service to measure and
// the http scale target, with the file state store. No cluster, no cloud.
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundle } from '../helpers/cli.ts';
import { FileStateStore } from '../../src/state/file.ts';
import { startScaleServer, startService, type CountingService, type ScaleServer } from '../helpers/scale-server.ts';

let dir: string;
let service: CountingService;
let scale: ScaleServer;
let n = 0;
let work: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-run-'));
  service = await startService(15);
});
after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  scale = await startScaleServer(2);
  service.requests = 0;
  service.delayMs = 15;
  work = join(dir, `w${++n}`);
  rmSync(work, { recursive: true, force: true });
  writeFileSync(join(dir, 'placeholder'), '');
});
afterEach(() => scale.close());

function config(overrides: { target?: number; extra?: string } = {}): string {
  const path = join(dir, `scaler-${n}.yaml`);
  writeFileSync(
    path,
    `target: { kind: http, url: ${scale.url} }
replicas: { min: 1, max: 4 }
loadTest:
  host: ${service.url}
  users: 4
  duration: 1s
  requests:
    - { method: GET, path: /fibonacci?n=10 }
targets:
  - { method: GET, endpoint: /fibonacci?n=10, type: mean, target: ${overrides.target ?? 5} }
decay: { replicas: 1, unchangedRuns: 2 }
state: { store: file, path: ${join(work, 'state.json')} }
${overrides.extra ?? ''}`,
  );
  return path;
}

const statePath = () => join(work, 'state.json');
const state = () =>
  JSON.parse(readFileSync(statePath(), 'utf8')) as {
    version: number;
    record: { calmRuns: number; lastReplicas: number; history: unknown[] };
  };

describe('run', () => {
  it('load-tests, decides, applies and persists, printing the decision record', async () => {
    const r = await runBundle(['run', '-c', config(), '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const record = JSON.parse(r.stdout);
    assert.equal(record.action, 'up');
    assert.equal(record.reason, 'TargetBreached');
    assert.match(record.message, /^scale up 2→3: GET \/fibonacci\?n=10 mean \d+(\.\d+)? ms > 5 ms$/);
    assert.ok(record.observations.requests['GET /fibonacci?n=10'].count > 10);
    assert.ok(service.requests > 10);
    assert.deepEqual(scale.writes, [3]);
    assert.equal(state().record.lastReplicas, 3);
    assert.equal(state().record.calmRuns, 0);
  });

  it('holds, counts, then decays (LPA rule) over consecutive runs', async () => {
    const path = config({ target: 1000 });
    const messages = [];
    for (let i = 0; i < 3; i++) {
      const r = await runBundle(['run', '-c', path, '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      messages.push(JSON.parse(r.stdout).message as string);
    }
    assert.match(messages[0]!, /^hold at 2: .* within target; 1 of 2 calm runs before decay$/);
    assert.match(messages[1]!, /^hold at 2: .*; 2 of 2 calm runs before decay$/);
    assert.equal(messages[2], 'decay 2→1: 2 calm runs');
    assert.deepEqual(scale.writes, [1]);
    assert.equal(state().record.history.length, 3);
  });

  it('--dry-run decides and prints but writes nothing', async () => {
    const r = await runBundle(['run', '-c', config(), '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).dryRun, true);
    assert.equal(JSON.parse(r.stdout).applied, 3);
    assert.deepEqual(scale.writes, []);
    assert.ok(!existsSync(statePath()));
  });

  it('text output on request: the statistics table and one sentence', async () => {
    const r = await runBundle(['run', '-c', config(), '-o', 'text']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Name\s+# reqs\s+# fails/);
    assert.match(r.stdout, /Aggregated/);
    assert.match(r.stdout, /: scale up 2→3: GET \/fibonacci\?n=10 mean/);
  });

  it('an LPA evaluation_config.yaml and LPA environment variables run unchanged', async () => {
    const lpa = join(dir, 'evaluation_config.yaml');
    writeFileSync(
      lpa,
      'targets:\n  - method: "GET"\n    endpoint: "/fibonacci?n=10"\n    type: "mean"\n    target: 7\ndecay: \n  replicas: 1\n  unchangedRuns: 3\n',
    );
    const r = await runBundle(['run', '-o', 'json'], {
      cwd: dir,
      env: {
        evaluationConfigFilePath: lpa,
        locustHost: service.url,
        locustUsers: '4',
        locustHatchRate: '4',
        locustRunTime: '1',
        SCALER_TARGET_URL: scale.url,
        SCALER_STATE_PATH: statePath(),
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const record = JSON.parse(r.stdout);
    assert.match(record.message, /scale up 2→3: GET \/fibonacci\?n=10 mean .* > 7 ms/);
    assert.deepEqual(scale.writes, [3]);
  });

  it('probe failure (service unreachable): holds, never scales down, exits 1', async () => {
    const path = config({ target: 1000 });
    writeFileSync(path, readFileSync(path, 'utf8').replace(service.url, 'http://127.0.0.1:9'));
    const r = await runBundle(['run', '-c', path, '-o', 'json']);
    assert.equal(r.code, 1, r.stderr);
    const record = JSON.parse(r.stdout);
    assert.equal(record.reason, 'ProbeFailed');
    assert.equal(record.applied, 2);
    assert.deepEqual(scale.writes, []);
  });

  it('paused target: no load sent, nothing changed', async () => {
    scale.paused = true;
    const r = await runBundle(['run', '-c', config(), '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).reason, 'Paused');
    assert.equal(service.requests, 0);
    assert.deepEqual(scale.writes, []);
  });

  it('another run wrote the state while this one measured: conflict, exit 3, nothing applied', async () => {
    const path = config();
    await runBundle(['run', '-c', path, '-o', 'json']);
    scale.writes.length = 0;
    const { version, record } = JSON.parse(readFileSync(statePath(), 'utf8'));
    const other = new FileStateStore(statePath(), record.target);
    let wrote: Promise<string> | undefined;
    service.onRequest = () => (wrote ??= other.write({ ...record, calmRuns: 7 }, String(version)));
    const r = await runBundle(['run', '-c', path, '-o', 'json']);
    assert.equal(await wrote, String(version + 1));
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /changed since it was read .*another run decided first/);
    assert.deepEqual(scale.writes, []);
    assert.equal(JSON.parse(readFileSync(statePath(), 'utf8')).record.calmRuns, 7, "the other run's record stays");
  });

  it('the target changed between read and apply (HTTP 409): exit 3', async () => {
    const path = config();
    service.onRequest = () => (scale.replicas = 4); // someone rescales while the load test runs
    const r = await runBundle(['run', '-c', path, '-o', 'json']);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(scale.writes, []);
  });

  it('set-replicas within bounds applies and restarts the decay count; outside needs --force', async () => {
    const path = config();
    let r = await runBundle(['set-replicas', '3', '-c', path, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(scale.writes, [3]);
    assert.equal(state().record.calmRuns, 0);
    r = await runBundle(['set-replicas', '9', '-c', path]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /9 is outside replicas\.min\.\.max \(1\.\.4\); pass --force/);
    assert.deepEqual(scale.writes, [3]);
    r = await runBundle(['set-replicas', '9', '--force', '-c', path, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(scale.writes, [3, 9]);
  });

  it('state show and state reset', async () => {
    const path = config();
    await runBundle(['run', '-c', path, '-o', 'json']);
    let r = await runBundle(['state', 'show', '-c', path, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).record.lastReplicas, 3);
    r = await runBundle(['state', 'reset', '-c', path, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(statePath()));
  });

  it('loadtest prints statistics only, and needs no scale target', async () => {
    const path = config();
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^target:.*$/m, ''));
    const r = await runBundle(['loadtest', '-c', path, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.ok(o.requests['GET /fibonacci?n=10'].count > 0);
    assert.equal(scale.reads, 0);
  });
});
