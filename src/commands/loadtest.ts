import type { ScalerConfig } from '../config/types.ts';
import { createEngine, planFor } from '../loadtest/index.ts';
import type { Observations } from '../loadtest/types.ts';
import { statsTable } from '../report/text.ts';
import { printJson, type CommandContext } from './context.ts';

export async function loadtestCommand(config: ScalerConfig, ctx: CommandContext): Promise<Observations> {
  const engine = await createEngine(config);
  const observations = await engine.run(planFor(config), ctx.signal);
  if (ctx.output === 'json') printJson(ctx, observations);
  else ctx.out(statsTable(observations));
  return observations;
}
