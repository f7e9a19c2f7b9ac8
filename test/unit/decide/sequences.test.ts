// Multi-run properties (fast-check, seeded): random sequences of 20–50 runs mixing calm, breached,
// partly failing, unmeasured, paused and not-settled runs, manual changes and windows, fed through
// the real decide() with its own stored state, checked against an oracle that counts calm runs
// from the scenario (not from the decision), and against a transcription of LPA's evaluate.py.
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decide, type Decision, type DecideInput } from '../../../src/decide/decide.ts';
import type { Observations } from '../../../src/loadtest/types.ts';
import type { StateRecord } from '../../../src/model/state-record.ts';
import type { TargetStatus } from '../../../src/target/types.ts';
import { observe, policy, REQ, type PolicyOverrides } from './fixtures.ts';

const OTHER = 'GET /other';
const TARGETS = [
  { label: 'mean', request: REQ, type: { kind: 'mean' as const }, target: 7, tolerance: 0 },
  { label: 'mean', request: OTHER, type: { kind: 'mean' as const }, target: 7, tolerance: 0 },
];
const SEED = { seed: 20261124 };

type Kind =
  | 'calm'
  | 'calmFewFailures'
  | 'breached'
  | 'failing'
  | 'unmeasured'
  | 'probeError'
  | 'paused'
  | 'rollout'
  | 'starting'
  | 'breachedStarting' // a breach while replicas are not ready
  | 'manual'
  | 'manualStarting'; // someone else's change, its new replicas not ready yet

interface Step {
  kind: Kind;
  gapMs: number; // since the previous run
  manualTo: number; // for 'manual': the count someone else sets
}

interface Setup {
  min: number;
  max: number;
  start: number;
  unchangedRuns: number;
  decayBy: number;
  windowMs: number;
  settleMs: number;
  onProbeFailure: 'hold' | 'scaleUp';
}

const arbSetup: fc.Arbitrary<Setup> = fc
  .record({
    // min 0 is refused without a production load query (DESIGN §4.14): these sequences have none.
    min: fc.integer({ min: 1, max: 3 }),
    span: fc.integer({ min: 1, max: 8 }),
    start: fc.integer({ min: 1, max: 12 }),
    unchangedRuns: fc.integer({ min: 1, max: 4 }),
    decayBy: fc.integer({ min: 0, max: 2 }),
    windowMs: fc.constantFrom(0, 3_000, 20_000),
    // Settling either off, or longer than any sequence lasts: the oracle needs no settle clock.
    settleMs: fc.constantFrom(0, 3_600_000),
    onProbeFailure: fc.constantFrom('hold' as const, 'scaleUp' as const),
  })
  .map((s) => ({ ...s, max: s.min + s.span }));

const KINDS: Kind[] = [
  'calm',
  'calmFewFailures',
  'breached',
  'failing',
  'unmeasured',
  'probeError',
  'paused',
  'rollout',
  'starting',
  'breachedStarting',
  'manual',
  'manualStarting',
];
const arbStep: fc.Arbitrary<Step> = fc.record({
  kind: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom<Kind>('calm', 'calmFewFailures') },
    { weight: 8, arbitrary: fc.constantFrom(...KINDS) },
  ),
  gapMs: fc.integer({ min: 1_000, max: 10_000 }),
  manualTo: fc.integer({ min: 0, max: 14 }),
});

function policyOf(s: Setup): ReturnType<typeof policy> {
  const overrides: PolicyOverrides = {
    replicas: { min: s.min, max: s.max },
    targets: TARGETS,
    decay: { replicas: s.decayBy, unchangedRuns: s.unchangedRuns },
    onProbeFailure: s.onProbeFailure,
    stabilization: { downscaleWindow: s.windowMs },
    settle: { timeout: s.settleMs },
  };
  return policy(overrides);
}

/** Observations of both targets: `first`/`second` mean in ms, null when none completed. */
function observations(first: number | null, second: number | null, failures = 0): Observations {
  const a = observe(first, { failures });
  const b = observe(second, { failures: second === null ? 0 : failures });
  const all = {
    ...a.aggregated,
    count: a.aggregated.count + b.aggregated.count,
    failures: a.aggregated.failures + b.aggregated.failures,
  };
  return {
    ...a,
    requests: { [REQ]: a.requests[REQ]!, [OTHER]: { ...b.requests[REQ]!, name: OTHER } },
    aggregated: all,
  };
}

function inputFor(step: Step, replicas: number): Pick<DecideInput, 'status' | 'observations' | 'probeError'> {
  const status: TargetStatus = { replicas, paused: step.kind === 'paused' };
  const calm = observations(5, 3);
  switch (step.kind) {
    case 'calm':
    case 'manual':
    case 'paused':
      return { status, observations: calm };
    case 'calmFewFailures':
      return { status, observations: observations(5, 3, 1) }; // 1% ≤ 1%
    case 'breached':
      return { status, observations: observations(9, 3) };
    case 'failing':
      return { status, observations: observations(5, 3, 30) };
    case 'unmeasured':
      return { status, observations: observations(5, null) };
    case 'probeError':
      return { status, probeError: 'connect ECONNREFUSED' };
    case 'rollout':
      return { status: { ...status, notSettled: { kind: 'rollout', reason: 'rollout' } }, observations: calm };
    case 'starting':
    case 'manualStarting':
      return { status: { ...status, notSettled: { kind: 'starting', reason: 'not ready' } }, observations: calm };
    case 'breachedStarting':
      return {
        status: { ...status, notSettled: { kind: 'starting', reason: 'not ready' } },
        observations: observations(9, 3),
      };
  }
}

