// The plan a load-test engine is given: the configured load plus the percentiles to report.
import type { LoadTestOnlyConfig, ScalerConfig } from '../config/types.ts';
import { DEFAULT_PERCENTILES, type LoadPlan } from './types.ts';

/** The default percentiles plus every percentile a target names. */
export function planFor(config: Pick<LoadTestOnlyConfig, 'loadTest' | 'targets'>): LoadPlan {
  const wanted = new Set(DEFAULT_PERCENTILES);
  for (const t of config.targets) if (t.type.kind === 'percentile') wanted.add(t.type.percentile);
  return { ...config.loadTest, percentiles: [...wanted].sort((a, b) => a - b) };
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
