import { formatDuration } from '../config/duration.ts';
import { productionQueries } from '../config/signals.ts';
import { withUnit } from '../config/target-type.ts';
import { describeTarget, type LoadTestConfig, type ScalerConfig } from '../config/types.ts';
import type { FleetMember } from '../config/load.ts';
import { ConfigError, ExitCode, ScalerError } from '../errors.ts';
import { redactDeep, redactUrl } from '../report/redact.ts';
import { redactQuery } from '../signals/promql.ts';
import type { QueryCheck } from '../signals/types.ts';
import { printJson, type CommandContext } from './context.ts';
import { plural } from '../plural.ts';

/**
 * Prints what a run would do with this configuration; loading it already validated it. Each production
 * query is checked against its server when that answers: a syntax error is bad input (exit 2), found
 * before the schedule runs; a server that cannot be reached is said, and checks nothing.
 */
export async function validateCommand(config: ScalerConfig, ctx: CommandContext): Promise<void> {
  const checks = await checkQueries(config, ctx);
  const typos = checks.filter((c) => c.syntaxError !== undefined);
  if (typos.length > 0) {
    const issues = typos.map((c) => ({
      path: c.query.path,
      message: `${redactQuery(c.query.query)}: ${c.syntaxError}`,
    }));
    throw new ConfigError(issues, config.source);
  }
  // Headers, passwords and tokens in URLs are masked: `validate -o json` output ends up in tickets and CI logs.
  if (ctx.output === 'json') {
    const signals = checks.length > 0 ? { signals: checks.map(checkJson) } : {};
    return printJson(ctx, { valid: true, config: redactDeep(config), ...signals });
  }
  ctx.out(`${[...configLines(config), ...checks.map(checkLine)].join('\n')}\n`);
}

/**
 * Every document of a fleet, as `run` reads it: each valid one said, each invalid one named with its
 * error; the exit code is the worst (2 where any is invalid), and one member's error checks the others.
 */
export async function validateFleet(members: readonly FleetMember[], ctx: CommandContext): Promise<number> {
  let worst: number = ExitCode.ok;
  for (const member of members) {
    try {
      if (member.error) throw member.error;
      await validateCommand(member.config!, ctx);
    } catch (err) {
      if (!(err instanceof ScalerError)) throw err;
      worst = Math.max(worst, err.exitCode);
      if (ctx.output === 'json') printJson(ctx, { source: member.source, valid: false, error: err.message });
      else ctx.out(`${err.message}\n`);
    }
  }
  return worst;
}

async function checkQueries(config: ScalerConfig, ctx: CommandContext): Promise<QueryCheck[]> {
  const queries = productionQueries(config);
  const prometheus = config.signals.prometheus;
  if (queries.length === 0 || !prometheus) return [];
  const { createPrometheus } = await import('../signals/prometheus.ts');
  const source = createPrometheus(prometheus, config.api.timeout, ctx.env);
  try {
    return await source.check(queries, { signal: ctx.signal, until: ctx.deadline });
  } finally {
    await source.close();
  }
}

function checkJson(c: QueryCheck): Record<string, unknown> {
  const { query, ...rest } = c;
  return { name: query.name, path: query.path, query: redactQuery(query.query), ...rest };
}

function checkLine(c: QueryCheck): string {
  const name = `  query ${JSON.stringify(c.query.name)}:`;
  if (c.unreachable) return `${name} not checked: ${c.unreachable}`;
  const r = c.reading;
  if (!r || r.value === null) return `${name} syntax valid; unmeasured now: ${r?.unmeasured ?? 'not read'}`;
  return `${name} syntax valid; now ${r.value}${r.at ? ` (sampled ${r.at})` : ''}`;
}

function configLines(config: ScalerConfig): string[] {
  const state =
    config.state.store === 'file'
      ? `file ${config.state.path}`
      : config.state.store === 'dynamodb'
        ? `dynamodb table ${config.state.table}`
        : `configmap ${config.state.name ?? '(derived from the target)'}`;
  const { scaleUp, decay, model } = config;
  const modelled = `the model (headroom ${model.headroom}, concurrency ${model.concurrency})`;
  const up =
    scaleUp.mode === 'step'
      ? `+${scaleUp.step}`
      : scaleUp.mode === 'model'
        ? modelled
        : `proportional, max +${scaleUp.maxStep}`;
  const guard = decay.maxLoad !== undefined ? `, not above load ${decay.maxLoad}` : '';
  const predicts = `down to what ${scaleUp.mode === 'model' ? 'the model' : modelled} predicts safe`;
  const down =
    decay.mode === 'model'
      ? `${predicts}, after ${plural(decay.unchangedRuns, 'calm run')}`
      : `-${decay.replicas} after ${plural(decay.unchangedRuns, 'calm run')}${guard}`;
  const from = 'namespaceFrom' in config.target && config.target.namespaceFrom;
  const namespace = from ? ` (namespace from ${from})` : '';
  const prometheus = config.signals.prometheus;
  const lt = config.loadTest;
  return [
    `configuration ${config.source} is valid`,
    `target:    ${describeTarget(config.target)}${namespace}, replicas ${config.replicas.min}..${config.replicas.max}`,
    ...(lt ? loadTestLines(lt) : ['load test: none (every target is a production query): no synthetic load is sent']),
    ...config.targets.map((t) => {
      const op = t.type.kind === 'rps' ? '≥' : '≤';
      const tolerance = t.tolerance ? ` (tolerance ${t.tolerance * 100}%)` : '';
      const limit = withUnit(t.target, t.type);
      if (t.query !== undefined) return `  target:  ${t.request} ${op} ${limit}${tolerance}, from Prometheus`;
      return `  target:  ${t.request} ${t.label} ${op} ${limit}${tolerance}`;
    }),
    ...(config.signals.rate ? [`  load:    the production request rate, from Prometheus`] : []),
    `scale up: ${up}; decay: ${down}`,
    `state:     ${state}`,
    ...(config.metrics.pushgateway ? [`metrics:   pushed to ${redactUrl(config.metrics.pushgateway)}`] : []),
    ...(prometheus
      ? [`signals:   Prometheus at ${serverOf(prometheus.url)}, maxAge ${formatDuration(prometheus.maxAge)}`]
      : []),
  ];
}

/** A server's base URL for the operator: credentials masked, no trailing slash. */
function serverOf(url: string): string {
  return redactUrl(url).replace(/\/+$/, '');
}

function loadTestLines(lt: LoadTestConfig): string[] {
  const wait =
    lt.waitTime.min === lt.waitTime.max
      ? formatDuration(lt.waitTime.min)
      : `${formatDuration(lt.waitTime.min)}–${formatDuration(lt.waitTime.max)}`;
  const users = plural(lt.users, 'user');
  return [
    `load test: ${lt.engine} engine, ${users} at ${lt.spawnRate}/s for ${formatDuration(lt.duration)}` +
      ` against ${redactUrl(lt.host)} (think time ${wait}, timeout ${formatDuration(lt.timeout)})`,
    ...lt.requests.map((r) => `  request ${JSON.stringify(r.name)}: ${r.method} ${r.path} weight ${r.weight}`),
  ];
}