interface Run {
  step: Step;
  current: number;
  d: Decision;
  streakBefore: number; // the oracle's calm runs before this one
  calm: boolean; // the oracle's view of this run
  at: number;
  /** The oracle's view: a change (ours or someone else's) not yet seen settled, within settle.timeout. */
  changeInFlight: boolean;
}

/** Runs the sequence through decide(), each run on the state the previous one stored. */
function simulate(setup: Setup, steps: Step[]): Run[] {
  const p = policyOf(setup);
  let replicas = setup.start;
  let record: StateRecord | null = null;
  let now = Date.parse('2026-11-24T00:00:00Z');
  let streak = 0;
  let inFlight = false;
  let ranBefore = false; // a change by hand before the first run is no change the scaler can see
  const runs: Run[] = [];
  for (const step of steps) {
    now += step.gapMs;
    const byHand = step.kind === 'manual' || step.kind === 'manualStarting';
    const external = byHand && step.manualTo !== replicas;
    if (byHand) replicas = step.manualTo;
    if (external && ranBefore) inFlight = true;
    const current = replicas;
    const d = decide({ targetKey: 'k', record, policy: p, now, ...inputFor(step, current) });
    const settledCalm =
      step.kind === 'calm' ||
      step.kind === 'calmFewFailures' ||
      step.kind === 'manual' ||
      ((step.kind === 'rollout' || step.kind === 'starting' || step.kind === 'manualStarting') && setup.settleMs === 0);
    const calm = settledCalm && current > 0;
    const before = external ? 0 : streak;
    const unsettled = step.kind === 'rollout' || step.kind === 'starting' || step.kind.endsWith('Starting');
    runs.push({ step, current, d, streakBefore: before, calm, at: now, changeInFlight: inFlight && unsettled });
    if (step.kind !== 'paused') streak = calm && d.applied === current ? before + 1 : 0;
    record = d.state;
    if (step.kind !== 'paused') {
      ranBefore = true;
      if (!unsettled) inFlight = false; // a settled run ends the change in flight
      if (d.applied !== current) inFlight = true;
      replicas = d.applied;
    }
  }
  return runs;
}

const arbSequence = fc.tuple(arbSetup, fc.array(arbStep, { minLength: 20, maxLength: 50 }));

function check(name: string, predicate: (setup: Setup, runs: Run[]) => string | undefined): void {
  it(name, () => {
    fc.assert(
      fc.property(arbSequence, ([setup, steps]) => {
        const problem = predicate(setup, simulate(setup, steps));
        if (problem) throw new Error(problem);
      }),
      { ...SEED, numRuns: 400 },
    );
  });
}

const show = (r: Run, i: number): string => `run ${i} (${r.step.kind}, current ${r.current}): ${r.d.message}`;
const neverDownKind = (k: Kind): boolean => k === 'failing' || k === 'probeError' || k === 'unmeasured';

