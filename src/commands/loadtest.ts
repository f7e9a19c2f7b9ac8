import type { LoadTestOnlyConfig } from '../config/types.ts';
import { planFor } from '../loadtest/plan.ts';
import { engineFor } from './engine.ts';
import type { Observations } from '../loadtest/types.ts';
import { flatStats, statsTable } from '../report/text.ts';
import { printJson, type CommandContext } from './context.ts';

export async function loadtestCommand(config: LoadTestOnlyConfig, ctx: CommandContext): Promise<Observations> {
  const engine = await engineFor(config, ctx);
  const observations = await engine.run(planFor(config), ctx.signal);
  if (ctx.progress) ctx.progress('\n');
  if (ctx.output === 'json') printJson(ctx, flatStats(observations));
  else ctx.out(statsTable(observations));
  return observations;
}
