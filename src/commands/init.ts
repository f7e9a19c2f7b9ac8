// `latency-scaler init deployment/web -n shop` (or `init http://hooks/replicas`): a first scaler.yaml
// from what the service does today. It finds the Service that selects the workload and its port, sends
// a short, gentle baseline load test, and writes a commented scaler.yaml whose targets come from what
// it measured. It reads, it measures, it writes files: it never scales anything.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { isHttpTarget } from '../config/types.ts';
import { ConfigError } from '../errors.ts';
import { discoverWorkload, type Found } from '../target/discover.ts';
import { LocalEngine } from '../loadtest/local.ts';
import type { Observations } from '../model/observations.ts';
import type { CommandContext } from './context.ts';

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
}

export async function initCommand(o: InitOptions, ctx: CommandContext): Promise<string> {
  if (existsSync(o.out) && !o.force)
    throw new ConfigError([{ path: '--out', message: `${o.out} exists; pass --force to replace it` }]);
  const found = /^https?:\/\//.test(o.workload) ? webhook(o) : await discoverWorkload(o, ctx.env);
  const host = o.host ?? found.serviceUrl;
  refuseFarHost(host, found.serviceUrl);
  ctx.log.log('info', `measuring ${found.describe} at ${host}${o.path}: ${o.users} users for ${o.durationMs / 1000} s`);
  const observations = await baseline(host, o, ctx.signal);
  const yaml = scalerYaml(found, observations, o);
  await writeFile(o.out, yaml);
  if (o.overlay) await writeOverlay(o, yaml, found, ctx);
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

function webhook(o: InitOptions): Found {
  if (!o.host) {
    throw new ConfigError([
      { path: '--host', message: 'is required with a webhook target: the base URL of the service to measure' },
    ]);
  }
  return {
    target: `target: { kind: http, url: ${JSON.stringify(o.workload)} }`,
    describe: `http ${new URL(o.workload).origin}${new URL(o.workload).pathname}`,
    replicas: 1,
    serviceUrl: o.host,
    via: 'the webhook',
  };
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

/** A limit a person would write: the baseline × the factor, up to two significant digits. */
export function proposedLimit(baselineMs: number, factor: number): number {
  const raw = Math.max(1, baselineMs * factor);
  const scale = 10 ** Math.max(0, Math.floor(Math.log10(raw)) - 1);
  return Math.ceil(raw / scale) * scale;
}

function scalerYaml(found: Found, o: Observations, opts: InitOptions): string {
  const s = o.aggregated;
  const p95 = s.percentiles['p95'] ?? s.max;
  const limit = proposedLimit(p95, opts.factor);
  const max = Math.max(4, found.replicas * 4);
  return `# latency-scaler configuration written by \`latency-scaler init\` on ${new Date().toISOString().slice(0, 10)}
# for ${found.describe}, measured through ${found.via}.
# Baseline (${opts.users} users, ${opts.durationMs / 1000} s, 100 ms between requests): ${s.count} requests,
# mean ${round(s.mean)} ms, p95 ${round(p95)} ms, ${s.failures} failed.
# Check it with \`latency-scaler validate -c ${opts.out}\`, then try \`latency-scaler run -c ${opts.out} --dry-run\`.
${found.target}
replicas: { min: 1, max: ${max} } # the workload runs ${found.replicas} now; max is 4× that (at least 4)
loadTest:
  host: ${found.serviceUrl} # as the scaler reaches it from inside the cluster
  users: 10
  duration: 5s
  requests:
    - { method: GET, path: ${JSON.stringify(opts.path)} }
targets:
  # p95 at baseline (${round(p95)} ms) × ${opts.factor}, rounded up: room for load before it counts as a breach.
  - { method: GET, endpoint: ${JSON.stringify(opts.path)}, type: p95, target: ${limit} }
  # More than 1% failing is a breach too (fast errors look fast).
  - { method: GET, endpoint: ${JSON.stringify(opts.path)}, type: failureRatio, target: 0.01 }
${RECOMMENDED_POLICY}`;
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

/**
 * The CronJob of jobs/base for this one workload: its scaler.yaml as the config, the base's example Role,
 * RoleBinding, state ConfigMap and config left out, and RBAC generated for exactly this workload (as
 * `manifests` writes it), everything in the workload's namespace. `kubectl apply -k <dir>`.
 */
async function writeOverlay(o: InitOptions, yaml: string, found: Found, ctx: CommandContext): Promise<void> {
  const dir = o.overlay!;
  const { loadConfig } = await import('../config/load.ts');
  const { fleetManifests, renderManifests } = await import('./manifests.ts');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'scaler.yaml'), yaml);
  const config = await loadConfig({ configPath: join(dir, 'scaler.yaml'), env: ctx.env });
  const namespace = isHttpTarget(config.target) ? (o.namespace ?? 'default') : config.target.namespace;
  const options = { serviceAccount: 'latency-scaler', namespace };
  await writeFile(join(dir, 'rbac.yaml'), renderManifests(fleetManifests([{ source: o.out, config }], options)));
  const base = relative(resolve(dir), resolve(o.jobs)) || '.';
  const drop = (apiVersion: string, kind: string, name: string): string =>
    ['  - patch: |-', '      $patch: delete', `      apiVersion: ${apiVersion}`, `      kind: ${kind}`]
      .concat(`      metadata: { name: ${name} }`)
      .join('\n');
  await writeFile(
    join(dir, 'kustomization.yaml'),
    `# Written by \`latency-scaler init\` for ${found.describe}: kubectl apply -k ${dir}
# The CronJob of jobs/base, its config this scaler.yaml, its RBAC (rbac.yaml) narrowed to exactly this
# workload and its state ConfigMap — regenerate it with \`latency-scaler manifests -c ${join(dir, 'scaler.yaml')}
# --namespace ${namespace}\` after changing the target.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${namespace}
resources:
  - ${base}
  - rbac.yaml
configMapGenerator:
  - name: latency-scaler-config
    behavior: replace # the base's example config
    files: [scaler.yaml]
    options: { disableNameSuffixHash: true, labels: { app.kubernetes.io/name: latency-scaler } }
patches:
  # The base's example target (fibonacci): this overlay's RBAC replaces its Role and state ConfigMap.
${drop('rbac.authorization.k8s.io/v1', 'Role', 'latency-scaler')}
${drop('rbac.authorization.k8s.io/v1', 'RoleBinding', 'latency-scaler')}
${drop('v1', 'ConfigMap', 'latency-scaler-deployment-fibonacci')}
`,
  );
  ctx.log.log('info', `wrote the kustomize overlay ${dir} (kubectl apply -k ${dir})`);
}
