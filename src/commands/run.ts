import type { ScalerConfig } from '../config/types.ts';
import { engineFor } from './engine.ts';
import { decisionText, statsTable } from '../report/text.ts';
import { RunFailed } from '../errors.ts';
import { runOnce, type RunOptions, type RunResult } from '../run.ts';
import { createStateStore } from '../state/index.ts';
import { createScaleTarget } from '../target/index.ts';
import { printJson, type CommandContext } from './context.ts';

export async function runCommand(config: ScalerConfig, ctx: CommandContext, options: RunOptions): Promise<RunResult> {
  const [store, target] = await Promise.all([createStateStore(config, ctx.env), createScaleTarget(config, ctx.env)]);
  let result: RunResult;
  try {
    result = await runOnce(
      config,
      {
        store,
        target,
        engine: () => engineFor(config, ctx),
        now: ctx.now,
        log: ctx.log,
        signal: ctx.signal,
        deadline: ctx.deadline,
      },
      options,
    );
  } catch (err) {
    if (err instanceof RunFailed) print(ctx, (err as RunFailed<RunResult>).result); // runOnce's result
    throw err;
  }
  print(ctx, result);
  return result;
}

function print(ctx: CommandContext, result: RunResult): void {
  if (ctx.output === 'json') return printJson(ctx, result.record);
  if (ctx.progress && result.observations) ctx.progress('\n');
  if (result.observations) ctx.out(statsTable(result.observations));
  ctx.out(decisionText(result.record));
}
