// The model policy's memory (DESIGN §4.12): a few numbers in the state record, and the one strict
// decoder for them. A stored model that does not decode is learned afresh (it is only a cache), so
// nonsense — a latency ≤ 0, a count that is not one — never reaches the maths.

/** A scale-up the model made, to judge on the first run where its replicas serve. */
export interface ModelCheck {
  c: number; // the count it went to
  before: number; // the count it came from
  t: number; // the latency before it (ms)
  /** The latency it predicted at c (ms); null where it predicted none (still past capacity). */
  predicted: number | null;
  /** Failing before it: the share of requests that failed, and of how many. */
  clipped: boolean;
  failShare: number;
  requests: number;
  /** Sized from a lower bound of the load (a saturated queue, an overload beyond what one run reads). */
  lower: boolean;
  /** What the scale-up was: sizing, a test of a slower service, a test of a target below s₀. */
  kind: ModelDoubtKind;
  /** The count and latency before the first of the scale-ups in a row that did not show (back to it). */
  first: { c: number; t: number };
  /** The offered load read before it (servers, λ·s₀), and the load's growth a run the model saw then. */
  a: number;
  growth: number;
}

export type ModelDoubtKind = 'size' | 'slower' | 'reach';

/** A scale-up whose capacity did not show: the next run at this count tells a bottleneck from more load. */
export interface ModelDoubt {
  c: number;
  kind: ModelDoubtKind;
  back: number; // the count before the scale-ups that did not show
  t: number;
  clipped: boolean;
  failShare: number;
  requests: number;
  since: number; // epoch ms
  /**
   * What the scale-up did to the load read from this run (after ÷ before, as if more replicas helped:
   * a bottleneck reads as a load that jumped by the replicas' ratio `ratio`), the load read after it
   * (for the growth seen by the control run), and the growth a run seen before it.
   */
  jump: number;
  ratio: number;
  a: number;
  growth: number;
}

/**
 * Scaling stopped: `bottleneck` (NotScalable: replicas do not move the latency) or `reach` (the
 * service time itself is above the target: no count meets it). `t`: the latency then, `s0` the
 * service time then (ms); `failShare`/`requests` the failures then (a load that grows shows in them).
 */
export interface ModelStuck {
  kind: 'bottleneck' | 'reach';
  since: number; // epoch ms
  back: number;
  t: number;
  s0: number;
  failShare: number;
  requests: number;
  /** The service time before it rose (a slower service), for the sentence. */
  was?: number;
  /** Runs in a row whose latency rose beyond its noise since (two lift the stop: one may be noise). */
  rises?: number;
  /** Scale-ups that did not show, in separate tries: past two, a growing load no longer lifts the stop. */
  strikes: number;
}

/**
 * One run's offered load in servers (λ·s₀); `lower`: only a lower bound (saturated, or past what one run
 * reads).
 */
export interface ModelLoad {
  at: number; // epoch ms
  a: number;
  lower?: boolean;
  noise?: number; // the estimate's relative σ (from the latency's noise; a few percent when failing)
}

export interface ModelState {
  v: 2;
  s0: number; // the service time (ms)
  s0At: string;
  fits: number; // calibrations from changes seen so far (0: s₀ is only the lowest latency seen)
  recent: number[]; // the last few trusted mean latencies (ms): s₀ is never above the lowest of them
  rev: string | null; // the target's revision s₀ was learned on
  /**
   * The last trusted run (ready replicas, mean ms), for calibration; `deep`: it queued too deep for a
   * steady state (its queue still growing, or draining into the next run): it calibrates nothing.
   */
  last: { c: number; t: number; deep?: true } | null;
  /** The latencies of the last few trusted runs in a row at one count: their mean is a scale-down's measure. */
  same?: { c: number; t: number[] };
  noise?: number; // the relative run-to-run noise of the latency between close runs at one count
  spreads?: number[]; // the last few of those differences (σ each): their median is `noise`
  early: number | null; // what the last run within target asked for (a scale-up within target needs two)
  /** The fastest answers (p5, ms) of recent runs that did not queue hard: what a slower service moves. */
  fast: number[];
  /** The offered load of the last few runs: its trend sizes ahead of a rising load (never down). */
  loads: ModelLoad[];
  check: ModelCheck | null;
  /** Scale-ups in a row whose capacity did not show (a control run between them that saw the load grow included). */
  misses: number;
  /** The count and latency before the first of those: a stop goes back to it. */
  missedFrom: { c: number; t: number } | null;
  doubt: ModelDoubt | null;
  stuck: ModelStuck | null;
  /** A stop lifted (the load grew, or a retry): the next scale-up that does not show stops again at once. */
  again: ModelStuck | null;
  stableUntil: string | null; // no scale-down before (after sizing from goodput)
  /**
   * The production load signal's scale (DESIGN §9): servers of load per request/s of production rate,
   * learned where the probe's latency tells the utilization; then the rate alone sizes the replicas.
   */
  perRequest?: number;
  rateFits?: number; // the runs it was learned from
  /** A scale-down that a breach or failures followed at once: no lower than `c` until `until` (epoch ms). */
  floor?: { c: number; until: number };
  /** The one step up taken to calibrate s₀ before any scale-down; `idle`: it moved nothing. */
  probe: { c: number; idle: boolean | null } | null;
}

