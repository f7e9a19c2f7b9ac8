// Runs an autoscaler in closed loop against the service model through a load profile: the real
// decide() (LPA's policy, the recommended one), or an HPA on CPU as KEDA/HPA users run it. New
// replicas may take runs to become ready; past saturation the service fails (service.ts). Each
// profile may describe its own service (slots, service time, CPU per request, a downstream limit)
// and its own latency target; the autoscalers are built per profile from that target.
import { decide, type Policy } from '../../../src/decide/decide.ts';
import type { Observations } from '../../../src/loadtest/types.ts';
import { decodeRecord, encodeRecord, type StateRecord } from '../../../src/model/state-record.ts';
import type { TargetStatus } from '../../../src/model/target-status.ts';
import { reversals } from '../../../examples/demo/policy.ts';
import { elasticity, type Elasticity } from './elasticity.ts';
import {
  cpuUtilization,
  normal,
  oracleReplicas,
  quantilesAt,
  seeded,
  seenAt,
  serviceModel,
  type Quantiles,
  type Seen,
  type ServiceModel,
} from './service.ts';

export const TARGET_MS = 20; // the latency target of the profiles that set none
const REQ = 'GET /work';
const COUNT = 1000; // requests per load test

export interface Profile {
  name: string;
  runs: number;
  load: (run: number) => number; // requests/s
  noise: number; // relative standard deviation of the measured mean
  stepAt?: number; // the run of a step change, for the recovery figure
  steadyFrom?: number; // runs after this are steady: reversals there are flaps
  /** Runs a new replica takes to serve (0: at once). */
  readyAfter?: number;
  /** Past 90% utilization the excess is refused with fast 503s (a concurrency limit in front). */
  shedding?: boolean;
  /** The latency target (mean, ms) of this service: the breach line, the oracle's and the policies'. */
  targetMs?: number;
  /** The service (service.ts); unset fields: 1 slot, 10 ms per request, CPU = busy, no downstream. */
  service?: Partial<ServiceModel>;
  /** What changes in the service during run `run` (a downstream that slows down), over `service`. */
  serviceAt?: (run: number) => Partial<ServiceModel>;
}

export const PROFILES: Profile[] = [
  { name: 'step ×4 up', runs: 80, load: (r) => (r < 20 ? 150 : 600), noise: 0.05, stepAt: 20 },
  { name: 'step ÷4 down', runs: 80, load: (r) => (r < 20 ? 600 : 150), noise: 0.05 },
  { name: 'ramp ×4', runs: 80, load: (r) => 150 + 450 * Math.min(1, Math.max(0, (r - 10) / 40)), noise: 0.05 },
  { name: 'diurnal', runs: 96, load: (r) => 375 + 225 * Math.sin((2 * Math.PI * r) / 48), noise: 0.05 },
  { name: 'noisy steady', runs: 80, load: () => 400, noise: 0.15, steadyFrom: 20 },
  // Past saturation at once: 3 replicas meet a load 8 replicas would serve — the service fails.
  { name: 'overload ×8 (fails)', runs: 80, load: (r) => (r < 20 ? 150 : 1200), noise: 0.05, stepAt: 20 },
  // The same overload behind a concurrency limit: fast 503s, and the answered requests stay fast.
  {
    name: 'overload ×8, fast 503s',
    runs: 80,
    load: (r) => (r < 20 ? 150 : 1200),
    noise: 0.05,
    stepAt: 20,
    shedding: true,
  },
  // New replicas serve only two runs after they are added (slow start-up).
  { name: 'step ×4, slow ready', runs: 80, load: (r) => (r < 20 ? 150 : 600), noise: 0.05, stepAt: 20, readyAfter: 2 },
  // ... and one run after (a start-up shorter than a run's interval, longer than the load test).
  {
    name: 'step ×4, ready after 1 run',
    runs: 80,
    load: (r) => (r < 20 ? 150 : 600),
    noise: 0.05,
    stepAt: 20,
    readyAfter: 1,
  },
  // A thread/connection-pool-bound service: 4 slots a replica, 50 ms a request mostly waiting on I/O,
  // 2 ms of it on CPU. Its CPU tops out at 4% with every slot busy: an HPA on CPU never scales up
  // (it scales down to its minimum), a latency scaler must. Target: 2× the service time.
  {
    name: 'pool-bound step ×4',
    runs: 80,
    load: (r) => (r < 20 ? 150 : 600),
    noise: 0.05,
    stepAt: 20,
    targetMs: 100,
    service: { slots: 4, serviceMs: 50, cpuMs: 2 },
  },
  // A database behind every replica serves at most 500 requests/s: the load rises to 800 and falls
  // back. From ~420 requests/s no replica count meets the target, past 500 the excess fails: more
  // replicas do not help, and the oracle runs the fewest that reach the best achievable latency.
  {
    name: 'downstream cap',
    runs: 96,
    load: (r) =>
      r < 10 ? 200 : r < 40 ? 200 + (600 * (r - 10)) / 30 : r < 60 ? 800 : r < 80 ? 800 - (600 * (r - 60)) / 20 : 200,
    noise: 0.05,
    service: { downstreamCapRps: 500 },
  },
  // Production grows ×1.3 and ×1.6 a run (a launch, a retry storm) to 50× where it started, then stays.
  { name: 'surge ×1.3', runs: 40, load: (r) => surge(100, 1.3, r), noise: 0.05 },
  { name: 'surge ×1.6', runs: 40, load: (r) => surge(100, 1.6, r), noise: 0.05 },
  // A database behind the service slows every answer from 5 ms to 40 ms for 40 runs, whatever the
  // replica count (answered asynchronously: no slot held, no CPU), at the 20 replicas the load needs.
  // No count meets the 20 ms target then: more replicas only add connections to the bottleneck.
  {
    name: 'downstream stall',
    runs: 80,
    load: () => 3700,
    noise: 0.05,
    service: { serviceMs: 5 },
    serviceAt: (r) => (r >= 20 && r < 60 ? { extraMs: 35 } : {}),
  },
  // Every answer takes 120 ms (4 slots a replica); the target is 60 ms: no count meets it.
  {
    name: 'target below s₀',
    runs: 40,
    load: () => 10,
    noise: 0.05,
    targetMs: 60,
    service: { slots: 4, serviceMs: 120 },
  },
  // A flash crowd: ×10 for three runs, then back.
  { name: 'flash crowd ×10', runs: 60, load: (r) => (r >= 20 && r < 23 ? 1500 : 150), noise: 0.05, stepAt: 20 },
];

