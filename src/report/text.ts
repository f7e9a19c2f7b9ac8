// Human-readable renderings: the Locust-style statistics table and the decision summary.
import type { Observations, RequestStats } from '../model/observations.ts';
import type { DecisionRecord } from './record.ts';
import { word } from '../plural.ts';

const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(2));

export function statsTable(o: Observations): string {
  const rows: RequestStats[] = [...Object.values(o.requests), o.aggregated];
  const width = Math.max(20, ...rows.map((r) => r.name.length));
  const pct = Object.keys(o.aggregated.percentiles);
  const head = ['Name'.padEnd(width), '# reqs', '# fails', 'req/s', 'min', 'mean', 'median', 'max', ...pct]
    .map((h, i) => (i === 0 ? h : h.padStart(8)))
    .join(' ');
  const line = '-'.repeat(head.length);
  const body = rows.map((r, i) => {
    const cells = [
      r.name.padEnd(width),
      String(r.count),
      `${r.failures}`,
      fmt(r.rps),
      fmt(r.min),
      fmt(r.mean),
      fmt(r.median),
      fmt(r.max),
      ...pct.map((k) => fmt(r.percentiles[k] ?? 0)),
    ];
    const text = cells.map((c, j) => (j === 0 ? c : c.padStart(8))).join(' ');
    return i === rows.length - 1 ? `${line}\n${text}` : text;
  });
  const failures = rows
    .slice(0, -1)
    .flatMap((r) =>
      Object.entries(r.failuresByKind).map(([k, f]) => `  ${r.name}: ${f.count} × ${k} (e.g. ${f.sample})`),
    );
  const precision = o.precision ? `\n(${o.precision})` : '';
  const listed = failures.length ? `\nfailures:\n${failures.join('\n')}` : '';
  const g = o.generator;
  const lag = g ? `; the generator's own event-loop delay: mean ${fmt(g.meanMs)}, p99 ${fmt(g.p99Ms)}` : '';
  const over = `latencies in ms over ${(o.measuredMs / 1000).toFixed(1)} s${lag}`;
  return `${head}\n${line}\n${body.join('\n')}\n${over}${precision}${listed}\n`;
}

export function decisionText(r: DecisionRecord): string {
  const lines = [`${r.dryRun ? '[dry run] ' : ''}${r.target}: ${r.message}`];
  if (r.applyFailed) lines.push(`apply failed: ${r.applyFailed}`);
  if (r.unreliable) lines.push(`note: ${r.unreliable}`);
  const rate = r.production?.rate;
  if (rate) {
    const value = rate.value === null ? `unmeasured (${rate.unmeasured})` : `${fmt(rate.value)} req/s`;
    lines.push(`production rate: ${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The live line while a load test runs (rewritten in place with \r). */
export function progressLine(p: {
  elapsedMs: number;
  users: number;
  requests: number;
  failures: number;
  meanMs: number;
}): string {
  const secs = p.elapsedMs / 1000;
  const rate = (p.requests / Math.max(secs, 0.001)).toFixed(0);
  const fields = [
    `${secs.toFixed(0).padStart(3)}s`,
    // Rewritten in place: a singular is padded to its plural's width, leaving no letter of a longer line behind.
    `${String(p.users).padStart(4)} ${word(p.users, 'user').padEnd(5)}`,
    `${String(p.requests).padStart(7)} ${word(p.requests, 'request').padEnd(8)}`,
    `${String(p.failures).padStart(5)} ${word(p.failures, 'failure').padEnd(8)}`,
    `${rate.padStart(6)} req/s`,
    `mean ${p.meanMs.toFixed(2)} ms `,
  ];
  return `\r  ${fields.join('  ')}`;
}

/** Per-request entries keyed by name, percentiles as top-level fields (p50, p90, p99.9 …). */
export function flatStats(o: Observations): Record<string, unknown> {
  const flat = (r: RequestStats) => {
    const { percentiles, failuresByKind, ...rest } = r;
    return { ...rest, ...percentiles, failuresByKind };
  };
  return {
    engine: o.engine,
    startedAt: o.startedAt,
    measuredMs: o.measuredMs,
    ...(o.precision ? { precision: o.precision } : {}),
    ...(o.generator ? { generator: o.generator } : {}),
    requests: Object.fromEntries(Object.entries(o.requests).map(([k, r]) => [k, flat(r)])),
    aggregated: flat(o.aggregated),
  };
}
