// The stored history as a picture: one self-contained HTML file (inline SVG and CSS; no script, no
// network, no font) with, per target record, a group of panels sharing one UTC time axis: replicas
// (against the min/max bounds when given), each target's observed value against its limit, and the
// share of requests that failed. Hovering any point shows that decision's reason (SVG <title>). Pure:
// records in, HTML out.
import { typeOfTarget, unitOf, withUnit } from '../config/target-type.ts';
import type { HistoryEntry, StateRecord } from '../model/state-record.ts';
import { formatTick, linearTicks, logTicks, timeTicks, type TimeTick, type ValueTicks } from './ticks.ts';
import { plural } from '../plural.ts';

/** The replica bounds of the target's configuration (the entries do not carry them). */
export interface HistoryBounds {
  min: number;
  max: number;
}

export interface HistoryOptions {
  bounds?: HistoryBounds | undefined;
}

/** One target of a fleet page. */
export interface FleetMember {
  title: string;
  record: StateRecord;
  bounds?: HistoryBounds | undefined;
}

/** A target of a fleet page whose history could not be had (an invalid document, an unreadable record). */
export interface FailedMember {
  title: string;
  error: string;
}

const W = 900;
const PAD = { left: 56, right: 52, top: 14, bottom: 40 }; // the bounds are labelled right of the plot
const INSET = 8; // the first and last points sit this far inside the plot, not on its border
const SINGLE_HEIGHT = 200;
const FLEET_HEIGHT = 150; // a fleet page shows many groups: smaller panels
const SINGLE_SPAN = 60_000; // a single decision (or several at one time) gets a minute of axis around it
const MIN_SPAN = 3_000; // a shorter history is centred on 3 s: three round 1 s ticks at least
const KIND_COLOURS = 6; // failure kinds beyond these share the last colour

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const f1 = (n: number): string => n.toFixed(1);

/** The picture's style sheet (the console serves it with its own). */
export const HISTORY_STYLE = `
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; max-width: 960px; }
h1 { font-size: 18px; } h2 { font-size: 16px; margin: 28px 0 4px; padding-top: 12px; border-top: 1px solid #ccc; }
h3 { font-size: 13px; margin: 14px 0 2px; } small { color: #666; font-weight: normal; }
svg { background: #fff; border: 1px solid #ddd; display: block; }
.frame { fill: none; stroke: #bbb; } .grid { stroke: #eee; }
.line { fill: none; stroke: #2563eb; stroke-width: 2; }
.limit { stroke: #dc2626; stroke-dasharray: 6 4; fill: none; stroke-width: 1.5; }
.pt { fill: #2563eb; stroke: #fff; } .pt.breach { fill: #dc2626; }
.axis { font-size: 11px; fill: #555; } .xdate { fill: #222; font-weight: 600; }
.band { fill: #64748b; fill-opacity: 0.14; } .bound-line { stroke: #64748b; stroke-dasharray: 2 3; }
.error-text { color: #b91c1c; } /* as the console's own */
.bar { fill: #f87171; } .key { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 8px; }
.k0 { fill: #f59e0b; background: #f59e0b; } .k1 { fill: #8b5cf6; background: #8b5cf6; }
.k2 { fill: #ec4899; background: #ec4899; } .k3 { fill: #14b8a6; background: #14b8a6; }
.k4 { fill: #a16207; background: #a16207; } .k5 { fill: #64748b; background: #64748b; }
`;

/** One target's history: replicas, its targets and its failures over time. */
export function historyHtml(record: StateRecord, title: string, options: HistoryOptions = {}): string {
  return page(title, group({ title, record, bounds: options.bounds }, SINGLE_HEIGHT));
}

/** One target's panels without the page around them, to embed (the console's target page). */
export function historySection(record: StateRecord, title: string, options: HistoryOptions = {}): string {
  return group({ title, record, bounds: options.bounds }, SINGLE_HEIGHT);
}