/** `start` requests/s, ×`growth` a run from run 5 on, at most 50× `start`. */
function surge(start: number, growth: number, run: number): number {
  return Math.min(50 * start, start * growth ** Math.max(0, run - 5));
}

/** A profile's latency target and service model, its unset fields at their defaults. */
export function targetOf(profile: Profile): number {
  return profile.targetMs ?? TARGET_MS;
}
export function serviceOf(profile: Profile, run = 0): ServiceModel {
  return serviceModel({ ...profile.service, ...profile.serviceAt?.(run) });
}

/** What an autoscaler sees of one run, and what it sets. */
export interface Autoscaler {
  name: string;
  /**
   * The replica count to set, given the spec, what is ready, the load test's observations, the load
   * and the ready replicas' CPU utilization (0..1, as metrics-server reports it; service.ts).
   */
  step(view: {
    run: number;
    replicas: number;
    ready: number;
    observations: Observations;
    lambda: number;
    cpu: number;
  }): number;
  /** The reason of the last decision, where the autoscaler is ours (decide()). */
  reason?: string;
}

/** Builds a fresh autoscaler (its own state) for one simulation, given the profile's latency target (ms). */
export type MakeAutoscaler = (targetMs: number) => Autoscaler;

export interface Outcome {
  recovery?: number; // runs in breach after the step before the target is met again
  breachRuns: number;
  costRatio: number; // replica-runs ÷ the oracle's
  flaps?: number; // direction reversals in steady state
  /** Replicas removed in runs where more than 1% of requests failed (goal: 0). */
  removedWhileFailing: number;
  /** The highest replica count ÷ the oracle's highest (overshoot). */
  peakRatio: number;
  replicas: number[];
  /** SPEC-RG elasticity metrics against the oracle (elasticity.ts), and the replica-runs above it. */
  elasticity: Elasticity;
  /** Each run's decision reason, where the autoscaler is ours. */
  reasons: (string | undefined)[];
}

/**
 * Our scaler: the real decide() with its stored state (through the record's codec), one run a minute. `policy`: the policy, or a
 * function of the profile's latency target giving it. `asOf01`: measured as 0.1 did — failed
 * requests left out of the latency — and without the failing-service rule.
 */
