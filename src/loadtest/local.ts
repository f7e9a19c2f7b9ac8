// The local engine: Locust's closed workload model (users started at spawnRate, each picking a
// request by weight, then waiting its think time) on undici.
import { Agent, request } from 'undici';
import type { RequestSpec } from '../config/types.ts';
import { mergeSets, newSampleSet, recordFailure, summarise, type SampleSet } from './summary.ts';
import type { LoadPlan, LoadTestEngine, Observations, RequestStats } from './types.ts';

export class LocalEngine implements LoadTestEngine {
  async run(plan: LoadPlan, signal?: AbortSignal): Promise<Observations> {
    const agent = new Agent({ connections: plan.users, pipelining: 1, keepAliveTimeout: 10_000 });
    const sets = new Map<string, SampleSet>(plan.requests.map((r) => [r.name, newSampleSet()]));
    const startedAt = Date.now();
    const measureFrom = startedAt + plan.warmupMs;
    const deadline = startedAt + plan.durationMs;
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => stop.abort(), plan.durationMs);
    const totalWeight = plan.requests.reduce((sum, r) => sum + r.weight, 0);
    const pick = (): RequestSpec => {
      let x = Math.random() * totalWeight;
      for (const r of plan.requests) if ((x -= r.weight) < 0) return r;
      return plan.requests.at(-1)!;
    };

    const user = async (): Promise<void> => {
      while (!stop.signal.aborted && Date.now() < deadline) {
        const spec = pick();
        const t0 = performance.now();
        const outcome = await send(agent, plan, spec, stop.signal);
        const ms = performance.now() - t0;
        // Requests cut short by the end of the run are not failures of the service.
        if (outcome.aborted && stop.signal.aborted) break;
        if (Date.now() >= measureFrom) {
          const set = sets.get(spec.name)!;
          if (outcome.failure) recordFailure(set, outcome.failure.kind, outcome.failure.message);
          else set.latencies.push(ms);
        }
        const wait = plan.waitTime.minMs + Math.random() * (plan.waitTime.maxMs - plan.waitTime.minMs);
        if (wait > 0) await sleep(Math.min(wait, deadline - Date.now()), stop.signal);
      }
    };

    const users: Promise<void>[] = [];
    try {
      for (let i = 0; i < plan.users && !stop.signal.aborted; i++) {
        users.push(user());
        if (i + 1 < plan.users) await sleep(1000 / plan.spawnRate, stop.signal);
      }
      await Promise.all(users);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      await agent.destroy();
    }
    const measuredMs = Math.max(1, Math.min(Date.now(), deadline) - measureFrom);
    const requests: Record<string, RequestStats> = {};
    for (const [name, set] of sets) requests[name] = summarise(name, set, measuredMs, plan.percentiles);
    return {
      engine: 'local',
      startedAt: new Date(startedAt).toISOString(),
      measuredMs,
      requests,
      aggregated: summarise('Aggregated', mergeSets([...sets.values()]), measuredMs, plan.percentiles),
    };
  }
}

interface Outcome {
  failure?: { kind: string; message: string };
  aborted?: boolean;
}

async function send(agent: Agent, plan: LoadPlan, spec: RequestSpec, stop: AbortSignal): Promise<Outcome> {
  const timeout = AbortSignal.timeout(plan.timeoutMs);
  try {
    const res = await request(plan.host + spec.path, {
      dispatcher: agent,
      method: spec.method,
      headers: { ...plan.headers, ...spec.headers },
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      signal: AbortSignal.any([stop, timeout]),
    });
    await res.body.dump();
    const ok = spec.expectStatus ? spec.expectStatus.includes(res.statusCode) : res.statusCode >= 200 && res.statusCode < 400;
    return ok ? {} : { failure: { kind: `HTTP ${res.statusCode}`, message: `${spec.method} ${spec.path} answered ${res.statusCode}` } };
  } catch (err) {
    if (timeout.aborted) return { failure: { kind: 'timeout', message: `${spec.method} ${spec.path} took longer than ${plan.timeoutMs} ms` } };
    if (stop.aborted) return { aborted: true };
    const code = (err as { code?: string }).code ?? (err as Error).name;
    return { failure: { kind: code, message: `${spec.method} ${spec.path}: ${(err as Error).message}` } };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
