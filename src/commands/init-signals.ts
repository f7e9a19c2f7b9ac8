// `init --prometheus URL`: the production signals a first scaler.yaml proposes (README "Production
// signals"). It lists the metric names the workload's series carry, picks the usual HTTP instrumentation
// (signals/propose.ts), reads each proposed query once, and writes the load signal and a production p95
// target from what it read. It asks Prometheus before any load, and a server that cannot be asked ends
// init with nothing written: the file it was asked for would be missing what the person asked for.
import * as v from 'valibot';
import { ConfigSchema } from '../config/schema.ts';
import type { ProductionQuery } from '../config/signals.ts';
import { messageOf, ScalerError, type FieldIssue } from '../errors.ts';
import type { ProductionReading } from '../model/observations.ts';
import { proposeSignals, selectorMatchers, workloadMatchers, type SignalsProposal } from '../signals/propose.ts';
import type { Found } from '../target/discover.ts';
import type { CommandContext } from './context.ts';

/** Prometheus could not be asked what `init --prometheus` needed: exit 1, nothing sent, nothing written. */
export class SignalsError extends ScalerError {
  override readonly code = 'SIGNALS_FAILED';
}

/** What init learned there, for the file and its comments. */
export interface ProposedSignals {
  url: string;
  matchers: string;
  where: string; // `Prometheus at http://prometheus:9090`
  names: number; // metric names the selector's series carry
  proposal: SignalsProposal | undefined;
  /** Each proposed query's value now: req/s, and the p95 in ms (null where unmeasured, with why). */
  rate?: ProductionReading;
  p95?: ProductionReading;
}

/** The production target's name in the file (and the records, and Events). */
export const PRODUCTION_P95 = 'p95-prod';

