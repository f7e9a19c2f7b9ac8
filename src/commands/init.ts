// `latency-scaler init deployment/web -n shop` (or `init http://hooks/replicas`): a first scaler.yaml
// from what the service does today. It finds the Service that selects the workload and its port (or
// reads the webhook's replicas), sends a short, gentle baseline load test, and writes a commented
// scaler.yaml whose targets come from what it measured — only from a baseline the service answered. It
// reads, it measures, it writes files: it never scales anything.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as v from 'valibot';
import { contextNamespace, parseSet } from '../config/load.ts';
import { ConfigSchema } from '../config/schema.ts';
import type { HttpTargetRef } from '../config/types.ts';
import { ConfigError, InvalidArgumentError, ProbeError, type FieldIssue } from '../errors.ts';
import { LocalEngine } from '../loadtest/local.ts';
import type { Observations } from '../model/observations.ts';
import { configMapName, targetKey } from '../model/target-key.ts';
import { discoverWorkload, type Found } from '../target/discover.ts';
import { HttpScaleTarget } from '../target/http.ts';
import type { CommandContext } from './context.ts';
import { refuseOverlayFiles, writeOverlay } from './init-overlay.ts';
import {
  productionTargetYaml,
  prometheusOf,
  proposeFrom,
  signalsSaid,
  signalsYaml,
  type ProposedSignals,
} from './init-signals.ts';
import { plural } from '../plural.ts';

export interface InitOptions {
  workload: string; // `deployment/web`, `statefulset/db`, or a webhook URL
  namespace?: string | undefined;
  /** Where to measure from here, when the Service's cluster address is not reachable (a port-forward). */
  host?: string | undefined;
  path: string;
  users: number;
  durationMs: number;
  /** The proposed latency target: the baseline p95 × this. */
  factor: number;
  out: string;
  force: boolean;
  /** Also write a kustomize overlay of the CronJob (jobs/base) into this directory, the RBAC narrowed. */
  overlay?: string | undefined;
  /** Where jobs/base is, for the overlay's `resources`. */
  jobs: string;
  /** `--set api.timeout=2s`, `api.retryFor`: the limits of the calls init makes, as a run's. */
  set?: string[] | undefined;
  /** A Prometheus to propose production signals from (the workload's request rate and p95). */
  prometheus?: string | undefined;
  /** The matchers of the workload's series there (`job="shop"`); a Kubernetes workload has a default. */
  prometheusSelector?: string | undefined;
}

/** What the baseline may fail: the failureRatio target the file carries. Above it, the file breaches at once. */
const FAILURES_ALLOWED = 0.01;

export async function initCommand(o: InitOptions, ctx: CommandContext): Promise<string> {
  // Every refusal of the input comes before any call or load: exit 2, nothing sent, nothing written.
  const issues: FieldIssue[] = [];
  if (existsSync(o.out) && !o.force)
    issues.push({ path: '--out', message: `${o.out} exists; pass --force to replace it` });
  if (o.overlay) issues.push(...refuseOverlayFiles(o));
  const api = apiLimits(o.set ?? [], issues);
  const prometheus = o.prometheus === undefined ? undefined : prometheusOf(o, issues);
  if (issues.length > 0) throw new InvalidArgumentError(issues);
  const limits = { signal: ctx.signal, limits: { callTimeoutMs: api.timeout, deadlineMs: api.retryFor } };
  const found = /^https?:\/\//.test(o.workload)
    ? await webhook(o, api.timeout, ctx)
    : await discoverWorkload(o, ctx.env, limits);
  const host = o.host ?? found.serviceUrl;
  refuseFarHost(host, found.serviceUrl);
  // Before any load: a Prometheus that cannot be asked costs the service nothing.
  const signals = prometheus ? await proposeFrom(prometheus, found, api.timeout, ctx) : undefined;
  if (signals) ctx.log.log(signals.proposal ? 'info' : 'warn', signalsSaid(signals));
  ctx.log.log(
    'info',
    `measuring ${found.describe} at ${host}${o.path}: ${plural(o.users, 'user')} for ${o.durationMs / 1000} s`,
  );
  const observations = await baseline(host, o, ctx.signal);
  refuseFailedBaseline(observations, host, found, o);
  const yaml = scalerYaml(found, observations, o, signals);
  await writeFile(o.out, yaml);
  // In a cluster a webhook's record needs a store that outlives the pod (its files are read-only and go with it).
  if (o.overlay)
    await writeOverlay(o, found.webhook ? scalerYaml(found, observations, o, signals, 'cluster') : yaml, found, ctx);
  const stats = observations.aggregated;
  const said =
    `wrote ${o.out} for ${found.describe} (${found.via}): baseline mean ${round(stats.mean)} ms, ` +
    `p95 ${round(stats.percentiles['p95'] ?? stats.max)} ms, ${stats.failures} of ${stats.count} failed`;
  ctx.out(
    ctx.output === 'json'
      ? `${JSON.stringify({ file: o.out, target: found.describe, via: found.via, baseline: stats })}\n`
      : `${said}\n`,
  );
  return yaml;
}

