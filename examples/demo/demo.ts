// The one-command local demo (`npm run demo`): a pool of Fibonacci replicas behind one port, a
// background load that rises, holds and stops, and dist/scale.js run on a short schedule with the
// file state store and the http scale target. Shows each run live; ends by itself; leaves nothing.
// It runs the recommended policy (examples/recommended-policy.yaml), then the same load through
// LPA's default policy, and prints the two side by side: runs in breach, replica-runs, reversals.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { startPool, type Pool } from './pool.ts';
import { policyYaml, readPolicy, reversals, type PolicyFragment } from './policy.ts';
import { historyHtml } from '../../src/report/history-html.ts';
import type { StateRecord } from '../../src/model/state-record.ts';

const BUNDLE = fileURLToPath(new URL('../../dist/scale.js', import.meta.url));

export interface DemoOptions {
  /** Seconds of each phase: quiet, load, quiet again. */
  phases: { idle: number; load: number; cooldown: number };
  loadRps: number;
  targetMs: number;
  out: (line: string) => void;
  signal?: AbortSignal;
  /** Where to write the history picture at the end. */
  historyFile?: string;
  /** Where the scaler's decisions go; by default the pool's http scale target and a state file. */
  target?: (pool: Pool, dir: string) => Promise<DemoTarget>;
  /** The policy: a fragment of policy keys (examples/recommended-policy.yaml); none: LPA's defaults. */
  policy?: PolicyFragment | undefined;
  /** Started beside the scaler's runs once its scaler.yaml is written (the console), stopped at the end. */
  beside?: (config: string, env: Record<string, string>) => Promise<{ stop(): Promise<void> }>;
}

/** The scale target and state store the scaler runs with. */
export interface DemoTarget {
  /** The `target:` and `state:` lines of scaler.yaml. */
  yaml: string;
  env?: Record<string, string>;
  /** settle.timeout: 0s (off) for the pool, whose replicas are ready at once. */
  settle?: string;
  /** The state record after the run, for the history picture. */
  record(): Promise<StateRecord | undefined>;
  close(): Promise<void>;
}

async function httpTarget(pool: Pool, dir: string): Promise<DemoTarget> {
  const statePath = join(dir, 'state.json');
  return {
    yaml: `target: { kind: http, url: ${pool.scaleUrl} }\nstate: { store: file, path: ${statePath} }\n`,
    async record() {
      if (!existsSync(statePath)) return undefined;
      return (JSON.parse(readFileSync(statePath, 'utf8')) as { record: StateRecord }).record;
    },
    close: async () => undefined,
  };
}

export interface DemoRun {
  at: number; // seconds since start
  replicas: number;
  observed: number | null;
  action: string;
  message: string;
}

export interface DemoResult {
  policy: string;
  runs: DemoRun[];
  maxReplicas: number;
  finalReplicas: number;
  pids: number[];
  /** Runs whose measured latency was above the target (or that measured nothing). */
  breachRuns: number;
  /** The replicas summed over the runs: what the policy cost. */
  replicaRuns: number;
  /** How often the replica count changed direction. */
  reversals: number;
}

