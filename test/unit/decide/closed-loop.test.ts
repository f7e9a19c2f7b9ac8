// The closed-loop simulator is deterministic (seeded), so its headline results are testable.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { PROFILES, reversals, simulate } from '../../bench/sim/loop.ts';
import { AUTOSCALERS } from '../../bench/closed-loop-policies.ts';
import { meanLatencyMs, oracleReplicas, seenAt } from '../../bench/sim/service.ts';

const profile = (name: string) => PROFILES.find((p) => p.name === name)!;

it('the service model: more replicas, less latency; past saturation it times out and sheds', () => {
  assert.ok(meanLatencyMs(150, 2) > meanLatencyMs(150, 3));
  assert.equal(oracleReplicas(150, 20), 3);
  const overloaded = seenAt(1200, 3);
  assert.ok(overloaded.timeoutShare > 0.3 && overloaded.shedShare > 0.3, JSON.stringify(overloaded));
  assert.ok(overloaded.meanMs > 500);
  const shedding = seenAt(1200, 3, true);
  assert.ok(
    shedding.shedShare > 0.7 && shedding.timeoutShare === 0 && shedding.servedMs < 100,
    JSON.stringify(shedding),
  );
  assert.deepEqual(seenAt(150, 3), seenAt(150, 3), 'deterministic');
});

it('reversals count direction changes only', () => {
  assert.equal(reversals([1, 2, 2, 3, 2, 2, 3]), 2);
});

it('LPA tuned recovers from a ×4 step within 2 runs and breaches far less than LPA', () => {
  const lpa = simulate(profile('step ×4 up'), AUTOSCALERS['LPA default']!);
  const rec = simulate(profile('step ×4 up'), AUTOSCALERS['LPA tuned']!);
  assert.ok(rec.recovery! <= 2, `recovery ${rec.recovery}`);
  assert.ok(lpa.recovery! > rec.recovery!);
  assert.ok(rec.breachRuns * 3 < lpa.breachRuns, `${rec.breachRuns} vs ${lpa.breachRuns}`);
  const steady = profile('noisy steady');
  assert.ok(simulate(steady, AUTOSCALERS['LPA tuned']!).flaps! < simulate(steady, AUTOSCALERS['LPA default']!).flaps!);
});

it("no policy of ours removes a replica while the service fails, on any profile or seed; 0.1's measure did", () => {
  for (const p of PROFILES) {
    for (const name of ['LPA default', 'LPA tuned', 'LPA tuned, latency only', 'model']) {
      for (const seed of [1, 2, 3, 4, 5]) {
        const o = simulate(p, AUTOSCALERS[name]!, seed);
        assert.equal(o.removedWhileFailing, 0, `${name} on ${p.name}, seed ${seed}`);
      }
    }
  }
  const old = simulate(profile('overload ×8, fast 503s'), AUTOSCALERS['LPA default, as 0.1 measured']!);
  assert.ok(old.removedWhileFailing > 0, 'the metric sees removals when failures are ignored');
});

it('a service shedding fast 503s: the failureRatio target scales up, latency alone does not', () => {
  const p = profile('overload ×8, fast 503s');
  assert.ok(simulate(p, AUTOSCALERS['LPA tuned']!).recovery! <= 8);
  assert.equal(simulate(p, AUTOSCALERS['LPA tuned, latency only']!).recovery, p.runs, 'never recovers');
});

it('new replicas slow to get ready: the settle guard avoids the overshoot', () => {
  const p = profile('step ×4, slow ready');
  const guarded = simulate(p, AUTOSCALERS['LPA tuned']!);
  const unguarded = simulate(p, AUTOSCALERS['LPA tuned, settle off']!);
  assert.ok(guarded.peakRatio < unguarded.peakRatio, `${guarded.peakRatio} vs ${unguarded.peakRatio}`);
  assert.ok(guarded.costRatio < unguarded.costRatio);
});

it('the model policy: no more runs in breach than HPA on CPU at 60% summed over every profile, within 1.15× the oracle', () => {
  const sum = (name: string) => {
    let breach = 0;
    let cost = 0;
    for (const p of PROFILES) {
      const outs = [1, 2, 3, 4, 5].map((seed) => simulate(p, AUTOSCALERS[name]!, seed));
      breach += Math.max(...outs.map((o) => o.breachRuns));
      cost += Math.max(...outs.map((o) => o.costRatio));
    }
    return { breach, cost: cost / PROFILES.length };
  };
  const model = sum('model');
  const hpa = sum('HPA on CPU (60%)');
  assert.ok(model.breach <= hpa.breach, `${model.breach} runs in breach vs the HPA's ${hpa.breach}`);
  assert.ok(model.cost <= 1.15, `replica-runs ${model.cost.toFixed(2)}× the oracle's`);
  const step = simulate(profile('step ×4 up'), AUTOSCALERS['model']!);
  assert.ok(step.recovery! <= 2, `recovery ${step.recovery}`);
  const pool = profile('pool-bound step ×4');
  assert.ok(simulate(pool, AUTOSCALERS['model']!).recovery! <= 2);
  assert.equal(simulate(pool, AUTOSCALERS['HPA on CPU (60%)']!).recovery, pool.runs, 'CPU never sees it');
});
