// Closed-loop benchmark on the REAL bundle: each run is `node dist/scale.js run` (its built-in load
// engine, the http webhook target, the file state store) against a real loopback service whose
// replicas of 2 request slots serve exponential 10 ms requests from one FIFO queue and fail past
// saturation (503 after 1 s queued). Production traffic (seeded Poisson, in-process) is what the table
// reports; the scaler sees only its small probe (2 users with a 50 ms think time, so that it adds
// ~30 req/s, not a closed loop holding 2 slots). One run stands for a minute, back to back: a backlog
// built in overload drains during the next runs, where a real minute would mostly hide it (--gap).
// Policies are YAML fragments (real/policies/*.yaml): their keys follow the generated target, bounds,
// probe and state; `targets` in a fragment replace the default (mean of GET /work ≤ 25 ms); settle.timeout
// and stabilization.downscaleWindow are compressed as the minute is. Stops by itself, bounded, leaves
// no process (the bundle is killed on a time limit or Ctrl-C).
// The row `model + rate` is the recommended policy with a load signal: a real Prometheus (the test
// harness's, test/prepare.sh builds it) scraping the service's request counter every second, and
// `signals.rate` reading its rate over the last 5 s.
//   npm run build && node_modules/.bin/node test/bench/real-loop.ts [--quick] [--policies a,b] [--profiles step]
//   … --policy NAME=FILE   (another row from a policy fragment)
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { oracleReplicas, PROFILES, QUICK_PROFILES, reversals, type RealProfile } from './real/model.ts';
import { parseDuration, readPolicy, type PolicyFragment } from '../../examples/demo/policy.ts';
import { BUNDLE, runScaler, scalerYaml, type ScalerRun } from './real/scaler.ts';
import { startRealService, type WindowStats } from './real/service.ts';
import { startPrometheus, type PrometheusServer } from '../harness/prometheus.ts';

const TARGET_MS = 25;
const SLOTS = 2;
const SERVICE_MS = 10;
const QUEUE_TIMEOUT_MS = 1000;
const MAX_REPLICAS = 20;
const policyFile = (f: string): string => fileURLToPath(new URL(`./real/policies/${f}`, import.meta.url));
/** The rows of the table: a name and its policy fragment. Add one (e.g. model) here or with --policy. */
const POLICY_FILES: Record<string, string> = {
  'LPA default': policyFile('lpa-default.yaml'),
  'LPA tuned': policyFile('lpa-tuned.yaml'),
  model: fileURLToPath(new URL('../../examples/recommended-policy.yaml', import.meta.url)),
};
/** The HPA on CPU at 60% (what KEDA/HPA users run): from production's busy slots, not the bundle. */
const HPA = 'HPA on CPU (60%)';
/** The recommended policy with a production request rate from a real Prometheus (DESIGN §9). */
const WITH_RATE = 'model + rate';
const RATE_QUERY = 'sum(rate(requests_total[5s]))';