/** `--prometheus` and `--prometheus-selector`, checked before any call; problems join the caller's list. */
export function prometheusOf(
  o: { workload: string; prometheus?: string | undefined; prometheusSelector?: string | undefined },
  issues: FieldIssue[],
): { url: string; matchers: string | undefined } | undefined {
  const parsed = v.safeParse(ConfigSchema.entries.signals, { prometheus: { url: o.prometheus } });
  const before = issues.length;
  for (const issue of parsed.issues ?? []) issues.push({ path: '--prometheus', message: issue.message });
  if (parsed.success && new URL(o.prometheus!).username !== '')
    issues.push({
      path: '--prometheus',
      message: 'carries credentials, which the file would keep: set signals.prometheus.auth in it after init',
    });
  const matchers = o.prometheusSelector === undefined ? undefined : selectorMatchers(o.prometheusSelector);
  if (o.prometheusSelector !== undefined && matchers === undefined)
    issues.push({ path: '--prometheus-selector', message: `${JSON.stringify(o.prometheusSelector)} has no matcher` });
  if (o.prometheusSelector === undefined && /^https?:\/\//.test(o.workload))
    issues.push({
      path: '--prometheus-selector',
      message: 'is required with a webhook target: the matchers of its series, e.g. job="shop"',
    });
  return issues.length > before ? undefined : { url: o.prometheus!, matchers };
}

/** Asks Prometheus: the metric names of the workload's series, then each proposed query once. */
export async function proposeFrom(
  p: { url: string; matchers: string | undefined },
  found: Found,
  timeoutMs: number,
  ctx: CommandContext,
): Promise<ProposedSignals> {
  const matchers = p.matchers ?? workloadMatchers(found.workload!); // prometheusOf: a webhook names its own
  const { createPrometheus } = await import('../signals/prometheus.ts');
  const config = { url: p.url, headers: {}, maxAge: 120_000 };
  const source = createPrometheus(config, timeoutMs, ctx.env);
  const where = source.describe();
  const bounds = { signal: ctx.signal };
  try {
    const names = await source.metricNames(matchers, bounds).catch((err: unknown) => {
      ctx.signal.throwIfAborted();
      if (err instanceof ScalerError) throw err; // a selector the server refused: bad input
      const message = `${where}: listing the metric names of the series {${matchers}} failed: ${messageOf(err)}`;
      throw new SignalsError(`init --prometheus: ${message}. Nothing was sent to the service, nothing written.`);
    });
    const proposal = proposeSignals(names, matchers);
    const out: ProposedSignals = { url: p.url, matchers, where, names: names.length, proposal };
    if (!proposal) return out;
    const queries: ProductionQuery[] = [
      { kind: 'rate', name: 'rate', query: proposal.rate.query, path: 'signals.rate.query' },
      ...(proposal.latency
        ? [{ kind: 'target' as const, name: PRODUCTION_P95, query: proposal.latency.query, path: 'targets[2].query' }]
        : []),
    ];
    const read = await source.read(queries, bounds);
    return { ...out, ...(read.rate ? { rate: read.rate } : {}), p95: read.targets[PRODUCTION_P95] };
  } finally {
    await source.close();
  }
}

/** What init says of them on stderr: what it proposes, or why the file reads no production signal. */
export function signalsSaid(s: ProposedSignals): string {
  if (!s.proposal) {
    const none =
      s.names === 0
        ? `no series match {${s.matchers}} (is --prometheus-selector right?)`
        : `none of the ${s.names} metric names of {${s.matchers}} is a request counter or a duration histogram`;
    return `${s.where}: ${none}: the file reads no production signal`;
  }
  const latency = s.proposal.latency ? ` and the p95 of ${s.proposal.latency.metric}` : ' (no duration histogram)';
  return `${s.where}: proposing the rate of ${s.proposal.rate.metric}${latency} for {${s.matchers}}`;
}

/** A YAML single-quoted scalar: PromQL's double quotes and braces as they are. */
const quoted = (text: string): string => `'${text.replace(/'/g, "''")}'`;

const valueOf = (r: ProductionReading | undefined, unit: string): string =>
  r?.value === null || r?.value === undefined
    ? `unmeasured now${r?.unmeasured ? `: ${r.unmeasured}` : ''}`
    : `now ${Math.round(r.value * 100) / 100}${unit}`;

/**
 * The production p95 target, under the probe's in `targets:`: the p95 now × the factor (as the probe's
 * is from its baseline), or the probe's limit where there is no production traffic to read now.
 */
export function productionTargetYaml(
  s: ProposedSignals,
  probeLimit: number,
  factor: number,
  limitOf: (ms: number) => number,
): string {
  const latency = s.proposal?.latency;
  if (!latency) return '';
  const p95 = s.p95?.value;
  const measured = p95 !== null && p95 !== undefined && p95 > 0;
  const target = measured ? limitOf(p95) : probeLimit;
  const why = measured
    ? `the production p95 (${valueOf(s.p95, ' ms')}) × ${factor}, rounded up`
    : `the probe's limit: the production p95 is ${valueOf(s.p95, '')}`;
  return (
    `  # Production: ${why}. Judged like the probe's; any target breached scales up.\n` +
    `  - name: ${PRODUCTION_P95}\n` +
    `    query: ${quoted(latency.query)}\n` +
    `    target: ${target}\n`
  );
}

/** `signals:`: the server and the load signal the model sizes from (up before the latency rises). */
export function signalsYaml(s: ProposedSignals): string {
  if (!s.proposal) return '';
  const host = new URL(s.url).hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  const forwarded = loopback
    ? '# The URL is the one init reached (a port-forward): in the cluster, set its Service address there.\n'
    : '';
  return (
    `# Production signals from ${s.where}, for the series {${s.matchers}} (init --prometheus).\n` +
    forwarded +
    `# The load signal: the request rate (${valueOf(s.rate, ' req/s')}); the model learns its scale where the\n` +
    '# probe shows a queue, then sizes from it. Credentials, headers, a CA: see README "Production signals".\n' +
    'signals:\n' +
    `  prometheus: { url: ${JSON.stringify(s.url)} }\n` +
    `  rate: { query: ${quoted(s.proposal.rate.query)} }\n`
  );
}
