// Whether the model's scale-ups help (DESIGN §4.12 (a)): the costs are not symmetric — a false "scaling
// does not help" is an outage, a missed one costs replicas up to max — so a scale-up whose capacity did
// not show is not yet a verdict: the load may have grown as fast as the replicas did. The next run holds
// at that count (a control): if the load grew there, the miss is forgiven; if not, the next scale-up
// decides — two in a row that do not show, at a load that held still between them, are a bottleneck.
// A stop is lifted when the load grows again, when the latency is within target, or after a while. Pure.
import type { ModelCheck, ModelDoubt, ModelState, ModelStuck } from '../model/model-state.ts';
import { round } from './model-learn.ts';

/** A latency that fell by this share after a scale-up: the scaling helped. */
const MIN_FALL = 0.2;
/** A scale-up that delivered less than this share of its predicted improvement (log scale) missed. */
const HELPED_SHARE = 0.3;
/** The least rise of the latency that says the load grew, and the least in σ of its run-to-run noise. */
const MIN_RISE = 0.15;
const RISE_SIGMAS = 3;
/** z of a one-sided 90% bound: a change in the share served beyond this many errors is real. */
const ONE_SIDED_90 = 1.2816;
/** Fewer requests than this in a run: its share served is not compared at all. */
const MIN_REQUESTS_TO_JUDGE = 30;
/** A stop is tried again (one step) after this long. */
export const RETRY_AFTER_MS = 30 * 60_000;
/** Scale-ups that did not show, each in a try of its own, after which a growing load no longer lifts a stop. */
const MAX_STRIKES = 2;

/** What judging needs of this run. */
export interface Judging {
  ready: number;
  t: number;
  clipped: boolean;
  failShare: number;
  requests: number;
  /** The latency no longer tells the load (a saturated queue), or the overload was beyond one run's read. */
  lowerBound: boolean;
  within: boolean; // every target within (and not failing)
  maxFailureRatio: number;
  noise: number;
  now: number;
  /** Nothing queues: the latency is within its noise of s₀. */
  atServiceTime: boolean;
  /** The offered load read from this run (servers, λ·s₀). */
  a: number;
  /** The probe's latency climbed during the test: a queue that grows (an overload, whatever s₀ says). */
  climbing: boolean;
}

export interface Judged {
  state: ModelState;
  /** This run is the control of a scale-up that did not show: hold, and say why. */
  control?: string;
  /** A stop confirmed this run (go back to its count), or lifted (and why). */
  confirmed?: ModelStuck['kind'] | 'slower';
  released?: string;
  /** The stop was lifted by time alone (no sign of growth): the scale-up is one test step. */
  retry?: boolean;
}

/** The stop, the control and the pending check, each moved on by this run. */
export function judge(state: ModelState, run: Judging): Judged {
  let out: Judged = { state };
  if (run.within) {
    return { state: { ...state, check: null, misses: 0, missedFrom: null, doubt: null, stuck: null, again: null } };
  }
  if (state.stuck) {
    out = reconsider(state.stuck, state, run);
    // Still stopped: nothing was scaled up to judge (the step back is no test).
    if (out.state.stuck) return { ...out, state: { ...out.state, check: null } };
  } else if (state.doubt) out = control(state.doubt, state, run);
  const check = out.state.check;
  if (check && run.ready >= check.c && !out.control) out = { ...out, ...verdict(check, out.state, run) };
  return out;
}

/**
 * While stopped: lifted when the load grew since — failing where it was not, or fewer served, at once;
 * a latency above its noise, two runs in a row (one may be noise) — or after RETRY_AFTER_MS (one step).
 */
function reconsider(stuck: ModelStuck, state: ModelState, run: Judging): Judged {
  // Out of reach needs no retry: a service that gets fast again shows it in its latency (learned afresh).
  // Out of reach is a latency no count meets, never a reason to hold a service that fails: an overload.
  if (stuck.kind === 'reach' && run.clipped && stuck.failShare <= run.maxFailureRatio) {
    const why = `failing now (${pct(run.failShare)} of requests): an overload, sized again`;
    return { state: { ...state, stuck: null, doubt: null, again: null, misses: 0, missedFrom: null }, released: why };
  }
  const retry = stuck.kind === 'bottleneck' && run.now - stuck.since >= RETRY_AFTER_MS;
  // Scaling failed to show in separate tries: a load that grows at this count is the bottleneck's.
  const grew = stuck.strikes < MAX_STRIKES ? grewSince(stuck, run) : undefined;
  const byLatency = grew !== undefined && !run.clipped;
  const rises = byLatency ? (stuck.rises ?? 0) + 1 : 0;
  if (!retry && (!grew || (byLatency && rises < 2))) return { state: { ...state, stuck: { ...stuck, rises } } };
  const why = grew
    ? `the load grew since scaling stopped (${grew}): scaling again`
    : `${Math.round(RETRY_AFTER_MS / 60_000)} minutes since scaling stopped: trying one step again`;
  // One scale-up is allowed; if its capacity does not show either, the stop is back at once.
  const lifted = { state: { ...state, stuck: null, doubt: null, again: stuck }, released: why };
  return grew ? lifted : { ...lifted, retry: true };
}

