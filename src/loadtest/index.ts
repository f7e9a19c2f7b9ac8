// The one place that picks a load-test engine, and the plan it is given.
import type { ScalerConfig } from '../config/types.ts';
import { ScalerError } from '../errors.ts';
import { LocalEngine } from './local.ts';
import { DEFAULT_PERCENTILES, type LoadPlan, type LoadTestEngine } from './types.ts';

export async function createEngine(config: ScalerConfig): Promise<LoadTestEngine> {
  if (config.loadTest.engine === 'local') return new LocalEngine();
  throw new ScalerError(`loadTest.engine ${config.loadTest.engine} is not available in this build yet`);
}

/** The default percentiles plus every percentile a target names. */
export function planFor(config: ScalerConfig): LoadPlan {
  const wanted = new Set(DEFAULT_PERCENTILES);
  for (const t of config.targets) if (t.type.kind === 'percentile') wanted.add(t.type.percentile);
  return { ...config.loadTest, percentiles: [...wanted].sort((a, b) => a - b) };
}