/** `--set api.*` as a run reads it (the same schema and defaults); any other setting is not init's. */
function apiLimits(set: string[], issues: FieldIssue[]): { timeout: number; retryFor: number } {
  const raw: Record<string, unknown> = {};
  for (const text of set) {
    const [path, value] = parseSet(text);
    if (path === 'api.timeout' || path === 'api.retryFor') raw[path.slice(4)] = value;
    else
      issues.push({ path: '--set', message: `${JSON.stringify(path)}: init takes only api.timeout and api.retryFor` });
  }
  const parsed = v.safeParse(ConfigSchema.entries.api, raw);
  for (const issue of parsed.issues ?? []) {
    const key = (issue.path?.[0] as { key?: unknown } | undefined)?.key;
    issues.push({ path: `--set api.${String(key)}`, message: issue.message });
  }
  return parsed.success ? parsed.output : { timeout: 10_000, retryFor: 30_000 };
}

/** A webhook target: its replicas read as a run reads them (GET, within api.timeout), never assumed. */
async function webhook(o: InitOptions, timeoutMs: number, ctx: CommandContext): Promise<Found> {
  const issues: FieldIssue[] = [];
  if (!o.host)
    issues.push({
      path: '--host',
      message: 'is required with a webhook target: the base URL of the service to measure',
    });
  if (!URL.canParse(o.workload)) issues.push({ path: 'workload', message: `${JSON.stringify(o.workload)} is no URL` });
  if (issues.length > 0) throw new InvalidArgumentError(issues);
  const ref: HttpTargetRef = { kind: 'http', url: o.workload, headers: {} };
  const { replicas } = await new HttpScaleTarget(ref, timeoutMs).read(ctx.signal);
  const url = new URL(o.workload);
  const namespace = o.namespace ?? contextNamespace(ctx.env)?.namespace ?? 'default';
  return {
    target: `target: { kind: http, url: ${JSON.stringify(o.workload)} }`,
    describe: `http ${url.origin}${url.pathname}`,
    replicas,
    serviceUrl: o.host!,
    via: 'the webhook',
    webhook: { configMap: webhookConfigMap(ref), namespace },
  };
}

/** `latency-scaler-http-hooks-8080-replicas-1a2b3c4d`: the target key, as an object name (lowercase, ≤ 253). */
function webhookConfigMap(ref: HttpTargetRef): string {
  const name = `latency-scaler-${targetKey(ref).toLowerCase()}`.replace(/[^a-z0-9.-]+/g, '-');
  return name.slice(0, 253).replace(/[-.]+$/, '');
}

