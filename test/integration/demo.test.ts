// The local demo's closed loop, shortened: with the recommended policy replicas rise under load and
// come down after it, no process is left behind, and the comparison with LPA's default is printed.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { comparison, runDemo, type DemoResult } from '../../examples/demo/demo.ts';
import { readPolicy } from '../../examples/demo/policy.ts';
import { alive } from '../../examples/demo/pool.ts';

const RECOMMENDED = fileURLToPath(new URL('../../examples/recommended-policy.yaml', import.meta.url));

it(
  'the demo (recommended policy) scales up under load, down after it, and leaves no process',
  { timeout: 120_000 },
  async () => {
    const lines: string[] = [];
    const result = await runDemo({
      phases: { idle: 3, load: 16, cooldown: 24 },
      loadRps: 300,
      targetMs: 20,
      out: (l) => lines.push(l),
      policy: readPolicy('recommended', RECOMMENDED),
    });
    assert.ok(result.maxReplicas >= 3, `replicas rose under load:\n${lines.join('\n')}`);
    assert.ok(result.finalReplicas < result.maxReplicas, `replicas came down after the load:\n${lines.join('\n')}`);
    assert.ok(result.runs.some((r) => r.action === 'up') && result.runs.some((r) => r.action === 'down'));
    assert.match(lines[0]!, /^demo \(recommended\): service http:/);
    assert.match(lines.at(-1)!, /^\nsummary: \d+ runs; replicas 1 → \d+ under load → \d+ after it/);
    assert.ok(result.pids.length >= 3);
    assert.deepEqual(result.pids.filter(alive), [], 'no worker process left');
    assert.equal(
      result.replicaRuns,
      result.runs.reduce((n, r) => n + r.replicas, 0),
    );
  },
);

it('the comparison names each policy with its runs in breach, replica-runs, peak and reversals', () => {
  const run = (replicas: number, observed: number) => ({ at: 0, replicas, observed, action: 'hold', message: '' });
  const result = (
    policy: string,
    runs: ReturnType<typeof run>[],
    breachRuns: number,
    reversals: number,
  ): DemoResult => ({
    policy,
    runs,
    maxReplicas: Math.max(...runs.map((r) => r.replicas)),
    finalReplicas: runs.at(-1)!.replicas,
    pids: [],
    breachRuns,
    replicaRuns: runs.reduce((n, r) => n + r.replicas, 0),
    reversals,
  });
  const table = comparison([
    result('recommended', [run(1, 5), run(3, 30), run(2, 10)], 1, 1),
    result("LPA's default policy", [run(1, 5), run(2, 40), run(3, 30), run(2, 10)], 2, 1),
  ]);
  assert.match(table[0]!, /^policy +runs +in breach +replica-runs +peak +reversals$/);
  assert.match(table[2]!, /^recommended +3 +1 +6 +3 +1$/);
  assert.match(table[3]!, /^LPA's default policy +4 +2 +8 +3 +1$/);
});
