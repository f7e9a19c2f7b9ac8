// Production targets (DESIGN §9) are judged exactly like probe targets — breach, tolerance, calm — and
// mix with them: any breached → up; calm only when all are within. An unmeasured signal is never a
// reason to go down. The tests marked `todo` need the change to decide.ts written in them (the zero
// rule and the probe-failure rule): they run, and report, without failing the suite until it is made.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type DecideInput } from '../../../src/decide/decide.ts';
import {
  productionOnly,
  type Observations,
  type ProductionObservations,
  type ProductionReading,
} from '../../../src/model/observations.ts';
import type { TargetSpec } from '../../../src/config/types.ts';
import { observe, policy, record, REQ } from './fixtures.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const AT = '2026-06-01T11:59:59.500Z';
const P95 = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m]))) * 1000';
const RATE = 'sum(rate(http_requests_total[1m]))';
const probeTarget: TargetSpec = { label: 'mean', request: REQ, type: { kind: 'mean' }, target: 7, tolerance: 0 };
const prodTarget: TargetSpec = {
  label: 'query',
  request: 'p95-prod',
  type: { kind: 'query' },
  target: 250,
  tolerance: 0.1,
  query: P95,
};

const read = (value: number | null, unmeasured?: string): ProductionReading =>
  value === null
    ? { query: P95, value: null, unmeasured: unmeasured ?? 'Prometheus at http://p: refused' }
    : { query: P95, value, at: AT };

function production(p95: number | null, rate?: number | null): ProductionObservations {
  return {
    server: 'http://prometheus:9090',
    targets: { 'p95-prod': read(p95) },
    ...(rate !== undefined
      ? {
          rate:
            rate === null ? { query: RATE, value: null, unmeasured: 'refused' } : { query: RATE, value: rate, at: AT },
        }
      : {}),
  };
}

/** A run: the probe's mean (null: no probe sent) and the production p95 (null: unmeasured). */
function input(probeMean: number | null, p95: number | null, extra: Partial<DecideInput> = {}): DecideInput {
  const prod = production(p95);
  const observations: Observations =
    probeMean === null ? productionOnly(prod, AT) : { ...observe(probeMean), production: prod };
  const targets = probeMean === null ? [prodTarget] : [probeTarget, prodTarget];
  return {
    targetKey: 'k',
    status: { replicas: 3, paused: false },
    record: record(0, 3),
    observations,
    policy: policy({ targets }),
    now: NOW,
    ...extra,
  };
}

describe('production and probe targets mix', () => {
  it('a production breach scales up, the probe within', () => {
    const d = decide(input(5, 300));
    assert.equal(d.action, 'up');
    assert.equal(d.reason, 'TargetBreached');
    assert.equal(d.applied, 4);
    assert.match(d.message, /p95-prod 300 > 250/);
    assert.deepEqual(
      d.evaluations.map((e) => [e.target, e.breached, e.production ?? false]),
      [
        [`${REQ} mean`, false, false],
        ['p95-prod', true, true],
      ],
    );
  });

  it('a probe breach scales up, production within', () => {
    const d = decide(input(20, 200));
    assert.equal(d.action, 'up');
    assert.match(d.message, /mean 20 ms > 7 ms/);
  });

  it('the tolerance band applies: 270 against 250 × 1.1 is within', () => {
    const d = decide(input(5, 270));
    assert.equal(d.reason, 'WithinTargets');
    assert.equal(d.calm, true);
  });

  it('calm only when every target is within: both within, and decay is due → down', () => {
    const d = decide(input(5, 200, { record: record(3, 3) }));
    assert.equal(d.action, 'down');
    assert.equal(d.reason, 'Decay');
  });

  it('the history keeps each production value with its name', () => {
    const d = decide(input(5, 300));
    const entry = d.state.history.at(-1)!;
    assert.deepEqual(
      entry.observations.find((o) => o.target === 'p95-prod'),
      { target: 'p95-prod', value: 300, limit: 250 },
    );
  });
});

describe('an unmeasured production signal is never a reason to go down', () => {
  it('with a probe: a probe breach still scales up', () => {
    const d = decide(input(20, null));
    assert.equal(d.action, 'up');
    assert.match(d.message, /p95-prod: not measured \(Prometheus at http:\/\/p: refused\)/);
  });

  it('with a probe within and a decay due: holds, and says why', () => {
    const d = decide(input(5, null, { record: record(3, 3) }));
    assert.equal(d.action, 'hold');
    assert.equal(d.applied, 3);
    assert.equal(d.calm, false);
    assert.match(d.message, /p95-prod: not measured \(Prometheus at http:\/\/p: refused\)/);
  });

  it('with a probe within: the probe decides — a hold that is no probe failure (exit 0)', () => {
    const d = decide(input(5, null, { record: record(3, 3) }));
    assert.equal(d.probeFailed, false);
    assert.notEqual(d.reason, 'ProbeFailed');
    assert.equal(d.action, 'hold');
  });

  it('probe-less and unmeasured: a probe failure (exit 1), hold', () => {
    const d = decide(input(null, null, { record: record(3, 3) }));
    assert.equal(d.reason, 'ProbeFailed');
    assert.equal(d.probeFailed, true);
    assert.equal(d.applied, 3);
  });

  it('probe-less and measured: judged alone — within is calm (and decays when due), a breach scales up', () => {
    assert.equal(decide(input(null, 200)).reason, 'WithinTargets');
    assert.equal(decide(input(null, 200, { record: record(3, 3) })).action, 'down');
    assert.equal(decide(input(null, 400)).action, 'up');
  });
});

describe('activation from zero: the production load signal at 0 replicas', () => {
  const atZero = (rate: number | null, min = 0): DecideInput => ({
    targetKey: 'k',
    status: { replicas: 0, paused: false },
    record: record(0, 0),
    observations: productionOnly(production(null, rate), AT),
    policy: policy({ replicas: { min, max: 10 } }),
    now: NOW,
  });

  it('no demand (rate 0) at 0 replicas with min 0: stays at 0', () => {
    const d = decide(atZero(0));
    assert.equal(d.applied, 0);
  });

  it('min above 0 still applies at 0 replicas', () => {
    assert.equal(decide(atZero(0, 2)).applied, 2);
  });

  it('a rate above zero at 0 replicas brings the target to one replica', () => {
    const d = decide(atZero(4.5));
    assert.equal(d.action, 'up');
    assert.equal(d.applied, 1);
    assert.match(d.message, /4\.5 req\/s/);
  });

  it('decay stops at one replica while the rate says there is traffic; to 0 only on a measured rate of 0', () => {
    const oneReplica = (rate: number | null): DecideInput => ({
      ...input(5, 200, { status: { replicas: 1, paused: false }, record: record(3, 1) }),
      policy: policy({ replicas: { min: 0, max: 10 }, targets: [probeTarget] }),
      observations: { ...observe(5), production: production(200, rate) },
    });
    assert.equal(decide(oneReplica(3)).applied, 1, 'traffic: no decay to 0');
    assert.equal(decide(oneReplica(null)).applied, 1, 'rate unmeasured: no decay to 0');
    assert.equal(decide(oneReplica(0)).applied, 0, 'no traffic: to 0');
  });
});