export function decider(
  name: string,
  policy: Policy | ((targetMs: number) => Policy),
  asOf01 = false,
  rate = false,
): MakeAutoscaler {
  return (targetMs) => {
    const chosen = typeof policy === 'function' ? policy(targetMs) : policy;
    const used = asOf01 ? { ...chosen, decay: { ...chosen.decay, maxFailureRatio: 1 } } : chosen;
    let record: StateRecord | null = null;
    const scaler: Autoscaler = {
      name,
      step({ run, replicas, ready, observations }) {
        const notSettled =
          ready < replicas ? { kind: 'starting' as const, reason: `${ready} of ${replicas} ready` } : undefined;
        const status: TargetStatus = {
          replicas,
          paused: false,
          readyReplicas: ready,
          ...(notSettled ? { notSettled } : {}),
        };
        // The production rate (issue 30's load signal) only for the rows that read one.
        const { production, ...probe } = observations;
        const read = rate && production ? { ...probe, production } : probe;
        const seen = asOf01 ? successesOnly(read) : read;
        const d = decide({ targetKey: 'sim', status, record, observations: seen, policy: used, now: run * 60_000 });
        // Stored and read back as every store does (JSON through the record's codec): what does not
        // survive a real run's write and read does not survive here either.
        record = decodeRecord(JSON.parse(encodeRecord(d.state)));
        if (process.env['SIM_TRACE'] === name) console.log(run, d.message, JSON.stringify(d.state.model));
        scaler.reason = d.reason;
        return d.applied;
      },
    };
    return scaler;
  };
}

/**
 * What KEDA/HPA users run instead: an HPA on CPU at `target` utilization (60% by default), the CPU
 * of the ready replicas from the service model: min(λ, capacity)·cpuMs/(ready·slots·1000), capped
 * at 100% (so overload is seen as 100% only; λ/(c·μ) for the one-slot, CPU-bound service;
 * service.ts cpuUtilization). HPA's 10% tolerance, its default 5-minute downscale stabilization
 * (the highest recommendation of the last 5 runs), and no scale-up limit within a run: HPA syncs
 * every 15 s, so its default +100%/+4 pods per 15 s lets it grow 16× within our minute. It ignores
 * the latency target.
 */
export function hpaOnCpu(target = 0.6, min = 1, max = 100): MakeAutoscaler {
  return () => {
    const recommendations: number[] = [];
    return {
      name: `HPA on CPU (${Math.round(target * 100)}%)`,
      step({ ready, replicas, cpu }) {
        const ratio = cpu / target;
        const wanted = Math.abs(ratio - 1) <= 0.1 ? replicas : Math.ceil(Math.max(ready, 1) * ratio);
        recommendations.push(wanted);
        const window = recommendations.slice(-5);
        const desired = wanted < replicas ? Math.min(replicas, Math.max(...window)) : wanted;
        return Math.min(max, Math.max(min, desired));
      },
    };
  };
}

/** The oracle's replica count for each run of a profile (the same for every autoscaler and seed). */
const oracles = new WeakMap<Profile, number[]>();
export function oracleSeries(profile: Profile): number[] {
  let series = oracles.get(profile);
  if (!series) {
    series = Array.from({ length: profile.runs }, (_, run) =>
      oracleReplicas(profile.load(run), targetOf(profile), serviceOf(profile, run)),
    );
    oracles.set(profile, series);
  }
  return series;
}