/** A fleet: one group of smaller panels per target, on one page; a failed target's error in its place. */
export function fleetHistoryHtml(members: (FleetMember | FailedMember)[], title = 'latency-scaler: fleet'): string {
  const sections = members.map(
    (m) => `<h2>${esc(m.title)}</h2>\n${'error' in m ? failedGroup(m.error) : group(m, FLEET_HEIGHT)}`,
  );
  const failed = members.filter((m) => 'error' in m).length;
  const failures = failed ? `; failed: ${failed} (the error in place of the charts)` : '';
  const summary = `${plural(members.length, 'target')}${failures}.`;
  return page(title, `<p>${summary}</p>\n${sections.join('\n')}`);
}

/** What a failed target shows instead of its panels, as `status` shows it: `error: …`. */
function failedGroup(error: string): string {
  return `<section class="group"><p class="error-text">error: ${esc(error)}</p></section>`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${HISTORY_STYLE}</style></head><body>
<h1>${esc(title)}</h1>
${body}
</body></html>
`;
}

/** Where a group's panels put a time: all share one axis, so a decision lines up across them. */
interface Frame {
  height: number;
  x: (t: number) => number;
  times: TimeTick[];
}

/** A value axis: where a value goes, and its labelled ticks. */
interface Axis {
  y: (v: number) => number;
  ticks: number[];
  label: (v: number) => string;
  log: boolean;
}

function group(member: FleetMember, height: number): string {
  const h = member.record.history;
  if (h.length === 0) return '<section class="group"><p class="summary">No decisions recorded yet.</p></section>';
  const frame = timeFrame(h, height);
  const panels = [
    replicasPanel(h, frame, member.bounds),
    ...targetNames(h).map((t) => targetPanel(t, h, frame)),
    failuresPanel(h, frame),
  ];
  const summary =
    `${plural(h.length, 'decision')} from ${esc(h[0]!.at)} to ${esc(h.at(-1)!.at)}; ` +
    "times are UTC; hover a point for the decision's reason.";
  return `<section class="group"><p class="summary">${summary}</p>\n${panels.filter((p) => p).join('\n')}\n</section>`;
}

/** The axis runs from the first decision to the last (their points INSET inside the plot), round ticks within. */
function timeFrame(h: HistoryEntry[], height: number): Frame {
  const ts = h.map((e) => Date.parse(e.at));
  let from = Math.min(...ts);
  let to = Math.max(...ts);
  const span = to === from ? SINGLE_SPAN : MIN_SPAN;
  if (to - from < span) {
    const mid = (from + to) / 2;
    [from, to] = [mid - span / 2, mid + span / 2];
  }
  const left = PAD.left + INSET;
  const right = W - PAD.right - INSET;
  return { height, x: (t) => left + ((t - from) / (to - from)) * (right - left), times: timeTicks(from, to) };
}

const plotHeight = (frame: Frame): number => frame.height - PAD.top - PAD.bottom;

/** A linear or logarithmic axis over the given ticks' domain, in the frame's plot height. */
function axis(frame: Frame, t: ValueTicks, log: boolean, label = formatTick): Axis {
  const bottom = frame.height - PAD.bottom;
  const frac = (v: number): number =>
    log ? Math.log(Math.max(v, t.lo) / t.lo) / Math.log(t.hi / t.lo) : (v - t.lo) / (t.hi - t.lo);
  return { y: (v) => bottom - frac(v) * plotHeight(frame), ticks: t.ticks, label, log };
}

/** The target names observed in the history, failure-ratio targets excepted (the failures panel shows them). */
function targetNames(h: HistoryEntry[]): string[] {
  return [...new Set(h.flatMap((e) => e.observations.map((o) => o.target)))].filter((t) => !isFailureTarget(t));
}

// A target's name is `<request> <type as written>`: a failure-ratio target's value is the share that failed.
const isFailureTarget = (target: string): boolean => target.endsWith(' failureRatio');

/** One SVG panel: frame, grid, value and time labels, then the panel's own marks. */
function panel(name: string, note: string, frame: Frame, a: Axis, marks: string): string {
  const [right, height] = [W - PAD.right, plotHeight(frame)];
  const box = `<rect class="frame" x="${PAD.left}" y="${PAD.top}" width="${right - PAD.left}" height="${height}"/>`;
  return `<h3>${esc(name)}${note ? ` <small>(${note})</small>` : ''}</h3>
<svg viewBox="0 0 ${W} ${frame.height}" width="${W}" height="${frame.height}" role="img" aria-label="${esc(name)}">\
${valueGrid(a)}${timeGrid(frame)}${box}
${marks}</svg>`;
}

/** A grid line and a label at each value tick. */
function valueGrid(a: Axis): string {
  return a.ticks
    .map((v) => {
      const y = a.y(v);
      return (
        `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${f1(y)}" y2="${f1(y)}"/>` +
        `<text class="axis ytick" x="${PAD.left - 6}" y="${f1(y + 4)}" text-anchor="end">${a.label(v)}</text>`
      );
    })
    .join('');
}

