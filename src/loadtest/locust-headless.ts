// The headless Locust engine: the user's own locustfile, run the way the Locust Pod Autoscaler ran
// it — `locust --headless -f <file> -u -r -t --host` as a subprocess — and its CSV statistics read
// into the same observations as the other engines (Locust's percentile precision said in the record).
// The subprocess is bounded by the run's time, stopped on every exit path (signal, deadline, error),
// and watched by a small shell that stops it when the scaler goes away, even killed outright.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import type { LocustEngineConfig } from '../config/types.ts';
import { ConfigError, ProbeError } from '../errors.ts';
import { parseCsv } from './locust-master.ts';
import { toObservations } from './locust-stats.ts';
import type { LoadPlan, LoadTestEngine, Observations } from './types.ts';

/** The Locust version the tests and the image use (pip install locust==…). */
export const LOCUST_VERSION = '2.47.0';
const STOP_GRACE_MS = 5_000; // after SIGTERM, Locust writes its statistics and exits; then SIGKILL
const OVERRUN_MS = 30_000; // start-up and shutdown beyond -t before the run is declared stuck

/**
 * Runs "$@" and stops it when our stdin closes (the scaler exited or was killed) or on SIGTERM/SIGINT.
 * Background jobs of a non-interactive shell read /dev/null, hence the saved descriptor 3.
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$@" </dev/null & child=$!',
  'trap \'kill -TERM "$child" 2>/dev/null\' TERM INT',
  '( read -r _ <&3; kill -TERM "$child" 2>/dev/null ) & watcher=$!',
  'code=1; while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done',
  'kill "$watcher" 2>/dev/null',
  'exit "$code"',
].join('\n');

export class HeadlessLocustEngine implements LoadTestEngine {
  private readonly config: LocustEngineConfig & { locustfile: string };
  private readonly command: string;

  constructor(config: LocustEngineConfig & { locustfile: string }, command: string) {
    this.config = config;
    this.command = command;
  }

  async run(plan: LoadPlan, signal?: AbortSignal): Promise<Observations> {
    signal?.throwIfAborted();
    const dir = await mkdtemp(join(tmpdir(), 'latency-scaler-locust-'));
    try {
      const rampMs = (plan.users / plan.spawnRate) * 1000;
      const runSeconds = Math.max(1, Math.ceil((rampMs + plan.duration) / 1000));
      const args = [
        '-f',
        this.config.locustfile,
        '--headless',
        '-u',
        String(plan.users),
        '-r',
        String(plan.spawnRate),
        '-t',
        `${runSeconds}s`,
        '--host',
        plan.host,
        '--csv',
        join(dir, 'run'),
        '--only-summary',
        // Statistics start when every user has spawned, as the other engines measure a full load.
        '--reset-stats',
        '--exit-code-on-error',
        '0',
        '--loglevel',
        'WARNING',
      ];
      const startedAt = Date.now();
      const { code, stderr } = await this.locust(args, runSeconds * 1000 + OVERRUN_MS, signal);
      if (code !== 0) {
        throw new ProbeError(`locust ${this.config.locustfile} exited with code ${code}: ${lastLines(stderr)}`);
      }
      const [requests, failures] = await Promise.all([
        readFile(join(dir, 'run_stats.csv'), 'utf8'),
        readFile(join(dir, 'run_failures.csv'), 'utf8').catch(() => ''),
      ]);
      return toObservations(parseCsv(requests), parseCsv(failures), startedAt + rampMs, plan.duration);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private locust(
    args: string[],
    limitMs: number,
    signal?: AbortSignal,
  ): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', WATCHDOG, 'locust-watchdog', this.command, ...args], {
        stdio: ['pipe', 'ignore', 'pipe'],
        env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr = (stderr + c.toString()).slice(-20_000);
      });
      let stopped: unknown;
      let killer: NodeJS.Timeout | undefined;
      const stop = (reason: unknown): void => {
        if (stopped !== undefined) return;
        stopped = reason;
        child.kill('SIGTERM');
        killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      };
      const deadline = setTimeout(() => {
        stop(new ProbeError(`locust ${this.config.locustfile} did not finish within ${limitMs / 1000} s; stopped`));
      }, limitMs);
      const onAbort = (): void => stop(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (err) => stop(err));
      child.on('close', (code) => {
        clearTimeout(deadline);
        clearTimeout(killer);
        signal?.removeEventListener('abort', onAbort);
        child.stdin.destroy();
        if (stopped !== undefined) reject(stopped);
        else resolve({ code, stderr });
      });
    });
  }
}

const OR_BUILT_IN = 'or drop it to use the built-in engine (one GET per target)';

/**
 * The locust command to run: loadTest.locust.command, or `locust` on PATH. Missing: an input error
 * (exit 2, nothing sent) that says how to get it — and, when the engine was only implied by LPA's
 * locustFilePath, that dropping it selects the built-in engine.
 */
export function findLocust(config: LocustEngineConfig, env: Record<string, string | undefined> = process.env): string {
  const wanted = config.command ?? 'locust';
  const candidates =
    isAbsolute(wanted) || wanted.includes('/')
      ? [wanted]
      : (env['PATH'] ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((d) => join(d, wanted));
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  const get =
    `install it (pip install locust==${LOCUST_VERSION}), or use the image that carries it ` +
    '(docker build --target locust)';
  const where = config.command
    ? `loadTest.locust.command ${JSON.stringify(config.command)} does not exist`
    : 'locust is not on PATH';
  const named = config.locustfileOrigin ?? 'loadTest.locust.locustfile';
  const message = config.implied
    ? `names a locustfile, which needs Locust, and ${where}: ${get}; ${OR_BUILT_IN}`
    : `the Locust engine runs the locustfile with Locust, and ${where}: ${get}, or set loadTest.locust.command`;
  throw new ConfigError([{ path: named, message }]);
}

/**
 * Locust ≥ 1.0 refuses the pre-1.0 API that LPA's guide uses (HttpLocust, task_set, min_wait):
 * found before any load is sent, with the two-line port instead of Locust's traceback.
 */
export function refuseLegacyLocustfile(text: string, config: LocustEngineConfig): void {
  const legacy = /\bHttpLocust\b|^\s*task_set\s*=|\b(min|max)_wait\s*=|class\s+\w+\s*\(\s*Locust\s*\)/m;
  if (!legacy.test(text)) return;
  const port =
    'Port it to the current API in two lines: class WebsiteUser(HttpLocust) → class WebsiteUser(HttpUser),' +
    ' and task_set = UserBehavior → tasks = [UserBehavior]' +
    ' (import HttpUser instead of HttpLocust; min_wait/max_wait become wait_time = between(…))';
  const refused = `uses the pre-1.0 Locust API (HttpLocust, task_set), which Locust ${LOCUST_VERSION} refuses`;
  const named = config.locustfileOrigin ?? 'loadTest.locust.locustfile';
  throw new ConfigError([
    {
      path: named,
      message: `${JSON.stringify(config.locustfile)} ${refused}. ${port}`,
    },
  ]);
}

function lastLines(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.slice(-6).join(' | ') || '(no output)';
}