export function simulate(profile: Profile, make: MakeAutoscaler, seed = 42): Outcome {
  const random = seeded(seed);
  const rateRandom = seeded(seed + 7_777);
  const targetMs = targetOf(profile);
  const demand = oracleSeries(profile);
  const scaler = make(targetMs);
  let replicas = demand[0]!;
  let readyAt: number[] = Array.from({ length: replicas }, () => 0); // the run each replica serves from
  let breachRuns = 0;
  let cost = 0;
  let oracleCost = 0;
  let removedWhileFailing = 0;
  let peak = replicas;
  let oraclePeak = 0;
  let recovery: number | undefined;
  const series: number[] = [];
  const reasons: (string | undefined)[] = [];
  for (let run = 0; run < profile.runs; run++) {
    const lambda = profile.load(run);
    const service = serviceOf(profile, run);
    const ready = readyAt.filter((r) => r <= run).length;
    const seen = seenAt(lambda, ready, profile.shedding, service);
    const failing = seen.timeoutShare + seen.shedShare > 0.01;
    // In breach: slower than the target, or failing (no SLO tolerates 1% errors for long).
    const breached = seen.meanMs > targetMs || failing;
    if (breached) breachRuns++;
    if (profile.stepAt !== undefined && run >= profile.stepAt && recovery === undefined && !breached) {
      recovery = run - profile.stepAt;
    }
    const oracle = demand[run]!;
    cost += replicas;
    oracleCost += oracle;
    oraclePeak = Math.max(oraclePeak, oracle);
    series.push(replicas);
    const quantiles = quantilesAt(lambda, ready, profile.shedding, service);
    const observations = observe(seen, quantiles, lambda, profile.noise, random);
    // What a Prometheus rate of the requests would say (2% noise, its own stream: the rows without it
    // see the very same runs).
    const rate = lambda * Math.max(0.5, 1 + 0.02 * normal(rateRandom));
    observations.production = { server: 'sim', targets: {}, rate: { query: 'rate(requests[1m])', value: rate } };
    const cpu = cpuUtilization(lambda, ready, service);
    const next = scaler.step({ run, replicas, ready, observations, lambda, cpu });
    reasons.push(scaler.reason);
    if (failing && next < replicas) removedWhileFailing += replicas - next;
    if (next > replicas)
      readyAt = [...readyAt, ...Array.from({ length: next - replicas }, () => run + 1 + (profile.readyAfter ?? 0))];
    else readyAt = readyAt.slice(0, next);
    replicas = next;
    peak = Math.max(peak, replicas);
  }
  const outcome: Outcome = {
    breachRuns,
    costRatio: cost / oracleCost,
    removedWhileFailing,
    peakRatio: peak / oraclePeak,
    replicas: series,
    elasticity: elasticity(demand, series),
    reasons,
  };
  if (profile.stepAt !== undefined) outcome.recovery = recovery ?? profile.runs;
  if (profile.steadyFrom !== undefined) outcome.flaps = reversals(series.slice(profile.steadyFrom));
  return outcome;
}

/**
 * The load test's observations of the model: failures by kind, a mean over every request and a few
 * points of the distribution, all moved by one run-to-run noise factor (the load, the machine).
 */
function observe(seen: Seen, q: Quantiles, lambda: number, noise: number, random: () => number): Observations {
  const timeouts = Math.round(COUNT * seen.timeoutShare);
  const shed = Math.round(COUNT * seen.shedShare);
  const factor = Math.max(0.1, 1 + noise * normal(random));
  const mean = seen.meanMs * factor;
  const failuresByKind = {
    ...(timeouts ? { timeout: { count: timeouts, sample: 'timeout' } } : {}),
    ...(shed ? { 'HTTP 503': { count: shed, sample: '503' } } : {}),
  };
  const served = seen.servedMs * Math.max(0.1, 1 + noise * normal(random));
  const s = {
    name: REQ,
    count: COUNT,
    failures: timeouts + shed,
    timed: COUNT,
    rps: lambda,
    min: q.min * factor,
    max: Math.max(mean, q.p95 * factor),
    mean,
    median: q.p50 * factor,
    percentiles: { served, p5: q.p5 * factor, p50: q.p50 * factor, p95: q.p95 * factor },
    failuresByKind,
  };
  return {
    engine: 'local',
    startedAt: '1970-01-01T00:00:00.000Z',
    measuredMs: 5000,
    requests: { [REQ]: s },
    aggregated: s,
  };
}

/** The observations as 0.1 reported them: the mean of the answered requests only. */
function successesOnly(o: Observations): Observations {
  const s = o.requests[REQ]!;
  const served = s.percentiles['served'] ?? s.mean;
  const only = { ...s, mean: served, median: served, min: served, max: served };
  return { ...o, requests: { [REQ]: only }, aggregated: only };
}

/** LPA's defaults with a mean target of `targetMs`, and the overrides. */
export function basePolicy(
  overrides: Omit<Partial<Policy>, 'decay'> & { decay?: Partial<Policy['decay']> } = {},
  targetMs = TARGET_MS,
): Policy {
  const { decay, ...rest } = overrides;
  return {
    replicas: { min: 1, max: 100 },
    targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: targetMs, tolerance: 0 }],
    scaleUp: { mode: 'step', step: 1, maxStep: Number.MAX_SAFE_INTEGER },
    decay: { mode: 'lpa', replicas: 1, unchangedRuns: 3, maxFailureRatio: 0.01, ...decay },
    model: { headroom: 0.85, concurrency: 1 },
    onProbeFailure: 'hold',
    stabilization: { downscaleWindow: 0 },
    settle: { timeout: 0 },
    history: { limit: 50 },
    ...rest,
  };
}

export { reversals };