const num = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
const positive = (n: unknown): n is number => num(n) && n > 0;
const count = (n: unknown): n is number => num(n) && Number.isInteger(n) && n >= 0;
const share = (n: unknown): n is number => num(n) && n >= 0 && n <= 1;
const time = (s: unknown): boolean => typeof s === 'string' && !Number.isNaN(Date.parse(s));
const object = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const kinds: readonly string[] = ['size', 'slower', 'reach'];

/** A stored model, or null where any field is not what the model wrote (learned afresh then). */
export function decodeModel(x: unknown): ModelState | null {
  if (!object(x) || x['v'] !== 2) return null;
  const m = x as unknown as ModelState;
  const ok =
    positive(m.s0) &&
    time(m.s0At) &&
    count(m.fits) &&
    Array.isArray(m.recent) &&
    m.recent.every(positive) &&
    (m.rev === null || typeof m.rev === 'string') &&
    (m.last === null || isLast(m.last)) &&
    (m.same === undefined ||
      (object(m.same) && count(m.same.c) && Array.isArray(m.same.t) && m.same.t.every(positive))) &&
    (m.noise === undefined || share(m.noise)) &&
    (m.spreads === undefined || (Array.isArray(m.spreads) && m.spreads.every((x) => num(x) && x >= 0))) &&
    (m.early === null || count(m.early)) &&
    Array.isArray(m.fast) &&
    m.fast.every(positive) &&
    Array.isArray(m.loads) &&
    m.loads.every((l) => object(l) && num(l.at) && num(l.a) && l.a >= 0 && (l.noise === undefined || num(l.noise))) &&
    (m.check === null || isCheck(m.check)) &&
    count(m.misses) &&
    (m.missedFrom === null || (object(m.missedFrom) && count(m.missedFrom.c) && positive(m.missedFrom.t))) &&
    (m.doubt === null || isDoubt(m.doubt)) &&
    (m.stuck === null || isStuck(m.stuck)) &&
    (m.again === null || isStuck(m.again)) &&
    (m.stableUntil === null || time(m.stableUntil)) &&
    (m.perRequest === undefined || positive(m.perRequest)) &&
    (m.rateFits === undefined || count(m.rateFits)) &&
    (m.floor === undefined || (object(m.floor) && count(m.floor.c) && num(m.floor.until))) &&
    (m.probe === null || (object(m.probe) && count(m.probe.c) && [true, false, null].includes(m.probe.idle)));
  return ok ? m : null;
}

function isLast(l: NonNullable<ModelState['last']>): boolean {
  return object(l) && count(l.c) && positive(l.t) && (l.deep === undefined || l.deep === true);
}

function isCheck(c: ModelCheck): boolean {
  return (
    object(c) &&
    count(c.c) &&
    count(c.before) &&
    positive(c.t) &&
    (c.predicted === null || positive(c.predicted)) &&
    typeof c.clipped === 'boolean' &&
    share(c.failShare) &&
    count(c.requests) &&
    typeof c.lower === 'boolean' &&
    kinds.includes(c.kind) &&
    object(c.first) &&
    count(c.first.c) &&
    positive(c.first.t) &&
    num(c.a) &&
    c.a >= 0 &&
    positive(c.growth)
  );
}

function isDoubt(d: ModelDoubt): boolean {
  return (
    object(d) &&
    count(d.c) &&
    kinds.includes(d.kind) &&
    count(d.back) &&
    positive(d.t) &&
    typeof d.clipped === 'boolean' &&
    share(d.failShare) &&
    count(d.requests) &&
    num(d.since) &&
    num(d.jump) &&
    d.jump >= 0 &&
    positive(d.ratio) &&
    num(d.a) &&
    d.a >= 0 &&
    positive(d.growth)
  );
}

function isStuck(s: ModelStuck): boolean {
  return (
    object(s) &&
    (s.kind === 'bottleneck' || s.kind === 'reach') &&
    num(s.since) &&
    count(s.back) &&
    positive(s.t) &&
    positive(s.s0) &&
    share(s.failShare) &&
    count(s.requests) &&
    (s.was === undefined || positive(s.was)) &&
    (s.rises === undefined || count(s.rises)) &&
    count(s.strikes)
  );
}
