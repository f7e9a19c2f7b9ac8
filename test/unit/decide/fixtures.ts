// Builders for decision tests: a policy with LPA's defaults and observations from plain numbers.
import type { Policy } from '../../../src/decide/decide.ts';
import type { Observations, RequestStats } from '../../../src/loadtest/types.ts';
import type { StateRecord } from '../../../src/model/state-record.ts';
import { emptyRecord } from '../../../src/model/state-record.ts';

export const REQ = 'GET /fibonacci?n=10';

/** Policy overrides; `decay` may name only the fields that differ. */
export type PolicyOverrides = Omit<Partial<Policy>, 'decay'> & { decay?: Partial<Policy['decay']> };

export function policy(overrides: PolicyOverrides = {}): Policy {
  const { decay, ...rest } = overrides;
  return {
    replicas: { min: 1, max: 10 },
    targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: 7, tolerance: 0 }],
    scaleUp: { mode: 'step', step: 1, maxStep: Number.MAX_SAFE_INTEGER },
    decay: { mode: 'lpa', replicas: 1, unchangedRuns: 3, maxFailureRatio: 0.01, ...decay },
    model: { headroom: 0.85, concurrency: 1 },
    onProbeFailure: 'hold',
    stabilization: { downscaleWindow: 0 },
    settle: { timeout: 5 * 60_000 },
    history: { limit: 50 },
    ...rest,
  };
}

export function stats(mean: number, extra: Partial<RequestStats> = {}): RequestStats {
  return {
    name: REQ,
    count: 100,
    failures: 0,
    rps: 50,
    min: mean / 2,
    max: mean * 2,
    mean,
    median: mean,
    percentiles: { p95: mean * 1.5, p99: mean * 1.8 },
    failuresByKind: {},
    ...extra,
  };
}

export function observe(mean: number | null, extra: Partial<RequestStats> = {}): Observations {
  const s = mean === null ? stats(0, { count: 0 }) : stats(mean, extra);
  return {
    engine: 'local',
    startedAt: '2026-01-01T00:00:00.000Z',
    measuredMs: 5000,
    requests: { [REQ]: s },
    aggregated: { ...s, name: 'Aggregated' },
  };
}

export function record(calmRuns: number, lastReplicas: number | null, extra: Partial<StateRecord> = {}): StateRecord {
  return { ...emptyRecord('k'), calmRuns, lastReplicas, ...extra };
}
