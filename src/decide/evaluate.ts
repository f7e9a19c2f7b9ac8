// Observations × targets → one evaluation per target (pure).
import { isFloor, unitOf } from '../config/target-type.ts';
import type { TargetSpec } from '../config/types.ts';
import { percentileKey, type Observations, type RequestStats } from '../loadtest/types.ts';

export interface TargetEvaluation {
  target: string; // `GET /x mean`
  limit: number;
  value: number | null; // null: nothing measured (probe failure)
  /** How far past the target: observed/target for latencies, target/observed for the rps floor. */
  load: number | null;
  breached: boolean;
  text: string; // `GET /x mean 12.4 ms > 7 ms`
}

export function evaluateTargets(targets: readonly TargetSpec[], observations: Observations | undefined): TargetEvaluation[] {
  return targets.map((t) => evaluateTarget(t, observations?.requests[t.request]));
}

function evaluateTarget(t: TargetSpec, stats: RequestStats | undefined): TargetEvaluation {
  const name = `${t.request} ${t.label}`;
  const value = stats ? valueOf(t, stats) : null;
  if (value === null) {
    const why = !stats || stats.count === 0 ? 'no request completed' : `all ${stats.count} requests failed`;
    return { target: name, limit: t.target, value: null, load: null, breached: false, text: `${name}: not measured (${why})` };
  }
  const floor = isFloor(t.type);
  const load = floor ? (value === 0 ? Infinity : t.target / value) : t.target === 0 ? (value > 0 ? Infinity : 0) : value / t.target;
  // Strictly beyond the tolerance band: LPA compares with `>`, tolerance 0 by default.
  const breached = floor ? value < t.target * (1 - t.tolerance) : value > t.target * (1 + t.tolerance);
  const unit = unitOf(t.type);
  const op = breached ? (floor ? '<' : '>') : floor ? '≥' : '≤';
  return { target: name, limit: t.target, value, load, breached, text: `${name} ${round(value)}${unit} ${op} ${t.target}${unit}` };
}

/** Latency statistics need a successful sample; the failure ratio and rps are measured on any. */
function valueOf(t: TargetSpec, s: RequestStats): number | null {
  if (s.count === 0) return null;
  switch (t.type.kind) {
    case 'failureRatio':
      return s.failures / s.count;
    case 'rps':
      return s.rps;
    default:
      break;
  }
  if (s.count - s.failures <= 0) return null;
  switch (t.type.kind) {
    case 'mean': return s.mean;
    case 'median': return s.median;
    case 'min': return s.min;
    case 'max': return s.max;
    case 'percentile': return s.percentiles[percentileKey(t.type.percentile)] ?? null;
  }
}

export function round(n: number): number {
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100;
}