/**
 * The run after a scale-up that did not show, at the same count: did the load grow? If it did, that
 * growth explains the scale-up (the miss is forgiven). If not, the next scale-up is sized as usual
 * and decides: at a load that holds still, a second one that does not show is a bottleneck.
 */
function control(doubt: ModelDoubt, state: ModelState, run: Judging): Judged {
  if (run.ready < doubt.c) return { state, control: controlWhy(doubt) };
  // The load's own growth a run: here at one count, or as the trend before the scale-up. Helped but
  // masked by a growing load, the scale-up read as a load that grew by about that much; a bottleneck,
  // as one that grew by the replicas' ratio on top (the latency stayed where it was).
  const own = Math.max(1, doubt.a > 0 ? run.a / doubt.a : 1, doubt.growth);
  const grew = grewSince(doubt, run);
  if (masked(doubt.jump, own, doubt.ratio)) {
    const why = grew ? `the load grew (${grew})` : `the load grew ×${round(own)} a run`;
    const forgiven = { ...state, doubt: null, misses: 0, missedFrom: null };
    return { state: forgiven, released: `${why}, as much as the scale-up hid: scaling again` };
  }
  const test = doubt.kind === 'size' ? 'one more scale-up tells a bottleneck' : 'one more test step tells';
  return { state: { ...state, doubt: null }, released: `the load did not grow as much as the scale-up hid: ${test}` };
}

/** The first run where a scale-up's replicas serve: helped, cannot tell, or its capacity did not show. */
function verdict(check: ModelCheck, state: ModelState, run: Judging): Judged {
  const cleared = { ...state, check: null };
  // An overload (failing, or a saturated queue) is no test of a slower service or of a target's reach:
  // it is load, sized as such.
  if (check.kind !== 'size' && (run.clipped || run.climbing)) return { state: cleared };
  // A queue that climbs during the test is load past the capacity now, whatever came before: no
  // verdict on it (a bottleneck's steady state does not climb; a growing load does).
  if (run.climbing) return { state: cleared };
  const shown = capacityShowed(check, run);
  if (shown === 'yes') return { state: { ...cleared, again: null, misses: 0, missedFrom: null } };
  if (shown === 'unknown') return { state: cleared };
  const again = state.again;
  const first = state.missedFrom ?? check.first;
  const back = again?.back ?? first.c;
  const jump = check.a > 0 ? run.a / check.a : 1;
  const ratio = run.ready / check.before;
  // A load known to be rising before the scale-up, by about as much as it seemed to jump: the rise hid
  // the replicas (no control run needed to tell; the next scale-up is sized on it).
  if (check.kind === 'size' && check.growth > 1 && masked(jump, check.growth, ratio)) return { state: cleared };
  const misses = state.misses + 1;
  // A target below s₀ tested by one step, and the latency still at the service time: nothing queues at
  // either count, so no load can explain it — out of reach at once. A stop seen before, or a second
  // scale-up in a row that did not show (a load that grew in between included), likewise.
  if ((check.kind === 'reach' && run.atServiceTime) || again !== null || misses >= MAX_STRIKES) {
    const kind = check.kind === 'size' ? 'bottleneck' : 'reach';
    const stuck: ModelStuck = {
      kind,
      since: run.now,
      back,
      // The level a growing load must rise above: both runs (the latency did not move between them).
      t: round((check.t + run.t) / 2),
      s0: round(Math.min(check.t, run.t)),
      failShare: run.failShare,
      requests: run.requests,
      strikes: Math.max(misses, (again?.strikes ?? 0) + 1),
    };
    const next = { ...cleared, again: null, misses, missedFrom: first, stuck };
    return { state: next, confirmed: check.kind === 'slower' ? 'slower' : kind };
  }
  const doubt: ModelDoubt = {
    c: run.ready,
    kind: check.kind,
    back,
    t: round(run.t),
    clipped: run.clipped,
    failShare: run.failShare,
    requests: run.requests,
    since: run.now,
    jump: round(jump),
    ratio: round(ratio),
    a: round(run.a),
    growth: check.growth,
  };
  return { state: { ...cleared, misses, missedFrom: first, doubt }, control: controlWhy(doubt) };
}

/**
 * Helped but masked by the load's own growth `own` a run, a scale-up by `ratio` reads as a load that
 * jumped by about `own`; a bottleneck, as one that jumped by `own × ratio` (the latency stayed). Nearer
 * the first, in log: masked.
 */
