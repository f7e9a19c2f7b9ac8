// The Fibonacci example as a user deploys it: `kubectl kustomize examples/fibonacci` (the app and the
// scaler CronJob from jobs/ together) accepted by a real kube-apiserver in a server-side dry run, and
// its two configuration forms (scaler.yaml, the LPA evaluation_config.yaml) loading to the same policy.
// kubectl itself parses the YAML here: its parser is stricter than js-yaml (an unquoted `?` in a flow
// mapping passes js-yaml and breaks `kubectl apply -k`).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { kubeBinaries, startKube, type KubeCluster } from '../harness/kube.ts';
import { namespace } from '../helpers/kube-objects.ts';
import { runBundle } from '../helpers/cli.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/fibonacci', import.meta.url));

/** kubectl from PATH, or beside the harness's kube-apiserver; fails loudly when neither exists. */
function kubectl(): string {
  const beside = join(dirname(kubeBinaries().apiserver), 'kubectl');
  if (existsSync(beside)) return beside;
  if (spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0) return 'kubectl';
  throw new Error('kubectl is required (the README deploys the example with it): put it on PATH');
}

type Obj = { kind: string; metadata: { name: string }; data?: Record<string, string> };

describe('examples/fibonacci', () => {
  let kube: KubeCluster;
  let dir: string;
  before(async () => {
    kube = await startKube();
    dir = mkdtempSync(join(tmpdir(), 'scaler-example-'));
  });
  after(async () => {
    await kube?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl apply -k: app, scaler CronJob, RBAC and config are accepted by the API server (dry run)', async () => {
    const bin = kubectl();
    const rendered = execFileSync(bin, ['kustomize', EXAMPLE], { encoding: 'utf8' });
    const objs = (loadAll(rendered) as Obj[]).filter(Boolean);
    const names = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    for (const want of [
      'Deployment/fibonacci',
      'Service/fibonacci',
      'CronJob/latency-scaler',
      'ServiceAccount/latency-scaler',
      'Role/latency-scaler',
      'RoleBinding/latency-scaler',
      'ConfigMap/latency-scaler-config',
      'ConfigMap/latency-scaler-deployment-fibonacci',
    ]) {
      assert.ok(names.includes(want), `${want} in ${names.join(', ')}`);
    }
    const config = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'latency-scaler-config')!;
    assert.equal(
      config.data?.['scaler.yaml'],
      readFileSync(join(EXAMPLE, 'scaler.yaml'), 'utf8'),
      "the example's scaler.yaml replaces the one in jobs/",
    );

    const ns = await namespace(kube, 'example-fibonacci');
    const file = join(dir, 'rendered.yaml');
    writeFileSync(file, rendered);
    const r = spawnSync(bin, ['apply', '--dry-run=server', '--kubeconfig', kube.kubeconfigPath, '-n', ns, '-f', file], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal((r.stdout.match(/\(server dry run\)/g) ?? []).length, objs.length, r.stdout);
  });

  it('scaler.yaml and the LPA evaluation_config.yaml (with LPA environment variables) load to the same policy', async () => {
    const load = async (file: string, env: Record<string, string> = {}) => {
      const r = await runBundle(['validate', '--config', join(EXAMPLE, file), '--output', 'json'], { env });
      assert.equal(r.code, 0, r.stderr);
      const { config } = JSON.parse(r.stdout) as {
        config: Record<string, unknown> & { loadTest: Record<string, unknown> };
      };
      const { host, users, spawnRate, duration, requests } = config.loadTest;
      return {
        target: config['target'],
        targets: config['targets'],
        decay: config['decay'],
        host,
        users,
        spawnRate,
        duration,
        requests,
      };
    };
    const ours = await load('scaler.yaml');
    const lpa = await load('evaluation_config.yaml', {
      locustHost: 'http://fibonacci:5000',
      locustUsers: '10',
      locustHatchRate: '10',
      locustRunTime: '5s',
      SCALER_TARGET_KIND: 'Deployment',
      SCALER_TARGET_NAME: 'fibonacci',
    });
    assert.deepEqual(lpa, ours);
    assert.deepEqual(ours.decay, { mode: 'lpa', replicas: 1, unchangedRuns: 3, maxFailureRatio: 0.01 });
    assert.equal(ours.users, 10);
    assert.equal(ours.duration, 5000);
  });
});
