// The remote engine: drives an existing Locust master (and its workers) over its web API, so
// services that need more load than one pod can give are measured the same way.
import type { LocustEngineConfig } from '../config/types.ts';
import { ProbeError } from '../errors.ts';
import { wait } from '../wait.ts';
import { LocustMaster, parseCsv, type WorkerInfo } from './locust-master.ts';
import { toObservations } from './locust-stats.ts';
import type { LoadPlan, LoadTestEngine, Observations } from './types.ts';
import { plural } from '../plural.ts';

/** Workers a swarm can use; `missing` ones stopped sending heartbeats (a known state after a rescale). */
export const USABLE = new Set(['ready', 'spawning', 'running', 'stopped']);
const REPORT_INTERVAL_MS = 3_500; // workers send statistics every 3 s: wait one report after /stop
const CLEANUP_STOP_TIMEOUT_MS = 5_000; // the /stop after a failure: short, it delays the failure's report

export interface LocustEngineDeps {
  /** Scales the worker Deployment; given when loadTest.locust.workers.target is set. */
  scaleWorkers?: (replicas: number, signal?: AbortSignal) => Promise<void>;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** The limit on each call to the master's API (api.timeout). */
  callTimeoutMs: number;
}

export class LocustEngine implements LoadTestEngine {
  private readonly config: LocustEngineConfig & { url: string };
  private readonly master: LocustMaster;
  private readonly deps: LocustEngineDeps;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => number;

  constructor(config: LocustEngineConfig & { url: string }, deps: LocustEngineDeps) {
    this.config = config;
    this.master = new LocustMaster(config.url, config, deps.callTimeoutMs);
    this.deps = deps;
    this.sleep = deps.sleep ?? wait;
    this.now = deps.now ?? Date.now;
  }

  async run(plan: LoadPlan, signal?: AbortSignal): Promise<Observations> {
    const workers = this.config.workers;
    if (workers) {
      const wanted = Math.ceil(plan.users / workers.usersPerWorker);
      await this.deps.scaleWorkers?.(wanted, signal);
      await this.waitForWorkers(wanted, workers.readyTimeout, signal);
    }
    // Set before /swarm is sent, not when it answers: a lost or late answer, or the signal firing
    // during the call, may leave the master swarming all the same.
    let swarming = false;
    try {
      await this.master.reset(signal);
      swarming = true;
      await this.master.swarm(plan.users, plan.spawnRate, plan.host, signal);
      const rampMs = Math.ceil((plan.users / plan.spawnRate) * 1000);
      await this.sleep(rampMs, signal);
      await this.expectUsers(plan.users, signal);
      // Statistics cover the run after ramp-up and warm-up, as the local engine's after warm-up.
      await this.sleep(plan.warmup, signal);
      await this.master.reset(signal);
      const startedAt = this.now();
      await this.sleep(plan.duration - plan.warmup, signal);
      const distributed = (await this.master.status(signal)).workers !== undefined;
      await this.master.stop(signal);
      swarming = false;
      if (distributed) await this.sleep(REPORT_INTERVAL_MS, signal);
      const [requests, failures] = await Promise.all([
        this.master.requestsCsv(signal),
        this.master.failuresCsv(signal),
      ]);
      return toObservations(parseCsv(requests), parseCsv(failures), startedAt, plan.duration - plan.warmup);
    } finally {
      // Never leave a swarm running: on every exit once /swarm was sent (abort, deadline, lost answer,
      // any failure) send /stop (idempotent), not with the run's signal (it may have fired), bounded,
      // and never thrown over the original error. A master that stays unreachable cannot be stopped,
      // nor can a process that is killed or ends at a second signal before it gets here.
      if (swarming) await this.master.stop(undefined, CLEANUP_STOP_TIMEOUT_MS).catch(() => undefined);
    }
  }

  /**
   * A worker killed moments ago is still listed as ready until its heartbeats lapse (~3 s), and
   * takes its share of users with it: measuring then would report latency under less load than
   * configured. So the swarm must reach its user count (reported with the workers' heartbeats).
   */
  private async expectUsers(users: number, signal?: AbortSignal): Promise<void> {
    const deadline = this.now() + 2 * REPORT_INTERVAL_MS;
    for (;;) {
      const status = await this.master.status(signal);
      if (status.user_count >= users) return;
      if (this.now() >= deadline) {
        const missing = (status.workers ?? [])
          .filter((w) => w.state === 'missing' || w.user_count === 0)
          .map((w) => `${w.id} (${w.state})`);
        throw new ProbeError(
          `locust master ${this.config.url}: the swarm reached only ${status.user_count} of ${users} users` +
            `${missing.length ? `; workers running none: ${missing.join(', ')}` : ''}. ` +
            'Not measuring under less load than configured',
        );
      }
      await this.sleep(500, signal);
    }
  }

  /** Until the master reports `wanted` usable workers, or the deadline passes. */
  async waitForWorkers(wanted: number, timeoutMs: number, signal?: AbortSignal): Promise<WorkerInfo[]> {
    const deadline = this.now() + timeoutMs;
    let last: WorkerInfo[];
    for (;;) {
      const status = await this.master.status(signal);
      if (!status.workers)
        throw new ProbeError(
          `locust master ${this.config.url} does not run distributed (no workers list); ` +
            'remove loadTest.locust.workers or start it with --master',
        );
      last = status.workers;
      const usable = last.filter((w) => USABLE.has(w.state));
      if (usable.length >= wanted) return usable;
      if (this.now() >= deadline) break;
      await this.sleep(1000, signal);
    }
    const missing = last.filter((w) => w.state === 'missing').map((w) => w.id);
    const ready = last.filter((w) => USABLE.has(w.state)).length;
    const silent = missing.length ? `; stopped reporting (missing heartbeats): ${missing.join(', ')}` : '';
    throw new ProbeError(
      `locust master ${this.config.url}: expected ${plural(wanted, 'ready worker')} within ${timeoutMs / 1000}s, ` +
        `it reports ${ready} ready of ${last.length}${silent}`,
    );
  }
}
