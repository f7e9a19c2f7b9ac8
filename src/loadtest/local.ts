// The local engine: Locust's closed workload model on undici. `users` virtual users start at
// `spawnRate` per second; each picks a request (or a script task) by weight, runs it, then waits
// its think time, until the duration ends. Warm-up is excluded. At the end, or on abort, the
// connection pool is destroyed: in-flight requests are cut and no socket is left open.
import { Pool } from '../undici.ts';
import { HttpUser, type PreparedRequest } from './http-user.ts';
import { failureMs, statusFailure } from './failures.ts';
import { RawConnection, serializeRequest } from './raw-http.ts';
import { StatsRecorder } from './recorder.ts';
import type { Scenario } from './scenario.ts';
import { pickWeighted, spawnOffsets, thinkTimeMs } from './schedule.ts';
import type { LoadPlan, LoadTestEngine, Observations } from './types.ts';

export interface Progress {
  elapsedMs: number;
  users: number;
  requests: number;
  failures: number;
  meanMs: number;
}

export interface LocalEngineOptions {
  scenario?: Scenario | undefined;
  onProgress?: ((p: Progress) => void) | undefined;
  random?: () => number;
}

export class LocalEngine implements LoadTestEngine {
  private readonly options: LocalEngineOptions;

  constructor(options: LocalEngineOptions = {}) {
    this.options = options;
  }

  async run(plan: LoadPlan, signal?: AbortSignal): Promise<Observations> {
    const random = this.options.random ?? Math.random;
    const scenario = this.options.scenario;
    const pool = new Pool(plan.host, {
      connections: plan.users,
      pipelining: 1,
      headersTimeout: plan.timeout,
      bodyTimeout: plan.timeout,
      connect: { timeout: Math.min(plan.timeout, 10_000) },
      keepAliveTimeout: 30_000,
    });
    const recorder = new StatsRecorder(scenario ? [] : plan.requests.map((r) => r.name));
    recorder.measuring = plan.warmup === 0;
    const started = performance.now();
    let measureFrom = started + plan.warmup;
    let ended = 0;
    let stopped = false;
    const sleepers = new Set<() => void>();
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      ended = performance.now();
      for (const wake of sleepers) wake();
      void pool.destroy().catch(() => undefined); // cuts in-flight requests: the run ends on time
      destroyConnections();
    };
    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        if (stopped || ms <= 0) return resolve();
        const wake = (): void => {
          clearTimeout(t);
          sleepers.delete(wake);
          resolve();
        };
        const t = setTimeout(wake, ms);
        sleepers.add(wake);
      });
    const timers = [setTimeout(stop, plan.duration)];
    if (plan.warmup > 0)
      timers.push(
        setTimeout(() => {
          recorder.measuring = true;
          measureFrom = performance.now();
        }, plan.warmup),
      );
    let active = 0;
    const progress = this.options.onProgress;
    if (progress)
      timers.push(
        setInterval(
          () => progress({ elapsedMs: performance.now() - started, users: active, ...recorder.totals() }),
          1000,
        ) as unknown as NodeJS.Timeout,
      );

    const ctx = { pool, recorder, headers: plan.headers, timeoutMs: plan.timeout, stopped: () => stopped };
    // Plain http without a script: the raw-socket fast path, one connection per user.
    const url = new URL(plan.host);
    const raw =
      !scenario && url.protocol === 'http:'
        ? plan.requests.map((r) => serializeRequest(url, r.method, r.path, { ...plan.headers, ...r.headers }, r.body))
        : undefined;
    const connections: RawConnection[] = [];
    const destroyConnections = (): void => connections.forEach((c) => c.destroy());
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    const prepared: PreparedRequest[] = plan.requests.map((r) => ({
      name: r.name,
      expect: r.expectStatus,
      options: {
        method: r.method,
        path: r.path,
        headers: { ...plan.headers, ...r.headers },
        ...(r.body !== undefined ? { body: r.body } : {}),
      },
    }));
    const weights = scenario ? scenario.tasks.map((t) => t.weight) : plan.requests.map((r) => r.weight);
    const runUser = async (id: number, offset: number): Promise<void> => {
      await sleep(offset);
      if (stopped) return;
      active++;
      const user = new HttpUser(id, ctx);
      const connection = raw ? new RawConnection(url, plan.timeout) : undefined;
      if (connection) connections.push(connection);
      try {
        if (scenario?.onStart) await scenario.onStart(user);
        while (!stopped) {
          const i = pickWeighted(weights, random);
          if (scenario) await scenario.tasks[i]!.run(user);
          else if (connection) await sendRaw(connection, raw![i]!, prepared[i]!, recorder, () => stopped, plan.timeout);
          else await user.fire(prepared[i]!);
          await sleep(thinkTimeMs(plan.waitTime, random));
        }
      } catch (err) {
        // A script's own error ends that user, as an exception in a Locust task is counted.
        if (!stopped)
          recorder.failure('script error', {
            kind: (err as Error)?.name ?? 'Error',
            message: (err as Error)?.message ?? String(err),
          });
      }
    };
    try {
      await Promise.all(spawnOffsets(plan.users, plan.spawnRate).map((offset, id) => runUser(id, offset)));
    } finally {
      for (const t of timers) clearTimeout(t);
      signal?.removeEventListener('abort', stop);
      stop();
      await pool.destroy().catch(() => undefined);
    }
    // Interrupted: no statistics at all, so nothing can decide on a truncated load test (DESIGN §1).
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('load test aborted');
    const measuredMs = Math.max(1, ended - measureFrom);
    const { requests, aggregated } = recorder.summarise(measuredMs, plan.percentiles);
    return {
      engine: 'local',
      startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
      measuredMs,
      requests,
      aggregated,
    };
  }
}

async function sendRaw(
  connection: RawConnection,
  request: Buffer,
  prepared: PreparedRequest,
  recorder: StatsRecorder,
  stopped: () => boolean,
  timeoutMs: number,
): Promise<void> {
  const started = performance.now();
  const outcome = await connection.send(request, prepared.options.method, prepared.name);
  const ms = performance.now() - started;
  if (stopped() && !outcome.status) return; // cut by the end of the run
  if (outcome.failure)
    return recorder.failure(prepared.name, outcome.failure, failureMs(outcome.failure, ms, timeoutMs));
  if (outcome.status === undefined) return;
  const failure = statusFailure(outcome.status, prepared.expect, prepared.name);
  if (failure) recorder.failure(prepared.name, failure, ms);
  else recorder.success(prepared.name, ms);
}