/** Gentle, and only where the scaler itself would send load: loopback (a port-forward) or the Service. */
function refuseFarHost(host: string, serviceUrl: string): void {
  const name = new URL(host).hostname.replace(/^\[|\]$/g, '');
  const loopback = name === 'localhost' || name === '::1' || /^127\./.test(name);
  if (loopback || host === serviceUrl || /\.svc(\.cluster\.local)?$/.test(name)) return;
  const message = `${JSON.stringify(host)} is neither loopback (a port-forward) nor the Service's cluster address`;
  throw new ConfigError([{ path: '--host', message }]);
}

async function baseline(host: string, o: InitOptions, signal: AbortSignal): Promise<Observations> {
  const engine = new LocalEngine();
  return engine.run(
    {
      engine: 'local',
      host,
      users: o.users,
      spawnRate: o.users,
      duration: o.durationMs,
      warmup: 0,
      waitTime: { min: 100, max: 100 }, // a gentle pace: a baseline, not a stress test
      timeout: 5_000,
      headers: {},
      requests: [{ name: `GET ${o.path}`, method: 'GET', path: o.path, weight: 1, headers: {} }],
      percentiles: [50, 95, 99],
    },
    signal,
  );
}

/**
 * Targets come only from a baseline the service answered: failures' times are no latency of the service
 * (95 DNS failures in 4 ms each made a "p95 4 ms" target). Above FAILURES_ALLOWED: exit 1, the cause in
 * words and the way on, nothing written.
 */
function refuseFailedBaseline(o: Observations, host: string, found: Found, opts: InitOptions): void {
  const s = o.aggregated;
  if (s.count > 0 && s.failures / s.count <= FAILURES_ALLOWED) return;
  const url = `${host}${opts.path}`;
  const kinds = Object.entries(s.failuresByKind).sort(([, a], [, b]) => b.count - a.count);
  const sample = kinds[0]?.[1].sample;
  const counted = kinds.map(([kind, f]) => `${kind} ×${f.count}`).join(', ');
  const failed =
    s.count === 0
      ? `no request to ${url} completed`
      : `${s.failures} of ${s.count} requests to ${url} failed (${counted}${sample ? `; ${sample}` : ''})`;
  const unreachable = s.count === 0 || (s.unreachable ?? 0) * 2 > s.failures;
  const svc = found.service;
  const local = svc && svc.port >= 1024 ? svc.port : 8080;
  const forward = svc && `kubectl port-forward svc/${svc.name} ${local}:${svc.port} -n ${svc.namespace}`;
  let fix: string;
  if (unreachable && forward && host === found.serviceUrl)
    fix =
      `${host} is the Service's cluster address: it resolves and answers only inside the cluster. From here, ` +
      `forward a port and measure through it: ${forward} & then the same init with --host http://127.0.0.1:${local}`;
  else if (unreachable)
    fix = `nothing answers at ${host}${forward ? `: is the port-forward running? (${forward})` : ''}`;
  else
    fix =
      'the service answered, with errors: a target is written only from a baseline it serves (at most ' +
      `${FAILURES_ALLOWED * 100}% failing, the file's failureRatio target); ` +
      `check --path (${opts.path}) and the service`;
  throw new ProbeError(`init measured no baseline: ${failed}. ${fix}. Nothing was written.`);
}

/** A limit a person would write: the baseline × the factor, up to two significant digits. */
export function proposedLimit(baselineMs: number, factor: number): number {
  const raw = Math.max(1, baselineMs * factor);
  const scale = 10 ** Math.max(0, Math.floor(Math.log10(raw)) - 1);
  return Math.ceil(raw / scale) * scale;
}

