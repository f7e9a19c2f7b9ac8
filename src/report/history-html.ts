// The stored history as a picture: one self-contained HTML file (inline SVG, no network) plotting
// replicas, and each target's observed value against its limit, over time. Hovering a point shows
// that decision's reason (SVG <title>). Pure: record in, HTML out.
import type { HistoryEntry, StateRecord } from '../model/state-record.ts';

const W = 900;
const H = 220;
const PAD = { left: 56, right: 16, top: 16, bottom: 28 };

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function historyHtml(record: StateRecord, title: string): string {
  const h = record.history;
  const targets = [...new Set(h.flatMap((e) => e.observations.map((o) => o.target)))];
  const charts = [
    chart(
      'replicas',
      h,
      (e) => e.applied,
      undefined,
      (e) => e.reason,
    ),
  ];
  for (const t of targets) {
    const obs = (e: HistoryEntry) => e.observations.find((o) => o.target === t);
    charts.push(
      chart(
        t,
        h,
        (e) => obs(e)?.value ?? null,
        (e) => obs(e)?.limit ?? null,
        (e) => e.reason,
      ),
    );
  }
  const span = h.length ? ` from ${esc(h[0]!.at)} to ${esc(h.at(-1)!.at)}` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 18px; } h2 { font-size: 14px; margin: 20px 0 4px; }
svg { background: #fafafa; border: 1px solid #ddd; }
.line { fill: none; stroke: #2563eb; stroke-width: 2; } .limit { stroke: #dc2626; stroke-dasharray: 6 4; fill: none; }
.pt { fill: #2563eb; } .pt.breach { fill: #dc2626; } .axis { font-size: 11px; fill: #666; }
</style></head><body>
<h1>${esc(title)}</h1>
<p id="summary">${h.length} decisions${span}; hover a point for the decision's reason.</p>
${charts.join('\n')}
<script>document.getElementById('summary').dataset.points = String(document.querySelectorAll('circle').length);</script>
</body></html>
`;
}

function chart(
  name: string,
  h: HistoryEntry[],
  value: (e: HistoryEntry) => number | null,
  limit: ((e: HistoryEntry) => number | null) | undefined,
  reason: (e: HistoryEntry) => string,
): string {
  const xs = h.map((e) => Date.parse(e.at));
  const values = h.map(value);
  const limits = limit ? h.map(limit) : [];
  const all = [...values, ...limits].filter((v): v is number => v !== null);
  const integer = !limit; // replicas
  const top = integer ? Math.max(1, ...all) + 1 : Math.max(1e-3, ...all) * 1.1;
  const floor = Math.max(1e-3, Math.min(...all.filter((v) => v > 0), top) / 2);
  // A spike far above the target would flatten everything else: then the scale is logarithmic.
  const log = !integer && top / floor > 20;
  const x0 = Math.min(...xs);
  const span = Math.max(1, Math.max(...xs) - x0);
  const px = (t: number) => PAD.left + ((t - x0) / span) * (W - PAD.left - PAD.right);
  const frac = (v: number) => (log ? Math.log(Math.max(v, floor) / floor) / Math.log(top / floor) : v / top);
  const py = (v: number) => H - PAD.bottom - frac(v) * (H - PAD.top - PAD.bottom);
  const pts = h.map((e, i) => ({ e, x: px(xs[i]!), v: values[i]!, l: limits[i] ?? null })).filter((p) => p.v !== null);
  const path = pts.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${py(p.v!).toFixed(1)}`).join(' ');
  const limitPath = limit
    ? pts
        .filter((p) => p.l !== null)
        .map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${py(p.l!).toFixed(1)}`)
        .join(' ')
    : '';
  // An rps target is a floor: below it is the breach (its label is the type, last in the target's name).
  const isFloor = name.endsWith(' rps');
  const breached = (v: number, l: number): boolean => (isFloor ? v < l : v > l);
  const dots = pts
    .map((p) => {
      const cls = `pt${p.l !== null && breached(p.v!, p.l) ? ' breach' : ''}`;
      const title = `<title>${esc(`${p.e.at}\n${reason(p.e)}`)}</title>`;
      return `<circle class="${cls}" cx="${p.x.toFixed(1)}" cy="${py(p.v!).toFixed(1)}" r="4">${title}</circle>`;
    })
    .join('');
  const levels = integer
    ? [0, Math.round(top / 2), top]
    : log
      ? [floor, Math.sqrt(floor * top), top]
      : [0, top / 2, top];
  const label = (v: number) => (integer || v >= 10 ? v.toFixed(0) : v.toFixed(2));
  const ticks =
    levels
      .map((v) => `<text class="axis" x="${PAD.left - 6}" y="${py(v) + 4}" text-anchor="end">${label(v)}</text>`)
      .join('') + (h.length ? timeAxis(h) : '');
  return `<h2>${esc(name)}${limit ? ` <small>(dashed: target${log ? '; logarithmic scale' : ''})</small>` : ''}</h2>
<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(name)}">${ticks}
<path class="line" d="${path}"/>${limitPath ? `<path class="limit" d="${limitPath}"/>` : ''}${dots}</svg>`;
}

/** The first and last decision's times under the chart. */
function timeAxis(h: HistoryEntry[]): string {
  const first = esc(h[0]!.at.slice(11, 19));
  const last = esc(h.at(-1)!.at.slice(11, 19));
  const y = H - 8;
  return (
    `<text class="axis" x="${PAD.left}" y="${y}">${first}</text>` +
    `<text class="axis" x="${W - PAD.right}" y="${y}" text-anchor="end">${last} UTC</text>`
  );
}