/** A grid line and a label at each round time; the date on a second row where the reader needs it. */
function timeGrid(frame: Frame): string {
  const bottom = frame.height - PAD.bottom;
  const text = (cls: string, x: string, y: number, s: string): string =>
    `<text class="axis ${cls}" x="${x}" y="${y}" text-anchor="middle">${esc(s)}</text>`;
  // The labels' row starts below the lowest value label (the 0 at the plot's bottom), which a wide
  // time label at the plot's left edge would otherwise touch.
  return frame.times
    .map((tick) => {
      const x = f1(frame.x(tick.t));
      return (
        `<line class="grid" x1="${x}" x2="${x}" y1="${PAD.top}" y2="${bottom}"/>` +
        text('xtick', x, bottom + 19, tick.label) +
        (tick.date ? text('xdate', x, bottom + 33, tick.date) : '')
      );
    })
    .join('');
}

/** A hoverable point: the decision's time, what the panel shows of it, and its reason. */
function dot(x: number, y: number, breach: boolean, e: HistoryEntry, what: string): string {
  const title = `<title>${esc(`${e.at}: ${what}\n${e.reason}`)}</title>`;
  return `<circle class="pt${breach ? ' breach' : ''}" cx="${f1(x)}" cy="${f1(y)}" r="4">${title}</circle>`;
}

/** A polyline through the points, broken where a value is missing (a failed probe is no zero). */
function linePath(points: ({ x: number; y: number } | null)[]): string {
  let pen = 'M';
  const parts: string[] = [];
  for (const p of points) {
    if (!p) pen = 'M';
    else {
      parts.push(`${pen}${f1(p.x)},${f1(p.y)}`);
      pen = 'L';
    }
  }
  return parts.join(' ');
}

function replicasPanel(h: HistoryEntry[], frame: Frame, bounds: HistoryBounds | undefined): string {
  const top = Math.max(...h.map((e) => e.applied), bounds?.max ?? 0) + 1; // room above the highest, and the max band
  const a = axis(frame, linearTicks(0, top, intervalsFor(frame), true), false);
  const xs = h.map((e) => frame.x(Date.parse(e.at)));
  // The count holds until the next decision: a step line, not a slope.
  const path = h
    .map((e, i) => (i ? `H${f1(xs[i]!)} V${f1(a.y(e.applied))}` : `M${f1(xs[0]!)},${f1(a.y(e.applied))}`))
    .join(' ');
  const dots = h.map((e, i) => dot(xs[i]!, a.y(e.applied), false, e, `${plural(e.applied, 'replica')} (${e.action})`));
  const note = bounds ? `shaded: outside min ${bounds.min} – max ${bounds.max}` : '';
  return panel(
    'replicas',
    note,
    frame,
    a,
    `${bounds ? boundBands(frame, a, bounds) : ''}
<path class="line" d="${path}"/>${dots.join('')}`,
  );
}

/** Intervals between linear ticks: labels ~30 px apart read easily (4 in a full panel, 3 in a fleet's). */
const intervalsFor = (frame: Frame): number => Math.max(2, Math.floor(plotHeight(frame) / 30));
/** At most this many log ticks: 1-2-5 labels are unevenly spaced, so they may come closer (~20 px). */
const logTicksFor = (frame: Frame): number => Math.floor(plotHeight(frame) / 20) + 1;