/** The file: `where` is where it will run — by hand (the default), or the overlay's CronJob (`cluster`). */
function scalerYaml(
  found: Found,
  o: Observations,
  opts: InitOptions,
  signals: ProposedSignals | undefined,
  where: 'here' | 'cluster' = 'here',
): string {
  const s = o.aggregated;
  const p95 = s.percentiles['p95'] ?? s.max;
  const limit = proposedLimit(p95, opts.factor);
  const max = Math.max(4, found.replicas * 4);
  const forwarded = opts.host !== undefined && opts.host !== found.serviceUrl;
  const tryIt = forwarded
    ? `then, from here, a dry run through the same port-forward (loadTest.host is the Service's cluster address,\n` +
      `# reached only inside the cluster): \`latency-scaler run -c ${opts.out} --dry-run --host ${opts.host}\`.`
    : `then try \`latency-scaler run -c ${opts.out} --dry-run\`.`;
  const users = plural(opts.users, 'user');
  const production = signals
    ? productionTargetYaml(signals, limit, opts.factor, (ms) => proposedLimit(ms, opts.factor)) + signalsYaml(signals)
    : '';
  return `# latency-scaler configuration written by \`latency-scaler init\` on ${new Date().toISOString().slice(0, 10)}
# for ${found.describe}, measured through ${found.via}.
# Baseline (${users}, ${opts.durationMs / 1000} s, 100 ms between requests): ${plural(s.count, 'request')},
# mean ${round(s.mean)} ms, p95 ${round(p95)} ms, ${s.failures} failed.
# Check it with \`latency-scaler validate -c ${opts.out}\`, ${tryIt}
${found.target}
replicas: { min: 1, max: ${max} } # the workload runs ${found.replicas} now; max is 4× that (at least 4)
loadTest:
  host: ${found.serviceUrl} # ${found.webhook ? 'where init measured it' : 'as the scaler reaches it in the cluster'}
  users: 10
  duration: 5s
  requests:
    - { method: GET, path: ${JSON.stringify(opts.path)} }
targets:
  # p95 at baseline (${round(p95)} ms) × ${opts.factor}, rounded up: room for load before it counts as a breach.
  - { method: GET, endpoint: ${JSON.stringify(opts.path)}, type: p95, target: ${limit} }
  # More than 1% failing is a breach too (fast errors look fast).
  - { method: GET, endpoint: ${JSON.stringify(opts.path)}, type: failureRatio, target: 0.01 }
${production}${stateYaml(found, where)}
${RECOMMENDED_POLICY}`;
}

/** Where the record lives: one record per target, whoever runs it (the CronJob, a person from a laptop). */
function stateYaml(found: Found, where: 'here' | 'cluster'): string {
  if (found.workload) {
    const configMap = `${found.workload.namespace}/${configMapName(found.workload)}`;
    return (
      `# The record (calm runs, history) in the ConfigMap ${configMap} beside the workload, wherever the\n` +
      '# scaler runs: the CronJob and a run by hand read the same one (RBAC: latency-scaler manifests).\n' +
      'state: { store: configmap }'
    );
  }
  if (where === 'here' || !found.webhook)
    return '# The record: a file in ./.latency-scaler/ where it runs by hand (the overlay keeps it in a ConfigMap).';
  const { configMap, namespace } = found.webhook;
  return (
    '# In a cluster the record needs a store that outlives the pod (its files are read-only and go with it).\n' +
    `state: { store: configmap, name: ${configMap}, namespace: ${namespace} }`
  );
}

/** examples/recommended-policy.yaml in short (a test keeps the two equal): the bundle carries no files. */
export const RECOMMENDED_POLICY = [
  '# The recommended policy (examples/recommended-policy.yaml): the model sizes to 85% of the targets.',
  'scaleUp: { mode: model }',
  'decay: { mode: model, unchangedRuns: 3 }',
  'model: { headroom: 0.85, concurrency: 1 } # concurrency: requests one replica serves at once (its workers)',
  'stabilization: { downscaleWindow: 0s } # the model steps down only as far as the latency proves safe',
  'settle: { timeout: 5m }',
  '',
].join('\n');

const round = (n: number): number => (n >= 100 ? Math.round(n) : Math.round(n * 100) / 100);
