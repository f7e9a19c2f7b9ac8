// The local engine: Locust's closed workload model. `users` virtual users start at `spawnRate` per
// second; each picks a request (or a script task) by weight, runs it, then waits its think time,
// until the duration ends. Warm-up is excluded. Declarative requests over plain http go through
// raw sockets (one keep-alive connection per user); https and scenario scripts through undici,
// which is loaded only then. When the duration ends no new request starts, and the requests still in
// flight are awaited up to their own timeout (a request that never answers counts as a timeout, never
// dropped: DESIGN §4.1), so a run lasts at most duration + timeout. On abort every connection is
// destroyed at once: in-flight requests are cut and no socket is left open. The generator's own
// event-loop delay is measured over the same window (generator.ts).
import type { Pool } from '../undici.ts';
import { HttpUser, type PreparedRequest } from './http-user.ts';
import { failureMs, statusFailure } from './failures.ts';
import { RawConnection, serializeRequest } from './raw-http.ts';
import { MAX_REQUEST_NAMES, StatsRecorder } from './recorder.ts';
import type { Scenario } from './scenario.ts';
import { GeneratorLag } from './generator.ts';
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

/** Past the drain's bound (duration + timeout), what is still unanswered is cut and counted a timeout. */
const DRAIN_SLACK_MS = 100;

/** One virtual user's next request, however it is sent. */
type Send = (i: number) => Promise<void>;

/**
 * The run's clock: the duration, the warm-up, sleeps that the end of the run wakes at once. `stop()`
 * ends the duration (no new request starts); `cut()` ends the transport (the drain's bound, or an abort).
 */
class RunClock {
  stopped = false;
  /** The transport was torn down: what was still in flight got no answer. */
  cutOff = false;
  ended = 0;
  readonly started = performance.now();
  private readonly sleepers = new Set<() => void>();
  private readonly onCut: (() => void)[] = [];

  whenCut(fn: () => void): void {
    this.onCut.push(fn);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ended = performance.now();
    for (const wake of this.sleepers) wake();
  }

  cut(): void {
    this.stop();
    if (this.cutOff) return;
    this.cutOff = true;
    for (const fn of this.onCut) fn();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped || ms <= 0) return resolve();
      const wake = (): void => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

export class LocalEngine implements LoadTestEngine {
  private readonly options: LocalEngineOptions;

  constructor(options: LocalEngineOptions = {}) {
    this.options = options;
  }

  async run(plan: LoadPlan, signal?: AbortSignal): Promise<Observations> {
    const random = this.options.random ?? Math.random;
    const scenario = this.options.scenario;
    const clock = new RunClock();
    const recorder = new StatsRecorder(scenario ? [] : plan.requests.map((r) => r.name));
    const lag = new GeneratorLag();
    recorder.measuring = plan.warmup === 0;
    if (recorder.measuring) lag.start();
    let measureFrom = clock.started + plan.warmup;
    recorder.measureFrom(measureFrom, Math.max(1, plan.duration - plan.warmup));
    // The drain's bound: every request in flight at the end has met its own timeout by then.
    const end = (): void => {
      clock.stop();
      timers.push(setTimeout(() => clock.cut(), plan.timeout + DRAIN_SLACK_MS));
    };
    const timers: NodeJS.Timeout[] = [setTimeout(end, plan.duration)];
    if (plan.warmup > 0) {
      const measure = (): void => {
        recorder.measuring = true;
        measureFrom = performance.now();
        recorder.measureFrom(measureFrom, Math.max(1, plan.duration - plan.warmup));
        lag.start();
      };
      timers.push(setTimeout(measure, plan.warmup));
    }
    let active = 0;
    const progress = this.options.onProgress;
    if (progress) {
      const report = (): void =>
        progress({ elapsedMs: performance.now() - clock.started, users: active, ...recorder.totals() });
      timers.push(setInterval(report, 1000) as unknown as NodeJS.Timeout);
    }
    const transport = await this.transport(plan, recorder, clock);
    const onAbort = (): void => clock.cut();
    if (signal?.aborted) clock.cut();
    signal?.addEventListener('abort', onAbort, { once: true });
    const weights = scenario ? scenario.tasks.map((t) => t.weight) : plan.requests.map((r) => r.weight);

    const runUser = async (id: number, offset: number): Promise<void> => {
      await clock.sleep(offset);
      if (clock.stopped) return;
      active++;
      try {
        const next = transport.user(id);
        while (!clock.stopped) {
          await next(pickWeighted(weights, random));
          const think = thinkTimeMs(plan.waitTime, random);
          if (think > 0) await clock.sleep(think); // no think time: no timer, no extra promise per request
        }
      } catch (err) {
        // A script's own error ends that user, as an exception in a Locust task is counted.
        if (!clock.cutOff) recorder.failure('script error', scriptError(err));
      }
    };
    const users = spawnOffsets(plan.users, plan.spawnRate).map((offset, id) => runUser(id, offset));
    const widened = this.widen(plan, recorder, clock, (extra) => {
      for (let i = 0; i < extra; i++) users.push(runUser(plan.users + i, 0));
    });
    try {
      // Users may join while the others run (a widened probe): wait until none is left running.
      for (let awaited = 0; awaited < users.length;) {
        const now = users.length;
        await Promise.all(users.slice(0, now));
        awaited = now;
      }
    } finally {
      lag.stop(); // the drain included: answers that arrive then are timed on the same loop
      widened.stop();
      for (const t of timers) clearTimeout(t);
      signal?.removeEventListener('abort', onAbort);
      clock.cut();
      await transport.close();
    }
    // Interrupted: no statistics at all, so nothing can decide on a truncated load test (DESIGN §1).
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('load test aborted');
    const measuredMs = Math.max(1, clock.ended - measureFrom);
    const { requests, aggregated } = recorder.summarise(measuredMs, plan.percentiles);
    const startedAt = new Date(Date.now() - (performance.now() - clock.started)).toISOString();
    const widenedAt = widened.result();
    return {
      engine: 'local',
      startedAt,
      measuredMs,
      requests,
      aggregated,
      generator: lag.summary(),
      ...(widenedAt ? { widened: widenedAt } : {}),
      ...(recorder.folded ? { folded: { ...recorder.folded, limit: MAX_REQUEST_NAMES } } : {}),
    };
  }