/** Shaded areas above max and below min, each edged by a labelled line. */
function boundBands(frame: Frame, a: Axis, b: HistoryBounds): string {
  const [top, bottom] = [PAD.top, frame.height - PAD.bottom];
  const [left, right] = [PAD.left, W - PAD.right];
  const band = (y1: number, y2: number, label: string, lineY: number): string =>
    y2 - y1 < 0.5
      ? ''
      : `<rect class="band" x="${left}" y="${f1(y1)}" width="${right - left}" height="${f1(y2 - y1)}"/>` +
        `<line class="bound-line" x1="${left}" x2="${right}" y1="${f1(lineY)}" y2="${f1(lineY)}"/>` +
        `<text class="axis bound" x="${right + 4}" y="${f1(lineY + 4)}">${label}</text>`;
  const [yMax, yMin] = [a.y(b.max), a.y(b.min)];
  return band(top, yMax, `max ${b.max}`, yMax) + band(yMin, bottom, `min ${b.min}`, yMin);
}

function targetPanel(name: string, h: HistoryEntry[], frame: Frame): string {
  const obs = h.map((e) => e.observations.find((o) => o.target === name));
  const values = obs.map((o) => o?.value ?? null);
  const limits = obs.map((o) => o?.limit ?? null);
  const all = [...values, ...limits].filter((v): v is number => v !== null && Number.isFinite(v));
  const a = valueAxis(frame, all);
  const xs = h.map((e) => frame.x(Date.parse(e.at)));
  const at = (vs: (number | null)[]) => vs.map((v, i) => (v === null ? null : { x: xs[i]!, y: a.y(v) }));
  // An rps target is a floor: below it is the breach (its label is the type, last in the target's name).
  const breached = (v: number, l: number | null): boolean => l !== null && (name.endsWith(' rps') ? v < l : v > l);
  const type = typeOfTarget(name);
  const dots = h.map((e, i) => {
    const [v, l] = [values[i]!, limits[i]!];
    if (v === null) return '';
    const limit = l === null ? '' : ` (limit ${withUnit(l, type)})`;
    return dot(xs[i]!, a.y(v), breached(v, l), e, `${withUnit(v, type, formatTick)}${limit}`);
  });
  const limitPath = linePath(at(limits));
  // The axis labels stay bare numbers (a unit on each would not fit left of the plot): the note says it.
  const unit = type ? unitOf(type).trim() : '';
  const note = `${unit ? `${unit}; ` : ''}dashed: target${a.log ? '; logarithmic scale' : ''}`;
  return panel(
    name,
    note,
    frame,
    a,
    `${limitPath ? `<path class="limit" d="${limitPath}"/>` : ''}\
<path class="line" d="${linePath(at(values))}"/>${dots.join('')}`,
  );
}

/** Linear from 0, or logarithmic when a spike far above the rest would flatten everything else. */
function valueAxis(frame: Frame, values: number[]): Axis {
  const top = Math.max(1e-3, ...values) * 1.1;
  const floor = Math.max(1e-3, Math.min(...values.filter((v) => v > 0), top) / 2);
  if (top / floor > 20) return axis(frame, logTicks(floor, top, logTicksFor(frame)), true);
  return axis(frame, linearTicks(0, top, intervalsFor(frame)), false);
}

/** A decision's failures: the entry's own when it stores them, else its failure-ratio targets' worst share. */
function failuresOf(e: HistoryEntry): FailureSample | null {
  const stored = e.failures; // older entries have none
  const targets = e.observations.filter((o) => isFailureTarget(o.target));
  const limit = targets.length ? Math.min(...targets.map((o) => o.limit)) : null;
  // Red where a failure-ratio target was breached: the decision's own verdict, per request.
  const breach = targets.some((o) => o.value !== null && o.value > o.limit);
  if (stored && isShare(stored.ratio)) return { ratio: stored.ratio, kinds: kindsOf(stored.kinds), limit, breach };
  const shares = targets.map((o) => o.value).filter(isShare);
  return shares.length ? { ratio: Math.max(...shares), kinds: [], limit, breach } : null;
}

interface FailureSample {
  ratio: number;
  kinds: [string, number][];
  limit: number | null;
  breach: boolean;
}

const isShare = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 1;

