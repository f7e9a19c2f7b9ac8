// The plan a load-test engine is given: the configured load plus the percentiles to report.
import type { LoadTestOnlyConfig, ScalerConfig } from '../config/types.ts';
import { DEFAULT_PERCENTILES, type LoadPlan } from './types.ts';

/** Saturation, for the widened probe: an answer this many times the largest latency target. */
const SATURATION_FACTOR = 5;
/** How many times the users a widened probe runs (at most this many more). */
const WIDEN_BY = 4;
const MAX_EXTRA_USERS = 16;

/**
 * The default percentiles plus every percentile a target names. Under the model policy the probe widens
 * when it sees saturation (the model sizes an overload from the share served: a handful of requests
 * cannot tell ×1.5 from ×3).
 */
export function planFor(
  config: Pick<LoadTestOnlyConfig, 'loadTest' | 'targets'> & Partial<Pick<ScalerConfig, 'scaleUp'>>,
): LoadPlan {
  const wanted = new Set(DEFAULT_PERCENTILES);
  for (const t of config.targets) if (t.type.kind === 'percentile') wanted.add(t.type.percentile);
  const plan: LoadPlan = { ...config.loadTest, percentiles: [...wanted].sort((a, b) => a - b) };
  // The probe's latency targets (a production target's query is not the probe's).
  const latencies = config.targets.filter((t) => !['failureRatio', 'rps', 'query'].includes(t.type.kind));
  if (config.scaleUp?.mode === 'model' && latencies.length > 0) {
    const users = Math.min(MAX_EXTRA_USERS, plan.users * (WIDEN_BY - 1));
    plan.widen = { aboveMs: SATURATION_FACTOR * Math.max(...latencies.map((t) => t.target)), users };
  }
  return plan;
}

/** How long a load test takes from start to statistics, for deadlines (Lambda's time limit); none: 0. */
export function estimatedLoadMs(config: Pick<ScalerConfig, 'loadTest' | 'api'>): number {
  const { loadTest } = config;
  if (!loadTest) return 0; // probe-less: no load test
  // The ramp is part of the duration; the requests in flight at its end are awaited up to their timeout.
  if (loadTest.engine === 'local') return loadTest.duration + loadTest.timeout;
  const rampMs = (loadTest.users / loadTest.spawnRate) * 1000;
  return rampMs + loadTest.duration + 3_500 + 2 * config.api.timeout; // + one worker report, + the master's calls
}