  /**
   * In the first half of the test, an answer slower than plan.widen.aboveMs (a saturated service) adds
   * plan.widen.users users at once: a few requests of a second each cannot size an overload. Returns
   * what was added, once the run is over.
   */
  private widen(
    plan: LoadPlan,
    recorder: StatsRecorder,
    clock: RunClock,
    add: (users: number) => void,
  ): { result: () => Observations['widened']; stop: () => void } {
    const rule = plan.widen;
    let done: Observations['widened'];
    if (!rule || rule.users <= 0) return { result: () => undefined, stop: () => undefined };
    const widenNow = (): void => {
      const at = performance.now() - clock.started;
      if (done || clock.stopped || at > plan.duration / 2) return;
      done = { users: rule.users, atMs: Math.round(at), aboveMs: rule.aboveMs };
      add(rule.users);
    };
    let answered = 0;
    recorder.onTimed = (ms) => {
      answered++;
      if (ms > rule.aboveMs) widenNow();
    };
    // A queue so long that a user's first answer has not come within twice the mark is saturated too
    // (its answers come late in the test, after its first half).
    const check = setTimeout(() => answered < plan.users && widenNow(), Math.min(plan.duration / 2, 2 * rule.aboveMs));
    return { result: () => done, stop: () => clearTimeout(check) };
  }

  /** Raw sockets for declarative plain-http requests; undici (loaded now, not before) for the rest. */
  private async transport(
    plan: LoadPlan,
    recorder: StatsRecorder,
    clock: RunClock,
  ): Promise<{ user(id: number): Send; close(): Promise<void> }> {
    const url = new URL(plan.host);
    // A host with a path (http://svc/api) is a prefix of every request path, as Locust joins them.
    const basePath = url.pathname.replace(/\/+$/, '');
    const scenario = this.options.scenario;
    const prepared: PreparedRequest[] = plan.requests.map((r) => ({
      name: r.name,
      expect: r.expectStatus,
      options: {
        method: r.method,
        path: basePath + r.path,
        headers: { ...plan.headers, ...r.headers },
        ...(r.body !== undefined ? { body: r.body } : {}),
      },
    }));
    if (!scenario && url.protocol === 'http:') {
      const bytes = plan.requests.map((r) =>
        serializeRequest(url, r.method, basePath + r.path, { ...plan.headers, ...r.headers }, r.body),
      );
      const connections: RawConnection[] = [];
      clock.whenCut(() => connections.forEach((c) => c.destroy()));
      return {
        user() {
          const connection = new RawConnection(url, plan.timeout);
          connections.push(connection);
          return (i) => sendRaw(connection, bytes[i]!, prepared[i]!, recorder, plan.timeout);
        },
        close: async () => undefined,
      };
    }
    const pool = await openPool(plan, url.origin);
    clock.whenCut(() => void pool.destroy().catch(() => undefined)); // cuts what is still in flight
    const ctx = {
      pool,
      recorder,
      headers: plan.headers,
      timeoutMs: plan.timeout,
      basePath,
      stopped: () => clock.stopped,
      cutOff: () => clock.cutOff,
    };
    return {
      user(id) {
        const user = new HttpUser(id, ctx);
        if (!scenario) return (i) => user.fire(prepared[i]!);
        let started: Promise<unknown> | undefined;
        return async (i) => {
          started ??= Promise.resolve(scenario.onStart?.(user));
          await started;
          if (!clock.stopped) await scenario.tasks[i]!.run(user);
        };
      },
      close: () => pool.destroy().catch(() => undefined),
    };
  }
}

async function openPool(plan: LoadPlan, origin: string): Promise<Pool> {
  const { Pool } = await import('../undici.ts');
  return new Pool(origin, {
    connections: plan.users + (plan.widen?.users ?? 0),
    pipelining: 1,
    headersTimeout: plan.timeout,
    bodyTimeout: plan.timeout,
    connect: { timeout: Math.min(plan.timeout, 10_000) },
    keepAliveTimeout: 30_000,
  });
}

function scriptError(err: unknown): { kind: string; message: string } {
  return { kind: (err as Error)?.name ?? 'Error', message: (err as Error)?.message ?? String(err) };
}

async function sendRaw(
  connection: RawConnection,
  request: Buffer,
  prepared: PreparedRequest,
  recorder: StatsRecorder,
  timeoutMs: number,
): Promise<void> {
  const started = performance.now();
  const outcome = await connection.send(request, prepared.options.method, prepared.name);
  const ms = performance.now() - started;
  if (outcome.failure) {
    return recorder.failure(prepared.name, outcome.failure, failureMs(outcome.failure, ms, timeoutMs));
  }
  if (outcome.status === undefined) return;
  const failure = statusFailure(outcome.status, prepared.expect, prepared.name);
  if (failure) recorder.failure(prepared.name, failure, ms);
  else recorder.success(prepared.name, ms);
}
