// Accumulates outcomes per request name while the load runs, and summarises them (the reduce step).
import { LatencyHistogram } from './histogram.ts';
import type { Failure } from './failures.ts';
import { percentileKey, type FailureKind, type RequestStats } from './types.ts';

interface Entry {
  /**
   * Every timed request, failures included, as Locust counts them: a timeout or a fast 503 is
   * what the user got. Leaving failures out made an outage look fast (DESIGN §4.1).
   */
  hist: LatencyHistogram;
  failures: Record<string, FailureKind>;
  failureCount: number;
  untimed: number; // failures with no request time (a scenario script's own exception)
  unreachable: number; // failures that never reached the service (refused, unknown host)
  /** Count and sum of the timed requests that started in the measured window's first and second half. */
  halves: [{ n: number; sum: number }, { n: number; sum: number }];
}

const emptyEntry = (): Entry => ({
  hist: new LatencyHistogram(),
  failures: {},
  failureCount: 0,
  untimed: 0,
  unreachable: 0,
  halves: [
    { n: 0, sum: 0 },
    { n: 0, sum: 0 },
  ],
});

/**
 * At most this many request names get their own row (~94 KiB of histogram each): a scenario script that
 * names requests by their id (`/items/${id}`) made thousands in seconds (542 MB). Past it, new names
 * share one row, OTHER_NAMES, and the run warns once.
 */
export const MAX_REQUEST_NAMES = 200;
export const OTHER_NAMES = '(other names)';

export class StatsRecorder {
  private readonly entries = new Map<string, Entry>();
  /** The names past MAX_REQUEST_NAMES: the first one, and how many requests they had. */
  folded: { first: string; requests: number } | undefined;
  /** False during warm-up: outcomes are not recorded. */
  measuring = true;
  /** Sees each timed outcome as it is recorded (the widened probe watches for saturation). */
  onTimed?: ((ms: number) => void) | undefined;
  /** The measured window (performance.now() at its start, its planned length): the halves split it. */
  private window: { from: number; spanMs: number } | undefined;

  /** Starts the measured window: requests are split by when they started, before or after its middle. */
  measureFrom(from: number, spanMs: number): void {
    this.window = { from, spanMs };
  }

  constructor(names: readonly string[] = []) {
    for (const n of names) this.entry(n);
  }

  success(name: string, ms: number): void {
    if (!this.measuring) return;
    const e = this.entry(name);
    e.hist.record(ms);
    this.timed(e, ms);
  }

  private timed(e: Entry, ms: number): void {
    const w = this.window;
    if (w) {
      const started = performance.now() - ms;
      if (started >= w.from) {
        const half = e.halves[started < w.from + w.spanMs / 2 ? 0 : 1];
        half.n++;
        half.sum += ms;
      }
    }
    this.onTimed?.(ms);
  }

  /** `ms`: the request's elapsed time (for a timeout, at least the timeout); omitted when untimed. */
  failure(name: string, failure: Failure, ms?: number): void {
    if (!this.measuring) return;
    const e = this.entry(name);
    e.failureCount++;
    if (failure.unreachable) e.unreachable++;
    if (ms === undefined) e.untimed++;
    else {
      e.hist.record(ms);
      this.timed(e, ms);
    }
    const kind = e.failures[failure.kind];
    if (kind) kind.count++;
    else e.failures[failure.kind] = { count: 1, sample: failure.message };
  }

  /** Requests and failures so far, for the progress line. */
  totals(): { requests: number; failures: number; meanMs: number } {
    let requests = 0;
    let failures = 0;
    let sum = 0;
    let timed = 0;
    for (const e of this.entries.values()) {
      requests += e.hist.count + e.untimed;
      failures += e.failureCount;
      sum += e.hist.mean * e.hist.count;
      timed += e.hist.count;
    }
    return { requests, failures, meanMs: timed ? sum / timed : 0 };
  }

  summarise(
    measuredMs: number,
    percentiles: readonly number[],
  ): { requests: Record<string, RequestStats>; aggregated: RequestStats } {
    const requests: Record<string, RequestStats> = {};
    const all = emptyEntry();
    for (const [name, e] of this.entries) {
      requests[name] = toStats(name, e, measuredMs, percentiles, this.window?.spanMs);
      all.hist.add(e.hist);
      all.failureCount += e.failureCount;
      all.untimed += e.untimed;
      all.unreachable += e.unreachable;
      for (const i of [0, 1] as const) {
        all.halves[i].n += e.halves[i].n;
        all.halves[i].sum += e.halves[i].sum;
      }
      for (const [k, f] of Object.entries(e.failures)) {
        const a = all.failures[k];
        if (a) a.count += f.count;
        else all.failures[k] = { ...f };
      }
    }
    return { requests, aggregated: toStats('Aggregated', all, measuredMs, percentiles, this.window?.spanMs) };
  }

  private entry(name: string): Entry {
    let e = this.entries.get(name);
    if (e) return e;
    if (this.entries.size >= MAX_REQUEST_NAMES) {
      this.folded = { first: this.folded?.first ?? name, requests: (this.folded?.requests ?? 0) + 1 };
      e = this.entries.get(OTHER_NAMES);
      if (!e) this.entries.set(OTHER_NAMES, (e = emptyEntry()));
      return e;
    }
    this.entries.set(name, (e = emptyEntry()));
    return e;
  }
}

function toStats(
  name: string,
  e: Entry,
  measuredMs: number,
  percentiles: readonly number[],
  spanMs?: number,
): RequestStats {
  const count = e.hist.count + e.untimed;
  const stats: RequestStats = {
    name,
    count,
    failures: e.failureCount,
    timed: e.hist.count,
    unreachable: e.unreachable,
    rps: measuredMs > 0 ? count / (measuredMs / 1000) : 0,
    min: e.hist.min,
    max: e.hist.max,
    mean: e.hist.mean,
    median: e.hist.percentile(50),
    percentiles: {},
    failuresByKind: e.failures,
  };
  for (const q of percentiles) stats.percentiles[percentileKey(q)] = e.hist.percentile(q);
  const [first, second] = e.halves;
  if (spanMs !== undefined && first.n > 0 && second.n > 0) {
    const half = (h: { n: number; sum: number }) => ({ count: h.n, mean: Math.round((h.sum / h.n) * 100) / 100 });
    stats.halves = { spanMs, first: half(first), second: half(second) };
  }
  return stats;
}
