// The closed-loop simulator is deterministic (seeded), so its headline results are testable.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { PROFILES, reversals, simulate } from '../../bench/sim/loop.ts';
import { POLICIES } from '../../bench/closed-loop-policies.ts';
import { meanLatencyMs, oracleReplicas } from '../../bench/sim/service.ts';

it('the service model: more replicas, less latency; overload answers at the timeout', () => {
  assert.ok(meanLatencyMs(150, 2) > meanLatencyMs(150, 3));
  assert.equal(meanLatencyMs(600, 3), 10_000);
  assert.equal(oracleReplicas(150, 20), 3);
});

it('reversals count direction changes only', () => {
  assert.equal(reversals([1, 2, 2, 3, 2, 2, 3]), 2);
});

it('the recommended policy recovers from a ×4 step within 2 runs and breaches far less than LPA', () => {
  const step = PROFILES.find((p) => p.name === 'step ×4 up')!;
  const lpa = simulate(step, POLICIES['LPA default']!);
  const rec = simulate(step, POLICIES['recommended']!);
  assert.ok(rec.recovery! <= 2, `recovery ${rec.recovery}`);
  assert.ok(lpa.recovery! > rec.recovery!);
  assert.ok(rec.breachRuns * 3 < lpa.breachRuns, `${rec.breachRuns} vs ${lpa.breachRuns}`);
  const steady = PROFILES.find((p) => p.name === 'noisy steady')!;
  assert.ok(simulate(steady, POLICIES['recommended']!).flaps! < simulate(steady, POLICIES['LPA default']!).flaps!);
});