function masked(jump: number, own: number, ratio: number): boolean {
  return Math.log(Math.max(jump, 1e-9)) - Math.log(own) <= 0.5 * Math.log(ratio);
}

function controlWhy(doubt: ModelDoubt): string {
  const what =
    doubt.kind === 'slower'
      ? 'a test step did not move the fastest answers or the latency'
      : doubt.kind === 'reach'
        ? 'a test step did not lower the latency'
        : 'the last scale-up did not move the latency as the replicas it added should';
  return `${what}: holding one run at ${doubt.c} to tell a bottleneck from a growing load`;
}

/**
 * Did the replicas a scale-up added show? Failing: the requests served must grow with them, judged
 * beyond the probe's sampling error; not failing: the latency fell by a fifth, or by a good share of
 * the prediction. 'unknown' where the run cannot tell (too few requests; the load read before it was
 * only a lower bound and the queue is still saturated).
 */
function capacityShowed(check: ModelCheck, run: Judging): 'yes' | 'no' | 'unknown' {
  if (check.clipped && !run.clipped) return 'yes'; // the failures stopped
  // Failing after the scale-up where the run before did not: the load grew past what was added (a
  // bottleneck's latency stays where it was); sized on, not judged.
  if (!check.clipped && run.clipped) return 'unknown';
  if (check.kind === 'size' && check.lower && run.lowerBound) return 'unknown';
  if (run.clipped && check.clipped) return servedMore(check, run);
  const fell = run.t <= check.t * (1 - MIN_FALL);
  // As predicted: a good share of the fall the model expected — where it expected a fall at all; or,
  // sized ahead of a rising load, a latency no worse than it predicted there (within its noise).
  const predicted = check.predicted;
  const expectedFall = predicted !== null && predicted < check.t * (1 - MIN_FALL / 2);
  const asPredicted = expectedFall && Math.log(check.t / run.t) >= HELPED_SHARE * Math.log(check.t / predicted);
  const slack = 1 + Math.max(MIN_RISE, RISE_SIGMAS * run.noise);
  const withinPrediction = predicted !== null && check.growth > 1 && run.t <= predicted * slack;
  return fell || asPredicted || withinPrediction ? 'yes' : 'no';
}

/** The share served grew by a good share of the replicas' growth ('no' only beyond its sampling error). */
function servedMore(check: ModelCheck, run: Judging): 'yes' | 'no' | 'unknown' {
  const share = 1 - run.failShare;
  const before = 1 - check.failShare;
  const wanted = 1 + HELPED_SHARE * (run.ready / check.before - 1);
  const goal = before * wanted;
  if (share >= goal) return 'yes';
  if (Math.min(run.requests, check.requests) < MIN_REQUESTS_TO_JUDGE) return 'unknown';
  const error = Math.sqrt(shareVariance(share, run.requests) + shareVariance(before, check.requests) * wanted ** 2);
  // More served beyond the sampling error, if less than the replicas promised: some capacity showed, and
  // a load that grew meanwhile hid the rest (a bottleneck serves no more at any count).
  const gained = share - before > ONE_SIDED_90 * shareError(share, run.requests, before, check.requests);
  return !gained && goal - share > ONE_SIDED_90 * error ? 'no' : 'unknown';
}

/**
 * The load grew since a reference run at this count: failing where it was not, a share served that
 * fell beyond its sampling error, or a latency that rose beyond its noise. In words, or undefined.
 */
function grewSince(ref: { t: number; failShare: number; requests: number }, run: Judging): string | undefined {
  const wasClipped = ref.failShare > run.maxFailureRatio;
  if (run.clipped && !wasClipped) return `failing now: ${pct(run.failShare)} of requests`;
  if (run.clipped && wasClipped) {
    const fell = 1 - ref.failShare - (1 - run.failShare);
    const enough = Math.min(run.requests, ref.requests) >= MIN_REQUESTS_TO_JUDGE;
    const error = shareError(1 - run.failShare, run.requests, 1 - ref.failShare, ref.requests);
    if (enough && fell > ONE_SIDED_90 * error) return `failures ${pct(ref.failShare)} → ${pct(run.failShare)}`;
    return undefined;
  }
  if (!run.clipped && run.t > ref.t * (1 + Math.max(MIN_RISE, RISE_SIGMAS * run.noise))) {
    return `latency ${round(ref.t)} → ${round(run.t)} ms`;
  }
  return undefined;
}

/** The standard error of the difference of two shares measured over their requests. */
function shareError(a: number, n: number, b: number, m: number): number {
  return Math.sqrt(shareVariance(a, n) + shareVariance(b, m));
}

/** The variance of a share measured over n requests (Agresti–Coull: never 0 at 0% or 100%). */
function shareVariance(share: number, n: number): number {
  const trials = Math.max(0, n) + 4;
  const p = (share * Math.max(0, n) + 2) / trials;
  return (p * (1 - p)) / trials;
}

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;