describe('decide over sequences of runs', () => {
  check('never below min, never above max (but for paused runs, and never-down runs already above max)', (s, runs) => {
    for (const [i, r] of runs.entries()) {
      if (r.step.kind === 'paused') continue;
      if (r.d.applied < s.min && !(r.current === 0 && s.min === 0)) return `below min: ${show(r, i)}`;
      if (r.d.applied > s.max && !(neverDownKind(r.step.kind) && r.d.applied === r.current))
        return `above max: ${show(r, i)}`;
    }
    return undefined;
  });

  check('never a lower count with failures above the ratio, a probe failure or an unmeasured target', (_s, runs) => {
    for (const [i, r] of runs.entries())
      if (neverDownKind(r.step.kind) && r.d.applied < r.current) return `went down: ${show(r, i)}`;
    return undefined;
  });

  check('never a decay before unchangedRuns calm runs since the last change, breach or failure', (s, runs) => {
    for (const [i, r] of runs.entries()) {
      const down = r.d.applied < r.current && r.current <= s.max;
      if (down && !(r.calm && r.streakBefore >= s.unchangedRuns))
        return `early decay (${r.streakBefore} calm before): ${show(r, i)}`;
    }
    return undefined;
  });

  check('a change in flight (ours or by hand, not yet seen settled) is never answered by a scale-up', (s, runs) => {
    if (s.settleMs === 0) return undefined;
    for (const [i, r] of runs.entries())
      if (r.changeInFlight && r.d.applied > r.current && r.current >= s.min) return `up in flight: ${show(r, i)}`;
    return undefined;
  });

  check('replicas unready with no change in flight do not hold a breach: it scales up (below max)', (s, runs) => {
    for (const [i, r] of runs.entries()) {
      const overload = r.step.kind === 'breachedStarting' && !r.changeInFlight && r.current > 0 && r.current >= s.min;
      if (overload && r.current < s.max && r.d.applied <= r.current) return `held a breach: ${show(r, i)}`;
    }
    return undefined;
  });

  check(
    'never up without a measured breach (but to reach min, or probing failed with onProbeFailure scaleUp)',
    (s, runs) => {
      for (const [i, r] of runs.entries()) {
        if (r.d.applied <= r.current) continue;
        const probe = r.step.kind === 'probeError' || r.step.kind === 'unmeasured';
        const breach = r.step.kind === 'breached' || r.step.kind === 'breachedStarting';
        const allowed = breach || r.current < s.min || (probe && s.onProbeFailure === 'scaleUp');
        if (!allowed) return `went up: ${show(r, i)}`;
      }
      return undefined;
    },
  );

  it("a breach while someone else's change is still starting holds, however many runs after it was seen", () => {
    const arb = fc.tuple(
      arbSetup.filter((s) => s.settleMs > 0),
      fc.array(arbStep, { minLength: 0, maxLength: 20 }),
      fc.integer({ min: 0, max: 14 }),
      fc.integer({ min: 0, max: 4 }),
    );
    fc.assert(
      fc.property(arb, ([setup, prefix, manualTo, waits]) => {
        const step = (kind: Kind): Step => ({ kind, gapMs: 60_000, manualTo });
        const tail = [step('manualStarting'), ...Array.from({ length: waits }, () => step('starting'))];
        const runs = simulate(setup, [...prefix, ...tail, step('breachedStarting')]);
        const last = runs.at(-1)!;
        if (last.changeInFlight && last.current >= setup.min && last.d.applied > last.current)
          throw new Error(`scaled up ${waits + 1} runs after the change: ${show(last, runs.length - 1)}`);
      }),
      { ...SEED, numRuns: 300 },
    );
  });

  it('under steady calm load a decay comes within max(window in runs, unchangedRuns) + 1 runs', () => {
    const arb = fc.tuple(
      arbSetup,
      fc.array(arbStep, { minLength: 0, maxLength: 30 }),
      fc.integer({ min: 1_000, max: 10_000 }),
    );
    fc.assert(
      fc.property(arb, ([setup, prefix, gapMs]) => {
        const bound = Math.max(Math.floor(setup.windowMs / gapMs), setup.unchangedRuns) + 1;
        const tail: Step[] = Array.from({ length: bound + 1 }, () => ({ kind: 'calm', gapMs, manualTo: 0 }));
        const runs = simulate(setup, [...prefix, ...tail]).slice(prefix.length);
        const start = runs[0]!.current;
        if (setup.decayBy === 0 || start <= setup.min || start > setup.max) return;
        const first = runs.findIndex((r) => r.d.applied < r.current);
        if (first < 0 || first + 1 > bound) {
          throw new Error(
            `no decay within ${bound} calm runs (window ${setup.windowMs} ms, gap ${gapMs} ms): ${runs.map(show).join(' | ')}`,
          );
        }
      }),
      { ...SEED, numRuns: 400 },
    );
  });

  it("with LPA's defaults, in LPA's world (calm and breached runs only), every decision is LPA's", () => {
    const arb = fc.tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 10 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 0, max: 3 }),
      fc.array(fc.boolean(), { minLength: 20, maxLength: 50 }),
    );
    fc.assert(
      fc.property(arb, ([min, span, start, unchangedRuns, decayBy, breaches]) => {
        const max = min + span;
        const p = policy({ replicas: { min, max }, decay: { replicas: decayBy, unchangedRuns } });
        let ours = Math.min(Math.max(start, min), max);
        let lpa = ours;
        let lpaRuns = 0;
        let record: StateRecord | null = null;
        for (const [i, breached] of breaches.entries()) {
          const d = decide({
            targetKey: 'k',
            record,
            policy: p,
            now: i * 60_000,
            status: { replicas: ours, paused: false },
            observations: observe(breached ? 9 : 5),
          });
          record = d.state;
          ours = d.applied;
          ({ replicas: lpa, runs: lpaRuns } = lpaEvaluate(lpa, breached, lpaRuns, decayBy, unchangedRuns, min, max));
          if (ours !== lpa) throw new Error(`run ${i}: ours ${ours}, LPA ${lpa} (${d.message})`);
        }
      }),
      { ...SEED, numRuns: 500 },
    );
  });
});

/**
 * LPA's evaluate.py and decay.py, transcribed: +1 on a breach; after `unchangedRuns` stored runs
 * without change, −decay; the counter resets when the evaluation differs from the current count;
 * then the Custom Pod Autoscaler clamps to min..max.
 */
function lpaEvaluate(
  current: number,
  breached: boolean,
  runs: number,
  decayBy: number,
  unchangedRuns: number,
  min: number,
  max: number,
) {
  let target = breached ? current + 1 : current;
  if (target === current && runs >= unchangedRuns) target = current - decayBy;
  const nextRuns = target === current ? runs + 1 : 0;
  return { replicas: Math.min(Math.max(target, min), max), runs: nextRuns };
}