/** A run every ~3 s stands for a minute of a CronJob's schedule: the policy's durations follow. */
const RUN_SECONDS = 3;

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const dir = mkdtempSync(join(tmpdir(), 'latency-scaler-demo-'));
  const pool = await startPool({ replicas: 1, serviceMs: 10, max: 8 });
  const target = await (options.target ?? httpTarget)(pool, dir);
  const config = join(dir, 'scaler.yaml');
  writeFileSync(
    config,
    `${target.yaml}replicas: { min: 1, max: 8 }
loadTest:
  host: ${pool.url}
  users: 4
  duration: 2s
  waitTime: 100ms
  requests: [{ method: GET, path: /fibonacci?n=10 }]
targets: [{ method: GET, endpoint: /fibonacci?n=10, type: mean, target: ${options.targetMs} }]
${policyLines(options.policy, target.settle ?? '0s').join('\n')}
`,
  );
  const companion = await options.beside?.(config, target.env ?? {});
  const started = Date.now();
  const elapsed = (): number => (Date.now() - started) / 1000;
  const { idle, load, cooldown } = options.phases;
  const runs: DemoRun[] = [];
  let finalRecord: StateRecord | undefined;
  const background = backgroundLoad(pool, options.loadRps, idle, idle + load, options.signal);
  const policyName = options.policy?.name ?? "LPA's default policy";
  options.out(
    `demo (${policyName}): service ${pool.url}, scale target ${pool.scaleUrl}, target mean ${options.targetMs} ms`,
  );
  options.out(
    `      quiet ${idle}s → ${options.loadRps} req/s for ${load}s → quiet ${cooldown}s; a scaler run every ~3 s\n`,
  );
  try {
    while (elapsed() < idle + load + cooldown && !options.signal?.aborted) {
      const startedAt = elapsed();
      const record = await runScaler(config, target.env ?? {}, options.signal);
      if (options.signal?.aborted) break; // the run was cut short by Ctrl-C: nothing to show
      const run: DemoRun = {
        at: Math.round(elapsed()),
        replicas: pool.replicas(),
        observed: record?.evaluations?.[0]?.value ?? null,
        action: record?.action ?? 'error',
        message: record?.message ?? 'run failed',
      };
      runs.push(run);
      // The phase the run measured: the one it started in.
      const phase = startedAt < idle ? 'quiet' : startedAt < idle + load ? 'LOAD ' : 'quiet';
      const mean = run.observed === null ? '   -   ' : `${run.observed.toFixed(1).padStart(6)} ms`;
      options.out(
        `t=${String(run.at).padStart(3)}s ${phase} replicas ${run.replicas} ${bar(run.replicas)} mean ${mean} (target ${options.targetMs} ms)  ${run.message}`,
      );
      await sleep(500, options.signal);
    }
  } finally {
    await companion?.stop();
    await background.stop();
    finalRecord = options.historyFile ? await target.record().catch(() => undefined) : undefined;
    await target.close();
    await pool.close();
  }
  const replicas = runs.map((r) => r.replicas);
  const result: DemoResult = {
    policy: policyName,
    runs,
    maxReplicas: Math.max(1, ...replicas),
    finalReplicas: runs.at(-1)?.replicas ?? 1,
    pids: pool.pids(),
    breachRuns: runs.filter((r) => r.observed === null || r.observed > options.targetMs).length,
    replicaRuns: replicas.reduce((a, b) => a + b, 0),
    reversals: reversals(replicas),
  };
  if (options.signal?.aborted) options.out('\nstopped (Ctrl-C): every process of the demo has ended');
  options.out(
    `\nsummary: ${runs.length} runs; replicas 1 → ${result.maxReplicas} under load → ${result.finalReplicas} after it; ${runs.filter((r) => r.action === 'up').length} scale-ups, ${runs.filter((r) => r.action === 'down').length} decays`,
  );
  if (options.historyFile && finalRecord) {
    mkdirSync(dirname(options.historyFile), { recursive: true });
    writeFileSync(options.historyFile, historyHtml(finalRecord, 'latency-scaler demo: replicas and latency over time'));
    options.out(`history: ${options.historyFile} (open it in a browser; hover a point for the decision)`);
  }
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** The policy keys of scaler.yaml: the fragment's (its durations compressed), or LPA's defaults. */
function policyLines(policy: PolicyFragment | undefined, settle: string): string[] {
  if (!policy) return [`settle: { timeout: ${settle} }`];
  return policyYaml(policy, RUN_SECONDS);
}

/** The two policies side by side: the comparison a user came for. */
export function comparison(results: DemoResult[]): string[] {
  const width = Math.max(...results.map((r) => r.policy.length));
  const head = `${'policy'.padEnd(width)}  runs  in breach  replica-runs  peak  reversals`;
  const rows = results.map(
    (r) =>
      `${r.policy.padEnd(width)}  ${String(r.runs.length).padStart(4)}  ${String(r.breachRuns).padStart(9)}  ` +
      `${String(r.replicaRuns).padStart(12)}  ${String(r.maxReplicas).padStart(4)}  ${String(r.reversals).padStart(9)}`,
  );
  return [head, '-'.repeat(head.length), ...rows];
}

const bar = (n: number): string => `${'█'.repeat(n)}${' '.repeat(Math.max(0, 8 - n))}`;

interface ScalerRecord {
  action?: string;
  message?: string;
  evaluations?: { value: number | null }[];
}

function runScaler(
  config: string,
  env: Record<string, string>,
  signal?: AbortSignal,
): Promise<ScalerRecord | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE, 'run', '--config', config, '--output', 'json', '--quiet'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
      ...(signal ? { signal } : {}),
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('error', () => resolve(undefined));
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as ScalerRecord);
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** Open-loop arrivals at `rps` between `from` and `to` seconds, bounded in flight. */
function backgroundLoad(
  pool: Pool,
  rps: number,
  from: number,
  to: number,
  signal?: AbortSignal,
): { stop(): Promise<void> } {
  const agent = new Agent({ connections: 64 });
  const started = Date.now();
  let inFlight = 0;
  const tick = 20; // ms
  const timer = setInterval(() => {
    const t = (Date.now() - started) / 1000;
    if (t < from || t > to || signal?.aborted) return;
    for (let i = 0; i < (rps * tick) / 1000 && inFlight < 256; i++) {
      inFlight++;
      request(`${pool.url}/fibonacci?n=10`, { dispatcher: agent })
        .then(
          (r) => r.body.dump(),
          () => undefined,
        )
        .finally(() => inFlight--);
    }
  }, tick);
  return {
    async stop() {
      clearInterval(timer);
      await agent.destroy();
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

const RECOMMENDED = fileURLToPath(new URL('../recommended-policy.yaml', import.meta.url));

if (import.meta.main) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  const common = {
    phases: { idle: 3, load: 27, cooldown: 21 },
    loadRps: 300,
    targetMs: 20,
    out: (l: string) => console.log(l),
    signal: controller.signal,
  };
  const results = [
    await runDemo({
      ...common,
      policy: readPolicy('recommended', RECOMMENDED),
      historyFile: resolve('.latency-scaler/demo-history.html'),
    }),
  ];
  if (!controller.signal.aborted) {
    console.log("\nthe same load through LPA's default policy:\n");
    results.push(await runDemo(common));
  }
  if (!controller.signal.aborted) console.log(`\n${comparison(results).join('\n')}`);
}
