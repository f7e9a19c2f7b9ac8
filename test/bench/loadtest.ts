// Load generators side by side on this machine, in one run (npm run bench:loadtest): the server on
// core 0, the generator on core 1 (taskset), runs interleaved, medians of 3 rounds. Generators are
// compared by requests per generator CPU-second (user+sys), steady where raw req/s is not.
// Installs what it needs when missing: wrk (Debian), Locust (PyPI, cached venv); autocannon is npm.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bundle, measureStartup, median, shippedEnv, type StartupFigure } from './lib/startup.ts';
import { wrkReport } from './lib/wrk.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const node = process.execPath;
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
// The young-generation cap the image, the CronJob and the SAM template start the program with.
const SHIPPED_NODE_OPTIONS = '--max-semi-space-size=16';

function ensureTools(): { wrk: string; locust: string; autocannon: string } {
  if (spawnSync('which', ['wrk']).status !== 0) {
    console.error('installing wrk (apt-get)…');
    execFileSync('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk'], {
      stdio: 'inherit',
    });
  }
  const venvBin = execFileSync('bash', [here('../harness/locust/install.sh')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .at(-1)!;
  const autocannon = here('../../node_modules/autocannon/autocannon.js');
  if (!existsSync(autocannon)) throw new Error('autocannon is missing: npm ci');
  return { wrk: 'wrk', locust: `${venvBin}/locust`, autocannon };
}

async function startServer(delayMs: number): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn('taskset', ['-c', '0', node, here('./lib/server.mjs')], {
    env: { ...process.env, DELAY_MS: String(delayMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve) =>
    proc.stdout!.once('data', (c: Buffer) => resolve(c.toString().trim())),
  );
  return { url: `http://127.0.0.1:${port}`, proc };
}

interface Measure {
  requests: number;
  cpuS: number;
  rssMB: number;
  mean?: number;
  p99?: number;
}

/** Runs a generator on core 1 under /usr/bin/time; returns its requests, CPU time and peak RSS. */
function measure(
  cmd: string[],
  parse: (stdout: string) => { requests: number; mean?: number; p99?: number },
  env: NodeJS.ProcessEnv = process.env,
): Measure {
  const r = spawnSync('taskset', ['-c', '1', '/usr/bin/time', '-f', 'TIME %U %S %M', ...cmd], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env,
  });
  const time = /TIME ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!time) throw new Error(`${cmd[0]} failed: ${r.stderr.slice(-500)}`);
  return { ...parse(r.stdout), cpuS: Number(time[1]) + Number(time[2]), rssMB: Number(time[3]) / 1024 };
}

function generators(
  tools: ReturnType<typeof ensureTools>,
  url: string,
  users: number,
  seconds = SECONDS,
): Record<string, () => Measure> {
  const locust = (file: string) => () =>
    measure(
      [
        tools.locust,
        '-f',
        here(file),
        '--headless',
        '-u',
        String(users),
        '-r',
        String(users),
        '-t',
        `${seconds}s`,
        '--host',
        url,
        '--only-summary',
        '--json',
        '--loglevel',
        'ERROR',
      ],
      (out) => {
        const stats = JSON.parse(out) as {
          num_requests: number;
          total_response_time: number;
          response_times: Record<string, number>;
        }[];
        const s = stats[0]!;
        return { requests: s.num_requests, mean: s.total_response_time / Math.max(1, s.num_requests) };
      },
    );
  // Ours is the shipped program, started as the image starts it (compile cache; the young-generation
  // cap the Dockerfile, CronJob and SAM template set in NODE_OPTIONS) and, for its cost, without the cap.
  const ours = (nodeOptions: string) => () =>
    measure(
      [node, bundle, 'loadtest', '--host', url, '--users', String(users), '--duration', `${seconds}s`, '-o', 'json'],
      (out) => {
        const a = (JSON.parse(out) as { aggregated: { count: number; mean: number; p99: number } }).aggregated;
        return { requests: a.count, mean: a.mean, p99: a.p99 };
      },
      { ...process.env, ...shippedEnv, NODE_OPTIONS: nodeOptions },
    );
  return {
    'latency-scaler': ours(SHIPPED_NODE_OPTIONS),
    'latency-scaler, no semi-space cap': ours(''),
    wrk: () => measure([tools.wrk, '-t1', `-c${users}`, `-d${seconds}s`, '--latency', url], wrkReport),
    autocannon: () =>
      measure([node, tools.autocannon, '-c', String(users), '-d', String(seconds), '-j', url], (out) => {
        const j = JSON.parse(out) as { requests: { total: number }; latency: { mean: number; p99: number } };
        return { requests: j.requests.total, mean: j.latency.mean, p99: j.latency.p99 };
      }),
    'locust FastHttpUser': locust('./lib/locust_fast.py'),
    'locust HttpUser': locust('./lib/locust_http.py'),
  };
}

