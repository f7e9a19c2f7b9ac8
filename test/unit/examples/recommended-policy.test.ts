// examples/recommended-policy.yaml: policy keys only, and appended to a scaler.yaml it loads as the
// model policy the closed-loop benchmark measures.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { modelPolicy } from '../../bench/closed-loop-policies.ts';
import { loadConfig } from '../../../src/config/load.ts';

const fragment = readFileSync('examples/recommended-policy.yaml', 'utf8');

describe('examples/recommended-policy.yaml', () => {
  it('holds policy keys only: no target, loadTest, targets or state', () => {
    const keys = Object.keys(load(fragment) as object).sort();
    assert.deepEqual(keys, ['decay', 'model', 'scaleUp', 'settle', 'stabilization']);
  });

  it("appended to a scaler.yaml, loads as the benchmark's model policy", async () => {
    const base = `target: { kind: http, url: http://127.0.0.1:5001/replicas }
loadTest: { host: http://127.0.0.1:5000, requests: [{ method: GET, path: /work }] }
targets: [{ method: GET, endpoint: /work, type: mean, target: 20 }]
`;
    const dir = mkdtempSync(join(tmpdir(), 'scaler-policy-'));
    const path = join(dir, 'scaler.yaml');
    writeFileSync(path, `${base}${fragment}`);
    const config = await loadConfig({ configPath: path, env: {} });
    rmSync(dir, { recursive: true, force: true });
    const bench = modelPolicy(20);
    assert.deepEqual(config.scaleUp.mode, bench.scaleUp.mode);
    assert.deepEqual({ ...config.decay, maxFailureRatio: 0 }, { ...bench.decay, maxFailureRatio: 0 });
    assert.deepEqual(config.model, bench.model);
    assert.deepEqual(config.stabilization, bench.stabilization);
    assert.deepEqual(config.settle, bench.settle);
  });
});
