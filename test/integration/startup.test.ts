// The lazy boundaries of the one bundle, checked through what the process evaluated (module side
// effects recorded by src/loaded.ts, and Node's module registry), never with a clock: `--version`
// and the Lambda import evaluate none of yargs, undici, the Kubernetes client or the AWS SDK; a run
// on the http target evaluates no Kubernetes client and no AWS SDK.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUNDLE } from '../helpers/cli.ts';
import { startScaleServer, startService, type CountingService, type ScaleServer } from '../helpers/scale-server.ts';

const PROBE = fileURLToPath(new URL('../helpers/loaded-probe.cjs', import.meta.url));

interface Loaded {
  parts: string[];
  builtins: string[];
  stdout: string;
  status: number | null;
}

/** Runs node with the probe preloaded (asynchronously: the test's own servers must keep answering). */
function loaded(args: string[]): Promise<Loaded> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', PROBE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const line = stderr.split('\n').find((l) => l.startsWith('LOADED '));
      if (!line) return reject(new Error(`no probe output: ${stderr}`));
      resolve({ ...(JSON.parse(line.slice(7)) as { parts: string[]; builtins: string[] }), stdout, status });
    });
  });
}

/** Builtins a bare `node -e 0` (with the probe) does not load. */
async function beyondBareNode(r: Loaded): Promise<string[]> {
  const bare = await loaded(['-e', '0']);
  return r.builtins.filter((m) => !bare.builtins.includes(m));
}

let dir: string;
let service: CountingService;
let scale: ScaleServer;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-startup-'));
  service = await startService(1);
  scale = await startScaleServer(2);
});
after(async () => {
  await service.close();
  await scale.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('start-up: what each entry evaluates', () => {
  it('--version evaluates no heavy part and loads no network module', async () => {
    const r = await loaded([BUNDLE, '--version']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.deepEqual(r.parts, []);
    const extra = await beyondBareNode(r);
    for (const m of ['tls', 'http', 'https', 'http2', 'zlib', 'dns', 'crypto'])
      assert.ok(!extra.includes(m), `${m} loaded`);
  });

  it('importing the bundle (the Lambda handler path) evaluates no heavy part', async () => {
    const r = await loaded([
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(pathToFileURL(BUNDLE).href)}); console.log(typeof m.handler)`,
    ]);
    assert.equal(r.stdout.trim(), 'function');
    assert.deepEqual(r.parts, []);
    assert.ok(!(await beyondBareNode(r)).includes('http'));
  });

  it('a run on the http target evaluates undici and yargs, but no Kubernetes client and no AWS SDK (the probe can see)', async () => {
    const config = join(dir, 'scaler.yaml');
    writeFileSync(
      config,
      `target: { kind: http, url: ${scale.url} }
loadTest: { host: ${service.url}, users: 1, duration: 300ms }
targets: [{ method: GET, endpoint: /x, type: mean, target: 1000 }]
state: { store: file, path: ${join(dir, 'state.json')} }
`,
    );
    const r = await loaded([BUNDLE, 'run', '-c', config, '--dry-run', '-o', 'json']);
    assert.equal(r.status, 0);
    assert.deepEqual(r.parts.sort(), ['undici', 'yargs']);
    assert.ok((await beyondBareNode(r)).includes('http'));
  });

  it('serve evaluates the console, which no run and no import of the bundle does (the checks above)', async () => {
    const config = join(dir, 'serve.yaml');
    writeFileSync(
      config,
      `target: { kind: http, url: ${scale.url} }\nloadTest: { host: ${service.url} }\n` +
        'targets: [{ method: GET, endpoint: /x, type: mean, target: 1000 }]\n',
    );
    const r = await loaded([BUNDLE, 'serve', '-c', config, '--port', '-1']); // refused once loaded: exit 2
    assert.equal(r.status, 2);
    assert.ok(r.parts.includes('console'), JSON.stringify(r.parts));
  });

  it('a run on a Kubernetes target evaluates the Kubernetes client (so the check above is real)', async () => {
    const config = join(dir, 'kube.yaml');
    writeFileSync(
      config,
      `target: { kind: Deployment, name: fib }
loadTest: { host: ${service.url}, users: 1, duration: 300ms }
targets: [{ method: GET, endpoint: /x, type: mean, target: 1000 }]
state: { store: file, path: ${join(dir, 'kube-state.json')} }
`,
    );
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'x', cluster: { server: 'https://127.0.0.1:9' } }],
        users: [{ name: 'x', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'x', user: 'x' } }],
        'current-context': 'x',
      }),
    );
    const r = await loaded([BUNDLE, 'run', '-c', config, '--dry-run', '-o', 'json', '--set', 'loadTest.timeout=1s']);
    assert.ok(r.parts.includes('kubernetes client'), JSON.stringify(r.parts));
    assert.ok(!r.parts.includes('aws sdk'));
  });
});