const table = (rows: string[][]): void => {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  rows.forEach((r, i) => {
    console.log(r.map((c, j) => (j === 0 ? c.padEnd(w[j]!) : c.padStart(w[j]!))).join('  '));
    if (i === 0) console.log(w.map((n) => '-'.repeat(n)).join('  '));
  });
};

const tools = ensureTools();
const cores = availableParallelism();
console.log(
  `Node ${process.version}; ${cores} cores; ${SECONDS}s runs, ${ROUNDS} interleaved rounds, medians; ` +
    'server on core 0, generator on core 1\n',
);
/** The summary: one row per figure of the performance goals, ours beside the peer measured in this run. */
const summary: string[][] = [['figure', 'latency-scaler', 'peer', 'ratio', 'goal']];
const perCpu = (m: Measure[]) => median(m.map((x) => x.requests / Math.max(0.01, x.cpuS)));
const rssOf = (m: Measure[]) => median(m.map((x) => x.rssMB));

// 0. Start-up, beside `node -e 0`.
{
  const [bare, version, handler, uncached] = measureStartup();
  console.log('start-up (median of 15)');
  const rows = [['command', 'ms', '× node -e 0', 'peak RSS MB']];
  for (const f of [bare!, version!, handler!, uncached!])
    rows.push([f.name, f.ms.toFixed(0), (f.ms / bare!.ms).toFixed(1), f.rssMB.toFixed(0)]);
  table(rows);
  console.log('');
  const vsBare = (figure: string, f: StartupFigure, goal: string) =>
    summary.push([
      figure,
      `${f.ms.toFixed(0)} ms`,
      `${bare!.ms.toFixed(0)} ms`,
      `${(f.ms / bare!.ms).toFixed(1)}×`,
      goal,
    ]);
  vsBare('--version ÷ node -e 0', version!, '≤ 2×');
  vsBare('handler import ÷ node -e 0', handler!, '≤ 2×');
  const rss = (f: StartupFigure) => `${f.rssMB.toFixed(0)} MB`;
  summary.push(['peak RSS of --version', rss(version!), rss(bare!), '', '≤ 50 MB']);
}

// 1. Throughput per generator CPU-second, no think time.
{
  const server = await startServer(0);
  for (const users of [10, 50]) {
    const gens = generators(tools, server.url, users);
    const results: Record<string, Measure[]> = Object.fromEntries(Object.keys(gens).map((k) => [k, []]));
    for (let round = 0; round < ROUNDS; round++)
      for (const [name, run] of Object.entries(gens)) results[name]!.push(run());
    console.log(`throughput, ${users} users, no think time`);
    const rows = [['generator', 'req/s', 'req per CPU-s', '× autocannon', 'peak RSS MB']];
    const base = perCpu(results['autocannon']!);
    for (const [name, m] of Object.entries(results)) {
      const reqPerS = median(m.map((x) => x.requests / SECONDS)).toFixed(0);
      rows.push([name, reqPerS, perCpu(m).toFixed(0), (perCpu(m) / base).toFixed(2), rssOf(m).toFixed(0)]);
    }
    table(rows);
    console.log('');
    const ours = perCpu(results['latency-scaler']!);
    const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
    const vs = (peer: string, goal: string) =>
      summary.push([
        `req per CPU-s, ${users} users, vs ${peer}`,
        k(ours),
        k(perCpu(results[peer]!)),
        `${(ours / perCpu(results[peer]!)).toFixed(2)}×`,
        goal,
      ]);
    vs('autocannon', '≥ 1.2×');
    for (const peer of ['wrk', 'locust FastHttpUser', 'locust HttpUser']) vs(peer, '');
    const uncapped = perCpu(results['latency-scaler, no semi-space cap']!);
    summary.push([
      `  CPU cost of the semi-space cap, ${users} users`,
      k(ours),
      k(uncapped),
      `${(ours / uncapped).toFixed(2)}×`,
      '',
    ]);
  }
  server.proc.kill('SIGTERM');
}

