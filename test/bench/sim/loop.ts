// Runs the real decide() in closed loop against the service model through a load profile.
import { decide, type Policy } from '../../../src/decide/decide.ts';
import type { Observations } from '../../../src/loadtest/types.ts';
import type { StateRecord } from '../../../src/model/state-record.ts';
import { meanLatencyMs, normal, oracleReplicas, seeded } from './service.ts';

export const TARGET_MS = 20;
const REQ = 'GET /work';

export interface Profile {
  name: string;
  runs: number;
  load: (run: number) => number; // requests/s
  noise: number; // relative standard deviation of the measured mean
  stepAt?: number; // the run of a step change, for the recovery figure
  steadyFrom?: number; // runs after this are steady: reversals there are flaps
}

export const PROFILES: Profile[] = [
  { name: 'step ×4 up', runs: 80, load: (r) => (r < 20 ? 150 : 600), noise: 0.05, stepAt: 20 },
  { name: 'step ÷4 down', runs: 80, load: (r) => (r < 20 ? 600 : 150), noise: 0.05 },
  { name: 'ramp ×4', runs: 80, load: (r) => 150 + 450 * Math.min(1, Math.max(0, (r - 10) / 40)), noise: 0.05 },
  { name: 'diurnal', runs: 96, load: (r) => 375 + 225 * Math.sin((2 * Math.PI * r) / 48), noise: 0.05 },
  { name: 'noisy steady', runs: 80, load: () => 400, noise: 0.15, steadyFrom: 20 },
];

export interface Outcome {
  recovery?: number; // runs in breach after the step before the target is met again
  breachRuns: number;
  costRatio: number; // replica-runs ÷ the oracle's
  flaps?: number; // direction reversals in steady state
  replicas: number[];
}

export function simulate(profile: Profile, policy: Policy, seed = 42): Outcome {
  const random = seeded(seed);
  let replicas = oracleReplicas(profile.load(0), TARGET_MS);
  let record: StateRecord | null = null;
  let breachRuns = 0;
  let cost = 0;
  let oracleCost = 0;
  let recovery: number | undefined;
  const series: number[] = [];
  for (let run = 0; run < profile.runs; run++) {
    const lambda = profile.load(run);
    const truth = meanLatencyMs(lambda, replicas);
    const observed = truth * Math.max(0.1, 1 + profile.noise * normal(random));
    const breached = truth > TARGET_MS;
    if (breached) breachRuns++;
    if (profile.stepAt !== undefined && run >= profile.stepAt && recovery === undefined && !breached)
      recovery = run - profile.stepAt;
    cost += replicas;
    oracleCost += oracleReplicas(lambda, TARGET_MS);
    series.push(replicas);
    const d = decide({
      targetKey: 'sim',
      status: { replicas, paused: false },
      record,
      observations: observations(observed, lambda),
      policy,
      now: run * 60_000,
    });
    record = d.state;
    replicas = d.applied; // takes effect by the next run (settled)
  }
  const outcome: Outcome = { breachRuns, costRatio: cost / oracleCost, replicas: series };
  if (profile.stepAt !== undefined) outcome.recovery = recovery ?? profile.runs;
  if (profile.steadyFrom !== undefined) outcome.flaps = reversals(series.slice(profile.steadyFrom));
  return outcome;
}

function observations(mean: number, rps: number): Observations {
  const s = {
    name: REQ,
    count: 1000,
    failures: 0,
    rps,
    min: mean,
    max: mean,
    mean,
    median: mean,
    percentiles: {},
    failuresByKind: {},
  };
  return {
    engine: 'local',
    startedAt: '1970-01-01T00:00:00.000Z',
    measuredMs: 5000,
    requests: { [REQ]: s },
    aggregated: s,
  };
}

/** How often the direction of change flips (up then down, or down then up). */
export function reversals(series: number[]): number {
  let last = 0;
  let flips = 0;
  for (let i = 1; i < series.length; i++) {
    const dir = Math.sign(series[i]! - series[i - 1]!);
    if (dir === 0) continue;
    if (last !== 0 && dir !== last) flips++;
    last = dir;
  }
  return flips;
}

export function basePolicy(
  overrides: Omit<Partial<Policy>, 'decay'> & { decay?: Partial<Policy['decay']> } = {},
): Policy {
  const { decay, ...rest } = overrides;
  return {
    replicas: { min: 1, max: 100 },
    targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: TARGET_MS, tolerance: 0 }],
    scaleUp: { mode: 'step', step: 1, maxStep: Number.MAX_SAFE_INTEGER },
    decay: { replicas: 1, unchangedRuns: 3, maxFailureRatio: 0.01, ...decay },
    onProbeFailure: 'hold',
    stabilization: { downscaleWindow: 0 },
    settle: { timeout: 0 },
    history: { limit: 50 },
    ...rest,
  };
}
