// The local demo's closed loop, shortened: replicas rise under load, decay after it, and no
// process is left behind.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../examples/demo/demo.ts';
import { alive } from '../../examples/demo/pool.ts';

it('the demo scales up under load, decays after it, and leaves no process', { timeout: 120_000 }, async () => {
  const lines: string[] = [];
  const result = await runDemo({
    phases: { idle: 3, load: 16, cooldown: 24 },
    loadRps: 300,
    targetMs: 20,
    out: (l) => lines.push(l),
  });
  assert.ok(result.maxReplicas >= 3, `replicas rose under load:\n${lines.join('\n')}`);
  assert.ok(result.finalReplicas < result.maxReplicas, `replicas decayed after the load:\n${lines.join('\n')}`);
  assert.ok(result.runs.some((r) => r.action === 'up') && result.runs.some((r) => r.action === 'down'));
  assert.match(lines.at(-1)!, /^\nsummary: \d+ runs; replicas 1 → \d+ under load → \d+ after it/);
  assert.ok(result.pids.length >= 3);
  assert.deepEqual(result.pids.filter(alive), [], 'no worker process left');
});
