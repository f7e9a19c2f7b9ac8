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

const SEEDS = [1, 2, 3, 4, 5];
const worst = (p: (typeof PROFILES)[number], name: string) => {
  const outs = SEEDS.map((seed) => simulate(p, AUTOSCALERS[name]!, seed));
  return { outs, breach: Math.max(...outs.map((o) => o.breachRuns)), cost: Math.max(...outs.map((o) => o.costRatio)) };
};
/**
 * Where the model, reading latency alone, is still in breach more often than the HPA on CPU at 60%
 * (which sees the load itself, from 40% headroom): gradual growth it sees a run late where the latency
 * near s₀ hides it, and a database cap it scaled up to before it showed. A profile that joins this
 * list is a regression.
 */
const LOSES_TO_HPA = ['diurnal', 'surge ×1.3', 'downstream cap'];

it('the model with a production rate: no more runs in breach than the HPA on CPU at 60% on every profile', () => {
  const losses = PROFILES.flatMap((p) => {
    const [model, hpa] = [worst(p, 'model + rate'), worst(p, 'HPA on CPU (60%)')];
    return model.breach > hpa.breach ? [`${p.name} (${model.breach} vs ${hpa.breach})`] : [];
  });
  assert.deepEqual(losses, []);
});

it('the model policy: no more runs in breach than the HPA on CPU at 60% on every other profile, and in the sum', () => {
  let breach = 0;
  let hpaBreach = 0;
  let cost = 0;
  const losses: string[] = [];
  for (const p of PROFILES) {
    const model = worst(p, 'model');
    const hpa = worst(p, 'HPA on CPU (60%)');
    breach += model.breach;
    hpaBreach += hpa.breach;
    cost += model.cost;
    if (model.breach > hpa.breach) losses.push(`${p.name} (${model.breach} vs ${hpa.breach})`);
  }
  assert.deepEqual(
    losses.map((l) => l.replace(/ \(.*/, '')).sort(),
    [...LOSES_TO_HPA].sort(),
    `in breach more often than the HPA: ${losses.join(', ')}`,
  );
  assert.ok(breach < hpaBreach, `${breach} runs in breach vs the HPA's ${hpaBreach}`);
  assert.ok(cost / PROFILES.length <= 1.28, `replica-runs ${(cost / PROFILES.length).toFixed(2)}× the oracle's`);
  const step = simulate(profile('step ×4 up'), AUTOSCALERS['model']!);
  assert.ok(step.recovery! <= 1, `recovery ${step.recovery}`);
  const pool = profile('pool-bound step ×4');
  assert.ok(simulate(pool, AUTOSCALERS['model']!).recovery! <= 2);
  assert.equal(simulate(pool, AUTOSCALERS['HPA on CPU (60%)']!).recovery, pool.runs, 'CPU never sees it');
});

it('the model never stops scaling a service whose capacity grows with its replicas (no NotScalable, no out of reach)', () => {
  const bounded = (p: (typeof PROFILES)[number]) =>
    p.service?.downstreamCapRps !== undefined || p.serviceAt !== undefined || p.name === 'target below s₀';
  for (const p of PROFILES.filter((q) => !bounded(q))) {
    for (const [seed, o] of worst(p, 'model').outs.entries()) {
      const stops = o.reasons.filter((r) => r === 'NotScalable' || r === 'TargetUnreachable');
      assert.equal(stops.length, 0, `${p.name}, seed ${SEEDS[seed]}: ${stops.length} runs stopped`);
    }
  }
});

it('a downstream stall and a target below s₀: at most two scale-ups, then back to the count before, and held', () => {
  for (const [name, from, to] of [
    ['downstream stall', 20, 60],
    ['target below s₀', 0, 40],
  ] as const) {
    const p = profile(name);
    for (const [seed, o] of worst(p, 'model').outs.entries()) {
      const during = o.replicas.slice(from, to);
      const ups =
        during.filter((r, i) => i > 0 && r > during[i - 1]!).length + (during[0]! > o.replicas[from - 1]! ? 1 : 0);
      const before = from > 0 ? o.replicas[from - 1]! : o.replicas[0]!;
      assert.ok(ups <= 2, `${name}, seed ${SEEDS[seed]}: ${ups} scale-ups: ${during.join(' ')}`);
      assert.equal(during.at(-1), before, `${name}, seed ${SEEDS[seed]}: back to ${before}: ${during.join(' ')}`);
      assert.ok(o.reasons.slice(from, to).includes('TargetUnreachable'), `${name}: said out of reach`);
    }
  }
});
