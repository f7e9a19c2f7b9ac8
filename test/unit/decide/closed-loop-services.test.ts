// The closed-loop simulator's services beyond the CPU-bound M/M/c one, and its elasticity metrics.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { PROFILES, serviceOf, simulate } from '../../bench/sim/loop.ts';
import { AUTOSCALERS } from '../../bench/closed-loop-policies.ts';
import { elasticity } from '../../bench/sim/elasticity.ts';
import {
  cpuUtilization,
  DEFAULT_SERVICE,
  meanLatencyMs,
  oracleReplicas,
  seenAt,
  serviceModel,
} from '../../bench/sim/service.ts';

const profile = (name: string) => PROFILES.find((p) => p.name === name)!;

it('the default service model is the one-slot, 10 ms, CPU-bound service', () => {
  assert.deepEqual(serviceModel(), DEFAULT_SERVICE);
  assert.equal(meanLatencyMs(150, 3, serviceModel({})), meanLatencyMs(150, 3));
  assert.deepEqual(seenAt(1200, 3, true, serviceModel({})), seenAt(1200, 3, true));
  assert.equal(cpuUtilization(150, 3), 0.5);
  assert.equal(cpuUtilization(1200, 3), 1, 'overload is seen as 100%');
});

it('a pool-bound service: its CPU never reaches an HPA target, and the HPA never scales it up', () => {
  const p = profile('pool-bound step ×4');
  const service = serviceOf(p);
  for (const lambda of [10, 150, 600, 5000]) assert.ok(cpuUtilization(lambda, 1, service) <= 0.04 + 1e-12);
  const hpa = simulate(p, AUTOSCALERS['HPA on CPU (50%)']!);
  assert.ok(Math.max(...hpa.replicas.slice(1)) <= hpa.replicas[0]!, 'never above where it started');
  const rec = simulate(p, AUTOSCALERS['LPA tuned']!);
  assert.ok(rec.recovery! <= 3 && rec.breachRuns * 5 < hpa.breachRuns, `${rec.breachRuns} vs ${hpa.breachRuns}`);
});

it('a downstream limit: past it more replicas do not help, and the oracle stops at the limit', () => {
  const service = serviceOf(profile('downstream cap'));
  const cap = service.downstreamCapRps!;
  assert.deepEqual(seenAt(800, 5, false, service), seenAt(800, 50, false, service));
  assert.equal(oracleReplicas(800, 20, service), Math.ceil(cap / 100));
  const rec = simulate(profile('downstream cap'), AUTOSCALERS['LPA tuned']!);
  assert.ok(rec.elasticity.wasted > 1000, 'a latency scaler runs up against the limit');
});

it('SPEC-RG elasticity metrics over hand-made demand and supply', () => {
  const e = elasticity([2, 2, 4, 4], [2, 3, 3, 5]);
  assert.equal(e.underAccuracy, 6.25); // (1/4)/4
  assert.equal(e.overAccuracy, 18.75); // (1/2 + 1/4)/4
  assert.equal(e.underTime, 25);
  assert.equal(e.overTime, 50);
  assert.equal(e.instability, 0, 'never in opposite directions');
  assert.equal(e.wasted, 2);
  assert.equal(elasticity([2, 3, 2], [3, 2, 2]).instability, 50);
});
