// Wiring a load-test engine for a command: the progress line, and the Locust workers scaled
// through the same /scale code as any target (the composition root owns this, not loadtest/).
import type { LoadTestOnlyConfig, ScalerConfig } from '../config/types.ts';
import { createEngine } from '../loadtest/index.ts';
import type { LoadTestEngine } from '../loadtest/types.ts';
import { progressLine } from '../report/text.ts';
import { createScaleTarget } from '../target/index.ts';
import type { CommandContext } from './context.ts';

export function engineFor(config: LoadTestOnlyConfig, ctx: CommandContext): Promise<LoadTestEngine> {
  const progress = ctx.progress;
  const workers = config.loadTest.locust?.workers?.target;
  return createEngine(config, {
    onProgress: progress ? (p) => progress(progressLine(p)) : undefined,
    ...(workers
      ? {
          scaleWorkers: (replicas: number, signal?: AbortSignal) =>
            scaleLocustWorkers({ target: workers, api: config.api }, ctx.env, replicas, signal),
        }
      : {}),
  });
}

/**
 * Scales the Locust worker Deployment through the same /scale code as any target (api.timeout and
 * api.retryFor bound these calls as they bound the target's). `expected`: the count the caller saw (the
 * console's form); the patch then fails as a conflict if the Deployment moved since.
 */
export async function scaleLocustWorkers(
  workers: Pick<ScalerConfig, 'target' | 'api'>,
  env: Record<string, string | undefined>,
  replicas: number,
  signal?: AbortSignal,
  expected?: number,
): Promise<void> {
  const target = await createScaleTarget(workers, env);
  const current = expected ?? (await target.read(signal)).replicas;
  if (current !== replicas) await target.apply(replicas, current, signal);
}
