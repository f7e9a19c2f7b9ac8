// Pure aggregation of recorded samples into RequestStats.
import { percentileKey, type FailureKind, type RequestStats } from './types.ts';

export interface SampleSet {
  latencies: number[]; // ms, successful requests only
  failures: Record<string, FailureKind>;
  failureCount: number;
}

export function newSampleSet(): SampleSet {
  return { latencies: [], failures: {}, failureCount: 0 };
}

export function recordFailure(set: SampleSet, kind: string, message: string): void {
  set.failureCount++;
  const entry = set.failures[kind];
  if (entry) entry.count++;
  else set.failures[kind] = { count: 1, sample: message };
}

/** Nearest-rank percentiles over the sorted sample (exact, for small samples). */
export function summarise(name: string, set: SampleSet, measuredMs: number, percentiles: readonly number[]): RequestStats {
  const sorted = Float64Array.from(set.latencies).sort();
  const n = sorted.length;
  const count = n + set.failureCount;
  const at = (q: number): number => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil((q / 100) * n) - 1))]!);
  let sum = 0;
  for (const v of sorted) sum += v;
  const stats: RequestStats = {
    name,
    count,
    failures: set.failureCount,
    rps: measuredMs > 0 ? count / (measuredMs / 1000) : 0,
    min: n ? sorted[0]! : 0,
    max: n ? sorted[n - 1]! : 0,
    mean: n ? sum / n : 0,
    median: at(50),
    percentiles: {},
    failuresByKind: set.failures,
  };
  for (const q of percentiles) stats.percentiles[percentileKey(q)] = at(q);
  return stats;
}

export function mergeSets(sets: readonly SampleSet[]): SampleSet {
  const merged = newSampleSet();
  for (const s of sets) {
    for (const v of s.latencies) merged.latencies.push(v);
    merged.failureCount += s.failureCount;
    for (const [kind, f] of Object.entries(s.failures)) {
      const entry = merged.failures[kind];
      if (entry) entry.count += f.count;
      else merged.failures[kind] = { ...f };
    }
  }
  return merged;
}
