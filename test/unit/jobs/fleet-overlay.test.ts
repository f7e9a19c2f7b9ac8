// jobs/fleet/kustomization.yaml, read as written: the numbers that must agree do, and every member
// file reaches the ConfigMap (a file left out of configMapGenerator would silently never run).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';

interface Kustomization {
  resources: string[];
  configMapGenerator: { name: string; files: string[] }[];
  patches: { patch: string; target?: { kind: string } }[];
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any; // a patch, as written
const k = load(readFileSync('jobs/fleet/kustomization.yaml', 'utf8')) as Kustomization;

describe('jobs/fleet', () => {
  it('completions, parallelism and SCALER_SHARDS are one number', () => {
    const cron = k.patches.map((p) => load(p.patch) as Json).find((p) => p.kind === 'CronJob');
    const spec = cron.spec.jobTemplate.spec;
    const env = spec.template.spec.containers[0].env as { name: string; value: string }[];
    const shards = Number(env.find((e) => e.name === 'SCALER_SHARDS')!.value);
    assert.equal(spec.completionMode, 'Indexed');
    assert.equal(spec.completions, shards);
    assert.equal(spec.parallelism, shards);
    assert.equal(spec.backoffLimitPerIndex, 0);
  });

  it('every members/*.yaml is a key of the ConfigMap, and rbac.yaml is a resource', () => {
    const members = readdirSync('jobs/fleet/members')
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => `members/${f}`)
      .sort();
    const generator = k.configMapGenerator.find((g) => g.name === 'latency-scaler-fleet')!;
    assert.deepEqual([...generator.files].sort(), members);
    assert.ok(k.resources.includes('rbac.yaml') && k.resources.includes('../base'));
  });
});
