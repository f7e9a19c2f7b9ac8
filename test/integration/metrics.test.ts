// Each run pushes its outcome to a real Prometheus Pushgateway (test/harness/pushgateway.ts), which is
// then scraped as Prometheus would: the bundle against a local service and the http scale target.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { BUNDLE, messages, runBundle } from '../helpers/cli.ts';
import { startFaultProxy } from '../harness/faults.ts';
import { hanging, type TestServer } from '../helpers/servers.ts';
import { startScaleServer, startService, type CountingService, type ScaleServer } from '../helpers/scale-server.ts';
import { freePort } from '../harness/ports.ts';
import { startPushgateway, type Pushgateway } from '../harness/pushgateway.ts';
import { targetKey } from '../../src/model/target-key.ts';

const REQUEST = 'GET /fibonacci?n=10';

let dir: string;
let service: CountingService;
let gateway: Pushgateway;
const scales: ScaleServer[] = [];
let n = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-metrics-'));
  // 30 ms against a 5 ms target: a breach the load generator's own delay cannot explain.
  service = await startService(30);
  gateway = await startPushgateway();
});
after(async () => {
  await Promise.all([service.close(), gateway.stop(), ...scales.map((s) => s.close())]);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => void n++);

async function scaleServer(replicas: number): Promise<ScaleServer> {
  const s = await startScaleServer(replicas);
  scales.push(s);
  return s;
}

function config(scale: ScaleServer, host = service.url): string {
  const path = join(dir, `scaler-${n}-${scales.indexOf(scale)}.yaml`);
  writeFileSync(
    path,
    `target: { kind: http, url: ${scale.url} }
replicas: { min: 1, max: 4 }
loadTest:
  host: ${host}
  users: 4
  duration: 1s
  requests:
    - { method: GET, path: /fibonacci?n=10 }
targets:
  - { method: GET, endpoint: /fibonacci?n=10, type: mean, target: 5 }
state: { store: file, path: ${join(dir, `state-${n}-${scales.indexOf(scale)}.json`)} }
`,
  );
  return path;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text format's sample lines (comments skipped), label values unescaped. */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The samples of one scale target's group. */
async function group(scale: ScaleServer): Promise<Sample[]> {
  const key = targetKey({ kind: 'http', url: scale.url, headers: {} });
  return parse(await gateway.scrape()).filter((s) => s.labels['scale_target'] === key);
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const match = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(match.length <= 1, `one ${name} ${JSON.stringify(labels)}`);
  return match[0]?.value;
}

describe('metrics pushed to a Pushgateway', () => {
  it('a run that decided: its group holds the replicas, the target in seconds and a fresh last success', async () => {
    const scale = await scaleServer(2);
    const r = await runBundle([
      'run',
      '-c',
      config(scale),
      '-o',
      'json',
      '--set',
      `metrics.pushgateway=${gateway.url}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const record = JSON.parse(r.stdout) as { evaluations: { value: number }[]; applied: number };
    assert.equal(record.applied, 3);
    const g = await group(scale);
    const key = targetKey({ kind: 'http', url: scale.url, headers: {} });
    const current = g.find((s) => s.name === 'latency_scaler_current_replicas');
    assert.deepEqual(current?.labels, { instance: '', job: 'latency-scaler', scale_target: key });
    assert.equal(current?.value, 2);
    assert.equal(value(g, 'latency_scaler_applied_replicas'), 3);
    assert.equal(value(g, 'latency_scaler_desired_replicas'), 3);
    assert.equal(value(g, 'latency_scaler_min_replicas'), 1);
    assert.equal(value(g, 'latency_scaler_max_replicas'), 4);
    assert.equal(value(g, 'latency_scaler_calm_runs'), 0);
    assert.equal(value(g, 'latency_scaler_last_action', { action: 'up', reason: 'TargetBreached' }), 1);
    const target = { target: `${REQUEST} mean` };
    const observed = value(g, 'latency_scaler_target_observed_seconds', target)!;
    assert.ok(Math.abs(observed - record.evaluations[0]!.value / 1000) < 1e-9, `${observed} s`);
    assert.ok(observed > 0.025 && observed < 1, `${observed} s: the 30 ms service, in seconds`);
    assert.equal(value(g, 'latency_scaler_target_limit_seconds', target), 0.005);
    assert.equal(value(g, 'latency_scaler_target_breached', target), 1);
    assert.ok(value(g, 'latency_scaler_loadtest_requests')! > 10);
    // Nothing failed: the failures are series at 0 on the gateway, not absent (an alert sees 0).
    assert.equal(value(g, 'latency_scaler_loadtest_failures', { kind: 'timeout' }), 0);
    assert.equal(value(g, 'latency_scaler_loadtest_failures', { kind: 'connection refused' }), 0);
    const success = value(g, 'latency_scaler_last_success_timestamp_seconds')!;
    assert.ok(Math.abs(Date.now() / 1000 - success) < 30, `${success} is close to now`);
    assert.equal(value(g, 'latency_scaler_last_run_exit_code'), 0);
    const duration = value(g, 'latency_scaler_last_run_duration_seconds')!;
    assert.ok(duration >= 1 && duration < 30, `${duration} s: the 1 s load test and the rest`);
    assert.equal(value(g, 'latency_scaler_last_failure_timestamp_seconds'), undefined);
    assert.ok(value(g, 'push_time_seconds')! > 0, "the Pushgateway's own push time, in the same group");
  });

  it('a failing run (probe failure, exit 1) keeps the last success and its values, sets the failure time', async () => {
    const scale = await scaleServer(2);
    const env = { SCALER_PUSHGATEWAY: gateway.url }; // the environment variable, this time
    const ok = await runBundle(['run', '-c', config(scale), '-o', 'json'], { env });
    assert.equal(ok.code, 0, ok.stderr);
    const before = await group(scale);
    const success = value(before, 'latency_scaler_last_success_timestamp_seconds')!;
    const down = config(scale, `http://127.0.0.1:${await freePort()}`); // nothing listens: nothing measured
    const failed = await runBundle(['run', '-c', down, '-o', 'json'], { env });
    assert.equal(failed.code, 1, failed.stderr);
    const g = await group(scale);
    assert.equal(value(g, 'latency_scaler_last_success_timestamp_seconds'), success, 'the last success, unchanged');
    const failure = value(g, 'latency_scaler_last_failure_timestamp_seconds')!;
    assert.ok(failure >= success && Math.abs(Date.now() / 1000 - failure) < 30, `${failure} after ${success}`);
    assert.equal(value(g, 'latency_scaler_last_run_exit_code'), 1);
    // The decision's values are the last success's: a run that measured nothing does not replace them.
    assert.equal(value(g, 'latency_scaler_applied_replicas'), value(before, 'latency_scaler_applied_replicas'));
    const target = { target: `${REQUEST} mean` };
    assert.equal(
      value(g, 'latency_scaler_target_observed_seconds', target),
      value(before, 'latency_scaler_target_observed_seconds', target),
    );
  });

  it('a second target has its own group: its run does not overwrite the first', async () => {
    const [first, second] = [await scaleServer(2), await scaleServer(3)];
    const set = ['--set', `metrics.pushgateway=${gateway.url}`];
    for (const scale of [first, second]) {
      const r = await runBundle(['run', '-c', config(scale), '-o', 'json', ...set]);
      assert.equal(r.code, 0, r.stderr);
    }
    const [a, b] = [await group(first), await group(second)];
    assert.equal(value(a, 'latency_scaler_current_replicas'), 2);
    assert.equal(value(a, 'latency_scaler_applied_replicas'), 3);
    assert.equal(value(b, 'latency_scaler_current_replicas'), 3);
    assert.equal(value(b, 'latency_scaler_applied_replicas'), 4);
    assert.ok(value(a, 'latency_scaler_last_success_timestamp_seconds')! > 0);
  });

  it('a dry run pushes nothing: it persists nothing', async () => {
    const scale = await scaleServer(2);
    const r = await runBundle(['run', '-c', config(scale), '-o', 'json', '--dry-run', '--pushgateway', gateway.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await group(scale), []);
  });
});

describe('a Pushgateway that cannot take the push', () => {
  let hang: TestServer;
  before(async () => (hang = await hanging()));
  after(() => hang.close());

  it('refused: the run still decides and exits 0, with a warning naming the address and the cause', async () => {
    const scale = await scaleServer(2);
    const port = await freePort();
    const url = `http://metrics:s3cret@127.0.0.1:${port}`;
    const r = await runBundle(['run', '-c', config(scale), '-o', 'json', '--set', `metrics.pushgateway=${url}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(scale.writes, [3]);
    const said = messages(r.stderr);
    assert.match(
      said,
      new RegExp(
        `could not push the run's metrics to the Pushgateway at http://\\[redacted\\]@127\\.0\\.0\\.1:${port}`,
      ),
    );
    assert.match(said, /: connection refused; the run's outcome and exit code are unchanged/);
    assert.ok(!r.stderr.includes('s3cret') && !r.stdout.includes('s3cret'), 'the password is never printed');
  });

  it('no answer: given up after api.timeout, exit 0, the warning says so', async () => {
    const scale = await scaleServer(2);
    const args = ['--set', `metrics.pushgateway=${hang.url}`, '--set', 'api.timeout=1s'];
    const started = Date.now();
    const r = await runBundle(['run', '-c', config(scale), '-o', 'json', ...args]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - started < 15_000, 'the push did not hold the run');
    const said = messages(r.stderr);
    assert.match(said, new RegExp(`the Pushgateway at ${hang.url.replace(/\./g, '\\.')}/? \\(PUT /metrics/job/`));
    assert.match(said, /: no answer within 1 s; the run's outcome and exit code are unchanged/);
  });
});

describe('a Lambda invocation that decided', () => {
  it("pushes its metrics though the invocation's deadline abort came during its apply", async () => {
    // 9 s left: the handler interrupts the run at 4 s (5 s before the end). The load test ends at
    // about 1 s, the apply (a webhook PUT held 4 s by the proxy) at about 5 s: decided and applied,
    // then the push, which the abort must not cut (it has until 8.5 s).
    const scale = await scaleServer(2);
    const proxy = await startFaultProxy({ upstream: new URL(scale.url).origin });
    try {
      proxy.inject({ method: 'PUT', fault: { kind: 'slow', beforeMs: 4_000 } });
      const url = `${proxy.url}/replicas`;
      const yaml = readFileSync(config(scale), 'utf8')
        .replace(scale.url, url)
        .replace('duration: 1s', 'duration: 500ms\n  timeout: 300ms')
        .concat(`metrics: { pushgateway: ${gateway.url} }\n`);
      const invoke =
        `const m = await import(${JSON.stringify(pathToFileURL(BUNDLE).href)});` +
        'const r = await m.handler({}, { getRemainingTimeInMillis: () => 9000 });' +
        'console.log(JSON.stringify(r));';
      const child = spawn(process.execPath, ['--input-type=module', '-e', invoke], {
        env: { PATH: process.env['PATH'], HOME: process.env['HOME'], SCALER_CONFIG_YAML: yaml },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 0, messages(stderr).slice(-2000));
      const record = JSON.parse(stdout) as { action: string; applied: number };
      assert.deepEqual([record.action, record.applied], ['up', 3], 'decided and applied');
      assert.deepEqual(scale.writes, [3]);
      const key = targetKey({ kind: 'http', url, headers: {} });
      const g = parse(await gateway.scrape()).filter((x) => x.labels['scale_target'] === key);
      assert.equal(value(g, 'latency_scaler_applied_replicas'), 3, `pushed: ${messages(stderr).slice(-2000)}`);
      const success = value(g, 'latency_scaler_last_success_timestamp_seconds')!;
      assert.ok(Math.abs(Date.now() / 1000 - success) < 30, `${success} is close to now`);
    } finally {
      await proxy.close();
    }
  });
});
