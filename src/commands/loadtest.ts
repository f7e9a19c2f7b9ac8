import type { ScalerConfig } from '../config/types.ts';
import { createEngine, planFor } from '../loadtest/index.ts';
import type { Observations } from '../loadtest/types.ts';
import { flatStats, progressLine, statsTable } from '../report/text.ts';
import { printJson, type CommandContext } from './context.ts';

export async function loadtestCommand(config: ScalerConfig, ctx: CommandContext): Promise<Observations> {
  const progress = ctx.progress;
  const engine = await createEngine(config, { onProgress: progress ? (p) => progress(progressLine(p)) : undefined });
  const observations = await engine.run(planFor(config), ctx.signal);
  if (progress) progress('\n');
  if (ctx.output === 'json') printJson(ctx, flatStats(observations));
  else ctx.out(statsTable(observations));
  return observations;
}
