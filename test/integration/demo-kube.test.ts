// `npm run demo:kube`, shortened: the Fibonacci Deployment on the harness's control plane rises under
// load and decays after it through the real controllers, the Events show both the scaler's and the
// deployment controller's side, and no process (worker, control plane) is left behind.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runKubeDemo } from '../../examples/demo/kube-demo.ts';
import { readPolicy } from '../../examples/demo/policy.ts';
import { alive } from '../../examples/demo/pool.ts';

it(
  'demo:kube (recommended policy) scales the Deployment up under load, down after it, and leaves no process',
  { timeout: 180_000 },
  async () => {
    const lines: string[] = [];
    const recommended = fileURLToPath(new URL('../../examples/recommended-policy.yaml', import.meta.url));
    const { results, clusterPids } = await runKubeDemo({
      phases: { idle: 3, load: 20, cooldown: 30 },
      loadRps: 300,
      targetMs: 20,
      out: (l) => lines.push(l),
      policies: [readPolicy('recommended', recommended)],
    });
    const result = results[0]!;
    const shown = `\n${lines.join('\n')}\n${result.events.join('\n')}`;
    assert.ok(result.maxReplicas >= 3, `replicas rose under load:${shown}`);
    assert.ok(result.finalReplicas < result.maxReplicas, `replicas decayed after the load:${shown}`);
    assert.ok(result.runs.some((r) => r.action === 'up') && result.runs.some((r) => r.action === 'down'), shown);
    // The scaler's Events beside the deployment controller's (ScalingReplicaSet).
    const events = result.events.join('\n');
    assert.match(events, /ScaledUp/, shown);
    assert.match(events, /ScalingReplicaSet\s+deployment-controller/, shown);
    assert.deepEqual(result.pids.filter(alive), [], 'no worker process left');
    assert.ok(clusterPids.length >= 5);
    assert.deepEqual(clusterPids.filter(alive), [], 'no control-plane process left');
  },
);
