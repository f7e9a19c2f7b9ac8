// Round ticks for the history picture's axes: values on 1-2-5 sequences (linear or logarithmic), times
// on round UTC steps. A reader compares a point with 5 or 50 at a glance, not with 477 or 6.18. Pure.

/** An axis's domain, widened to round ends, and the values it labels (ascending). */
export interface ValueTicks {
  lo: number;
  hi: number;
  ticks: number[];
}

/** Drops binary noise (0.1 × 3 = 0.30000000000000004) so labels and comparisons see round numbers. */
const clean = (v: number): number => Number(v.toPrecision(12));

/** The smallest number of the 1-2-5 sequence (…, 0.5, 1, 2, 5, 10, …) that is ≥ x, for x > 0. */
export function niceStep(x: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(x));
  const mantissa = [1, 2, 5].find((m) => clean(m * magnitude) >= clean(x));
  return clean((mantissa ?? 10) * magnitude);
}

/**
 * About `count` intervals of one 1-2-5 step covering [lo, hi]; the domain widens to whole steps so
 * the ends are labelled too. `integer` (replicas): the step is a whole number.
 */
export function linearTicks(lo: number, hi: number, count = 5, integer = false): ValueTicks {
  const top = hi > lo ? hi : lo + (Math.abs(lo) || 1); // a flat series still gets an axis
  const step = Math.max(integer ? 1 : 0, niceStep((top - lo) / count));
  const first = Math.floor(clean(lo / step));
  const last = Math.ceil(clean(top / step));
  const ticks = Array.from({ length: last - first + 1 }, (_, i) => clean((first + i) * step));
  return { lo: ticks[0]!, hi: ticks.at(-1)!, ticks };
}

/** The numbers m × 10^d around [lo, hi], for the given mantissas, ascending. */
function decadeValues(lo: number, hi: number, mantissas: number[]): number[] {
  const out: number[] = [];
  for (let d = Math.floor(Math.log10(lo)) - 1; d <= Math.ceil(Math.log10(hi)) + 1; d++)
    for (const m of mantissas) out.push(clean(m * 10 ** d));
  return out;
}

/**
 * Ticks for a logarithmic axis over [lo, hi] (lo > 0): 1-2-5 in every decade while at most `maxTicks`
 * fit, else the powers of ten, else every k-th power; the domain widens to the nearest ticks.
 */
export function logTicks(lo: number, hi: number, maxTicks = 8): ValueTicks {
  for (const mantissas of [[1, 2, 5], [1]]) {
    const values = decadeValues(lo, hi, mantissas);
    const from = values.findLast((v) => v <= clean(lo))!;
    const to = values.find((v) => v >= clean(hi))!;
    const ticks = values.filter((v) => v >= from && v <= to);
    if (ticks.length <= maxTicks) return { lo: from, hi: to, ticks };
  }
  const [first, top] = [Math.floor(Math.log10(lo)), Math.ceil(Math.log10(hi))];
  const every = Math.ceil((top - first) / Math.max(1, maxTicks - 1));
  const count = Math.ceil((top - first) / every) + 1;
  const ticks = Array.from({ length: count }, (_, i) => clean(10 ** (first + i * every)));
  return { lo: ticks[0]!, hi: ticks.at(-1)!, ticks };
}

/** 0, 0.5, 20, 1500, 20k: short labels for round values. */
export function formatTick(v: number): string {
  if (Math.abs(v) >= 10_000) return `${formatTick(clean(v / 1000))}k`;
  return String(clean(v));
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

// Every step below a day divides a day, so ticks at its multiples since the epoch fall on round UTC times.
const TIME_STEPS = [
  ...[1, 2, 5, 10, 15, 30].map((n) => n * SECOND),
  ...[1, 2, 5, 10, 15, 30].map((n) => n * MINUTE),
  ...[1, 2, 3, 6, 12].map((n) => n * HOUR),
  ...[1, 2, 7, 14].map((n) => n * DAY),
];

export interface TimeTick {
  t: number; // epoch ms
  label: string; // the time of day, or the date for steps of days
  /** The UTC date under the label: at the first tick (with "UTC") and where the date changes. */
  date?: string;
}

const ticksIn = (from: number, to: number, step: number): number =>
  Math.max(0, Math.floor(to / step) - Math.ceil(from / step) + 1);

/** The round step that puts at most `maxTicks` (and so, with 1-2-2.5 ratios between steps, ≥ 3) ticks in the span. */
export function timeStep(from: number, to: number, maxTicks = 8): number {
  const fits = TIME_STEPS.find((s) => ticksIn(from, to, s) <= maxTicks);
  return fits ?? DAY * niceStep((to - from) / DAY / Math.max(1, maxTicks - 1));
}

/** Ticks at round UTC times in [from, to], labelled so a reader knows the date when the span crosses days. */
export function timeTicks(from: number, to: number, maxTicks = 8): TimeTick[] {
  const step = timeStep(from, to, maxTicks);
  const times = Array.from({ length: ticksIn(from, to, step) }, (_, i) => (Math.ceil(from / step) + i) * step);
  const iso = (t: number): string => new Date(t).toISOString();
  return times.map((t, i) => {
    const day = iso(t).slice(0, 10);
    if (step >= DAY) return { t, label: day, ...(i === 0 ? { date: 'UTC' } : {}) };
    const label = iso(t).slice(11, step < MINUTE ? 19 : 16);
    if (i === 0) return { t, label, date: `${day} UTC` };
    return day === iso(times[i - 1]!).slice(0, 10) ? { t, label } : { t, label, date: day };
  });
}