const { values: args } = parseArgs({
  options: {
    policies: { type: 'string', default: `LPA default,LPA tuned,model,${WITH_RATE},${HPA}` },
    policy: { type: 'string', multiple: true, default: [] }, // NAME=FILE, e.g. model=examples/recommended-policy.yaml
    profiles: { type: 'string', default: 'step' }, // ids, or all
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    users: { type: 'string', default: '2' },
    duration: { type: 'string' }, // default 3s, --quick 2s
    wait: { type: 'string', default: '50ms' },
    timeout: { type: 'string', default: '2s' },
    gap: { type: 'string', default: '0s' }, // production alone at the start of each run, before the probe
    'time-limit': { type: 'string' }, // seconds, the whole benchmark
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`node test/bench/real-loop.ts [options]   (build first: npm run build)
  --policies A,B      rows, by name (default "LPA default,LPA tuned,model,${WITH_RATE},${HPA}";
                      known: ${Object.keys(POLICY_FILES).join(', ')}, ${WITH_RATE}, ${HPA})
  --policy NAME=FILE  add a row from a policy fragment (also selected), e.g. model=examples/recommended-policy.yaml
  --profiles A,B      ${PROFILES.map((p) => `${p.id} (${p.name})`).join(', ')}, or all (default step)
  --quick             12 runs, step at run 3, 2 s probes
  --seed N            arrivals and service times (default 1)
  --users N --duration D --wait D --timeout D   the probe (default 2 users, 3s, 50ms think time, 2s)
  --gap D             production alone at the start of each run, new replicas ready, before the probe
                      (default 0s: back to back; a real minute leaves ~55 s between an apply and the next probe)
  --time-limit S      hard limit of the whole benchmark in seconds (default: from the runs)
  --quiet             no per-run lines on stderr`);
} else {
  await main().catch((e: unknown) => {
    console.error(`real-loop: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  });
}

interface Outcome {
  policy: string;
  profile: string;
  recovery: string;
  breachRuns: number;
  costRatio: number;
  peakRatio: number;
  reversals: number;
  removedWhileFailing: number;
  seconds: number;
  scalerErrors: number;
  overruns: number;
  serviceMeanMs: number;
}

async function main(): Promise<void> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: npm run build first`);
  for (const entry of args.policy) {
    const at = entry.indexOf('=');
    if (at < 1) throw new Error(`--policy ${entry}: expected NAME=FILE`);
    POLICY_FILES[entry.slice(0, at)] = entry.slice(at + 1);
  }
  const names = [
    ...new Set([...args.policies.split(',').map((s) => s.trim()), ...args.policy.map((e) => e.split('=')[0]!)]),
  ].filter(Boolean);
  const policies = names.map((n) => {
    if (n === HPA) return { name: HPA, file: '-', keys: {} };
    if (n === WITH_RATE) return { ...readPolicy(WITH_RATE, POLICY_FILES['model']!), rate: true };
    const file = POLICY_FILES[n];
    if (!file)
      throw new Error(`no policy "${n}" (known: ${Object.keys(POLICY_FILES).join(', ')}; or --policy NAME=FILE)`);
    return readPolicy(n, file);
  });
  const all = args.quick ? QUICK_PROFILES : PROFILES;
  const ids = args.profiles === 'all' ? all.map((p) => p.id) : args.profiles.split(',').map((s) => s.trim());
  const profiles = ids.map((id) => {
    const p = all.find((q) => q.id === id);
    if (!p) throw new Error(`no profile "${id}" (known: ${all.map((q) => q.id).join(', ')}, all)`);
    return p;
  });
  const duration = args.duration ?? (args.quick ? '2s' : '3s');
  // A run: the gap, then the probe, the bundle's start-up and apply (1 s).
  const gapMs = parseDuration(args.gap);
  const runSeconds = Math.ceil(parseDuration(duration) / 1000) + 1 + gapMs / 1000;
  const totalRuns = policies.length * profiles.reduce((n, p) => n + p.runs, 0);
  const limitS = Number(args['time-limit'] ?? totalRuns * (runSeconds + 10) + 60);

  const controller = new AbortController();
  const limit = setTimeout(() => controller.abort(new Error(`the time limit (${limitS} s) passed`)), limitS * 1000);
  const onSignal = (sig: NodeJS.Signals): void => {
    process.exitCode = sig === 'SIGINT' ? 130 : 143;
    controller.abort(new Error(sig));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const seed = Number(args.seed);
  const probe = { users: Number(args.users), duration, waitTime: args.wait, timeout: args.timeout };
  const log = (line: string): void => {
    if (!args.quiet) process.stderr.write(`${line}\n`);
  };
  const started = performance.now();
  const outcomes: Outcome[] = [];
  try {
    for (const profile of profiles)
      for (const policy of policies) {
        if (controller.signal.aborted) break;
        log(`\n${policy.name} · ${profile.name}`);
        outcomes.push(
          await runLoop(profile, policy, { seed, probe, runSeconds, gapMs, signal: controller.signal, log }),
        );
      }
  } finally {
    clearTimeout(limit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const wall = (performance.now() - started) / 1000;
  printTable(outcomes, { seed, probe, runSeconds, gap: args.gap, wall });
  if (controller.signal.aborted) {
    console.log(`\nstopped early: ${(controller.signal.reason as Error).message}`);
    process.exitCode ||= 1;
  }
}

interface LoopOptions {
  seed: number;
  probe: { users: number; duration: string; waitTime: string; timeout: string };
  runSeconds: number;
  gapMs: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

async function runLoop(
  profile: RealProfile,
  policy: PolicyFragment & { rate?: boolean },
  o: LoopOptions,
): Promise<Outcome> {
  const oracle = (run: number): number => oracleReplicas(profile.load(run), SLOTS, SERVICE_MS, TARGET_MS);
  const dir = mkdtempSync(join(tmpdir(), 'latency-scaler-real-loop-'));
  const service = await startRealService({
    replicas: oracle(0),
    slots: SLOTS,
    serviceMs: SERVICE_MS,
    queueTimeoutMs: QUEUE_TIMEOUT_MS,
    readyAfter: profile.readyAfter,
    seed: o.seed,
  });
  const started = performance.now();
  const series: number[] = [];
  const windows: WindowStats[] = [];
  let oracleCost = 0;
  let oraclePeak = 0;
  let peak = service.spec();
  let removedWhileFailing = 0;
  let scalerErrors = 0;
  let overruns = 0;
  let lastWindow: WindowStats | undefined;
  const hpa = hpaOnCpu(0.6);
  let prometheus: PrometheusServer | undefined;
  try {
    let keys = policy.keys;
    if (policy.rate) {
      prometheus = await startPrometheus({ scrape: [new URL(service.url).host] });
      // Two scrapes at least, so the first run's rate is measured.
      await prometheus.waitFor(RATE_QUERY, (a) => (a.data?.result.length ?? 0) === 1, 30_000);
      keys = { ...keys, signals: { prometheus: { url: prometheus.url }, rate: { query: RATE_QUERY } } };
    }
    const config = join(dir, 'scaler.yaml');
    writeFileSync(
      config,
      scalerYaml(
        {
          scaleUrl: service.scaleUrl,
          serviceUrl: service.url,
          statePath: join(dir, 'state.json'),
          maxReplicas: MAX_REPLICAS,
          targetMs: TARGET_MS,
          runSeconds: o.runSeconds,
          ...o.probe,
        },
        { ...policy, keys },
      ),
    );
    const limitMs = parseDuration(o.probe.duration) + 30_000;
    for (let run = 0; run < profile.runs && !o.signal.aborted; run++) {
      const runStarted = performance.now();
      const lambda = profile.load(run);
      service.startRun(run, lambda);
      const before = service.spec();
      const ready = service.ready();
      if (o.gapMs > 0) await sleep(o.gapMs, o.signal);
      if (o.signal.aborted) break;
      const result =
        policy.name === HPA ? hpa.step(service, lastWindow, before) : await runScaler(config, limitMs, o.signal);
      if (o.signal.aborted) break;
      const remaining = o.runSeconds * 1000 - (performance.now() - runStarted);
      if (remaining > 0) await sleep(remaining, o.signal);
      else overruns++;
      const w = service.endRun();
      lastWindow = w;
      const after = service.spec();
      const failRatio = w.count ? w.failures / w.count : 0;
      series.push(before);
      windows.push(w);
      oracleCost += oracle(run);
      oraclePeak = Math.max(oraclePeak, oracle(run));
      peak = Math.max(peak, before, after);
      if (failRatio > 0.01 && after < before) removedWhileFailing += before - after;
      if (result.code !== 0 || !result.record) scalerErrors++;
      const seen = result.record?.observations?.aggregated;
      const probeText = seen ? `${seen.mean.toFixed(1)} ms (${seen.count} req, ${seen.failures} failed)` : '-';
      const said = result.record?.message ?? `exit ${result.code}: ${result.stderr.split('\n').at(-1) ?? ''}`;
      o.log(
        `  run ${String(run).padStart(2)}  λ ${String(lambda).padStart(4)}  replicas ${before} (${ready} ready, ` +
          `oracle ${oracle(run)})  production mean ${w.meanMs.toFixed(1)} ms p95 ${w.p95Ms.toFixed(0)} ms ` +
          `failed ${(100 * failRatio).toFixed(1)}%  probe ${probeText}  → ${said}`,
      );
    }
  } finally {
    await prometheus?.stop();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const breached = windows.map((w) => w.meanMs > TARGET_MS || (w.count > 0 && w.failures / w.count > 0.01));
  const recovered = breached.findIndex((b, run) => run >= profile.stepAt && !b);
  const served = windows.filter((w) => w.serviceMeanMs > 0);
  return {
    policy: policy.name,
    profile: windows.length < profile.runs ? `${profile.name} (stopped after ${windows.length} runs)` : profile.name,
    recovery:
      recovered >= 0
        ? String(recovered - profile.stepAt)
        : windows.length > profile.stepAt
          ? `≥${windows.length - profile.stepAt}`
          : '-',
    breachRuns: breached.filter(Boolean).length,
    costRatio: series.reduce((a, b) => a + b, 0) / oracleCost,
    peakRatio: peak / oraclePeak,
    reversals: reversals(series.length ? [...series, service.spec()] : series),
    removedWhileFailing,
    seconds: (performance.now() - started) / 1000,
    scalerErrors,
    overruns,
    serviceMeanMs: served.reduce((a, w) => a + w.serviceMeanMs, 0) / Math.max(1, served.length),
  };
}

function printTable(
  outcomes: Outcome[],
  c: { seed: number; probe: LoopOptions['probe']; runSeconds: number; gap: string; wall: number },
): void {
  const head = [
    'policy',
    'profile',
    'recovery',
    'runs in breach',
    'replica-runs ÷ oracle',
    'peak ÷ oracle',
    'reversals',
    'removed while failing',
    'wall',
  ];
  const rows = [
    head,
    ...outcomes.map((o) => [
      o.policy,
      o.profile,
      o.recovery,
      String(o.breachRuns),
      o.costRatio.toFixed(2),
      o.peakRatio.toFixed(2),
      String(o.reversals),
      String(o.removedWhileFailing),
      `${o.seconds.toFixed(0)} s`,
    ]),
  ];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const service = outcomes.map((o) => o.serviceMeanMs.toFixed(1)).join('/');
  const gap = c.gap === '0s' ? 'back to back' : `the first ${c.gap} production alone`;
  const { users, duration, waitTime, timeout } = c.probe;
  const probe = `${users} users, ${duration}, think time ${waitTime}, timeout ${timeout}`;
  console.log(
    `\nclosed loop on the real bundle: node dist/scale.js run per run ` +
      `(one run = ${c.runSeconds} s, standing for a minute, ${gap});`,
  );
  console.log(
    `service on 127.0.0.1: replicas × ${SLOTS} slots, exponential ${SERVICE_MS} ms per request ` +
      `(measured in slot: ${service} ms), one FIFO queue, 503 after ${QUEUE_TIMEOUT_MS / 1000} s queued;`,
  );
  console.log(`production Poisson, seed ${c.seed}; probe: ${probe}`);
  console.log(
    `target: production mean ${TARGET_MS} ms and ≤ 1% failures; ` +
      `oracle: the fewest replicas whose M/M/(c·${SLOTS}) mean meets the target`,
  );
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, j) => (j < 2 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  for (const o of outcomes) {
    if (o.scalerErrors) console.log(`note: ${o.policy} · ${o.profile}: ${o.scalerErrors} runs exited ≠ 0`);
    if (o.overruns)
      console.log(`note: ${o.policy} · ${o.profile}: ${o.overruns} runs took longer than ${c.runSeconds} s`);
  }
  console.log(`wall time ${c.wall.toFixed(0)} s`);
}

/**
 * An HPA on CPU at `target`: the ready replicas' utilization of the last window (production's busy
 * slots), HPA's 10% tolerance and its 5-run downscale stabilization (5 minutes at one run a minute);
 * it sets the webhook's count itself, as the HPA's controller would. Its first run has no window: holds.
 */
function hpaOnCpu(target: number) {
  const recommendations: number[] = [];
  return {
    step(
      service: { ready(): number; setReplicas(n: number): void },
      w: WindowStats | undefined,
      replicas: number,
    ): ScalerRun {
      let desired = replicas;
      if (w) {
        const ratio = w.utilization / target;
        const wanted = Math.abs(ratio - 1) <= 0.1 ? replicas : Math.ceil(Math.max(service.ready(), 1) * ratio);
        recommendations.push(wanted);
        const held = Math.max(...recommendations.slice(-5));
        desired = Math.min(MAX_REPLICAS, Math.max(1, wanted < replicas ? Math.min(replicas, held) : wanted));
      }
      service.setReplicas(desired);
      const action = desired > replicas ? 'up' : desired < replicas ? 'down' : 'hold';
      const message = `${action} ${replicas}→${desired}: CPU ${Math.round((w?.utilization ?? 0) * 100)}%`;
      return { code: 0, record: { action, message, current: replicas, applied: desired }, stderr: '', ms: 0 };
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