// 2. Accuracy against a server answering after 20 ms.
{
  const server = await startServer(20);
  const gens = generators(tools, server.url, 10);
  const names = ['latency-scaler', 'wrk', 'autocannon'];
  const results: Record<string, Measure[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) for (const n of names) results[n]!.push(gens[n]!());
  console.log('accuracy, server answers after 20 ms, 10 users');
  const wrkMean = median(results['wrk']!.map((x) => x.mean!));
  const wrkP99 = median(results['wrk']!.map((x) => x.p99!));
  const rows = [['generator', 'mean ms', 'p99 ms', 'mean − wrk', 'p99 − wrk']];
  for (const n of names) {
    const mean = median(results[n]!.map((x) => x.mean!));
    const p99 = median(results[n]!.map((x) => x.p99!));
    rows.push([n, mean.toFixed(3), p99.toFixed(3), (mean - wrkMean).toFixed(3), (p99 - wrkP99).toFixed(3)]);
  }
  table(rows);
  console.log('');
  const oursMean = median(results['latency-scaler']!.map((x) => x.mean!));
  const diff = oursMean - wrkMean;
  summary.push([
    'mean at a 20 ms server, vs wrk',
    `${oursMean.toFixed(2)} ms`,
    `${wrkMean.toFixed(2)} ms`,
    `${diff >= 0 ? '+' : ''}${diff.toFixed(2)} ms`,
    'within 0.3 ms',
  ]);
  server.proc.kill('SIGTERM');
}

// 3. Footprint: peak RSS at 50 users (beside autocannon), and at 1,000 users over 10 s and 30 s.
{
  const server = await startServer(5);
  const rows = [['run', 'peak RSS MB', 'requests']];
  const at50 = generators(tools, server.url, 50);
  const ours50 = at50['latency-scaler']!();
  const ac50 = at50['autocannon']!();
  rows.push(['latency-scaler, 50 users', ours50.rssMB.toFixed(0), String(ours50.requests)]);
  rows.push(['autocannon, 50 users', ac50.rssMB.toFixed(0), String(ac50.requests)]);
  const at1000: Record<string, Measure> = {};
  for (const secs of [10, 30]) {
    const gens = generators(tools, server.url, 1000, secs);
    for (const name of ['latency-scaler', 'latency-scaler, no semi-space cap', 'autocannon']) {
      const m = gens[name]!();
      at1000[`${name} ${secs}`] = m;
      rows.push([`${name}, 1000 users, ${secs}s`, m.rssMB.toFixed(0), String(m.requests)]);
    }
  }
  console.log('footprint, server answers after 5 ms');
  table(rows);
  console.log('');
  const mb = (m: Measure) => `${m.rssMB.toFixed(0)} MB`;
  summary.push([
    'peak RSS, 50 users, vs autocannon',
    mb(ours50),
    mb(ac50),
    `${(ours50.rssMB / ac50.rssMB).toFixed(2)}×`,
    '≤ autocannon',
  ]);
  const o10 = at1000['latency-scaler 10']!;
  const o30 = at1000['latency-scaler 30']!;
  const a30 = at1000['autocannon 30']!;
  summary.push(['peak RSS, 1000 users, 10 s', mb(o10), mb(at1000['autocannon 10']!), '', '< 150 MB']);
  summary.push([
    'peak RSS, 1000 users, 30 s',
    mb(o30),
    mb(a30),
    `${(o30.rssMB / o10.rssMB).toFixed(2)}× of 10 s`,
    '< 150 MB, ≤ 1.1× of 10 s',
  ]);
  const u10 = at1000['latency-scaler, no semi-space cap 10']!;
  const u30 = at1000['latency-scaler, no semi-space cap 30']!;
  summary.push(['  without the semi-space cap, 10 s → 30 s', `${mb(u10)} → ${mb(u30)}`, '', '', '']);
  server.proc.kill('SIGTERM');
}

console.log(`summary (Node ${process.version}, ${cores} cores; peers measured in this run)`);
table(summary);
