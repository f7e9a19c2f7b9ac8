// `pause` / `resume`: sets or clears the pause where the target keeps it (Kubernetes: the
// latency-scaler.io/paused annotation on the workload), as `kubectl annotate` would, and says what it did.
import { describeTarget, type ScalerConfig } from '../config/types.ts';
import { setPaused } from '../manual.ts';
import { createScaleTarget } from '../target/index.ts';
import { printJson, type CommandContext } from './context.ts';

export async function pauseCommand(config: ScalerConfig, ctx: CommandContext, paused: boolean): Promise<void> {
  const target = await createScaleTarget(config, ctx.env);
  const { changed, message } = await setPaused({ target, signal: ctx.signal }, paused);
  if (ctx.output === 'json') printJson(ctx, { target: describeTarget(config.target), paused, changed, message });
  else ctx.out(`${message}\n`);
}
