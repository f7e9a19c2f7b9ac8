// Wiring a load-test engine for a command: the progress line, and the Locust workers scaled
// through the same /scale code as any target (the composition root owns this, not loadtest/).
import type { LoadTestOnlyConfig } from '../config/types.ts';
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
          scaleWorkers: async (replicas: number, signal?: AbortSignal) => {
            // api.timeout and api.retryFor bound these calls as they bound the target's.
            const target = await createScaleTarget({ target: workers, api: config.api }, ctx.env);
            const { replicas: current } = await target.read(signal);
            if (current !== replicas) await target.apply(replicas, current, signal);
          },
        }
      : {}),
  });
}