/** Failure counts by kind, read defensively (a stored record is whatever a version wrote). */
function kindsOf(kinds: unknown): [string, number][] {
  if (typeof kinds !== 'object' || kinds === null) return [];
  return Object.entries(kinds).filter((k): k is [string, number] => typeof k[1] === 'number' && k[1] > 0);
}

function failuresPanel(h: HistoryEntry[], frame: Frame): string {
  const samples = h.map(failuresOf);
  const known = samples.filter((s) => s !== null);
  if (known.length === 0) return '';
  const a = failureAxis(frame, known);
  const kinds = kindOrder(known.flatMap((s) => s.kinds));
  const xs = h.map((e) => frame.x(Date.parse(e.at)));
  const width = Math.max(2, Math.min(14, ((W - PAD.left - PAD.right) / h.length) * 0.6));
  const bars = samples.map((s, i) => (s ? failureBar(xs[i]!, width, a, s, kinds) : ''));
  const dots = samples.map((s, i) => (s ? dot(xs[i]!, a.y(s.ratio * 100), s.breach, h[i]!, failureText(s)) : ''));
  const limits = linePath(samples.map((s, i) => (s?.limit != null ? { x: xs[i]!, y: a.y(s.limit * 100) } : null)));
  const legend = kinds.map((k, i) => `<span class="key k${Math.min(i, KIND_COLOURS - 1)}"></span>${esc(k)}`).join('');
  const note = `share of requests that failed${limits ? '; dashed: target' : ''}${legend ? `; by kind:${legend}` : ''}`;
  const limitPath = limits ? `<path class="limit" d="${limits}"/>` : '';
  return panel('failed requests', note, frame, a, `${bars.join('')}${limitPath}${dots.join('')}`);
}

/** Percent from 0 to a little above the highest share or target (at least 1%, at most 100%). */
function failureAxis(frame: Frame, known: FailureSample[]): Axis {
  const highest = Math.max(...known.map((s) => Math.max(s.ratio, s.limit ?? 0)));
  const top = Math.min(100, Math.max(1, highest * 100 * 1.1));
  return axis(frame, linearTicks(0, top, intervalsFor(frame)), false, (v) => `${formatTick(v)}%`);
}

/** Kinds by their total count, most frequent first: the colours follow this order everywhere. */
function kindOrder(kinds: [string, number][]): string[] {
  const totals = new Map<string, number>();
  for (const [k, n] of kinds) totals.set(k, (totals.get(k) ?? 0) + n);
  return [...totals].sort((p, q) => q[1] - p[1]).map(([k]) => k);
}

/** A bar as high as the share that failed, stacked by kind in proportion to their counts. */
function failureBar(x: number, width: number, a: Axis, s: FailureSample, order: string[]): string {
  const base = a.y(0);
  const height = base - a.y(s.ratio * 100);
  const rect = (cls: string, y: number, hgt: number, title: string): string =>
    `<rect class="${cls}" x="${f1(x - width / 2)}" y="${f1(y)}" width="${f1(width)}" height="${f1(hgt)}">` +
    `<title>${esc(title)}</title></rect>`;
  const total = s.kinds.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return height > 0 ? rect('bar', base - height, height, `${percent(s.ratio)} failed`) : '';
  let y = base;
  return [...s.kinds]
    .sort((p, q) => order.indexOf(p[0]) - order.indexOf(q[0]))
    .map(([kind, n]) => {
      const hgt = (height * n) / total;
      y -= hgt;
      const cls = `bar k${Math.min(order.indexOf(kind), KIND_COLOURS - 1)}`;
      return rect(cls, y, hgt, `${kind}: ${n} of ${total} failures`);
    })
    .join('');
}

/** 4.5% from 0.045: three significant digits, enough to tell runs apart. */
const percent = (ratio: number): string => `${formatTick(Number((ratio * 100).toPrecision(3)))}%`;

function failureText(s: FailureSample): string {
  const kinds = s.kinds.map(([k, n]) => `${k} ${n}`).join(', ');
  const limit = s.limit !== null ? ` (limit ${percent(s.limit)})` : '';
  return `${percent(s.ratio)} of requests failed${kinds ? ` (${kinds})` : ''}${limit}`;
}
