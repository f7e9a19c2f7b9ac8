// `set-replicas`: checks the count against replicas.min..max, then makes the manual change
// (manual.ts) through the configured state store and target, and prints what it did.
import { describeTarget, type ScalerConfig } from '../config/types.ts';
import { InvalidArgumentError } from '../errors.ts';
import { applyManualChange, checkManualCount } from '../manual.ts';
import { createScaleTarget } from '../target/index.ts';
import { printJson, type CommandContext } from './context.ts';
import { openStateStore } from './state-home.ts';

export async function setReplicasCommand(
  config: ScalerConfig,
  ctx: CommandContext,
  replicas: number,
  force: boolean,
): Promise<void> {
  const issue = checkManualCount(replicas, config.replicas, { given: force, how: 'pass --force' });
  if (issue) throw new InvalidArgumentError([issue]);
  const [store, target] = await Promise.all([openStateStore(config, ctx, 'write'), createScaleTarget(config, ctx.env)]);
  const deps = { store, target, now: ctx.now, log: ctx.log, signal: ctx.signal };
  const { current, applied, message } = await applyManualChange(config, deps, replicas, force);
  if (ctx.output === 'json') printJson(ctx, { target: describeTarget(config.target), current, applied, message });
  else ctx.out(`${describeTarget(config.target)}: ${message}; decay count restarted\n`);
}
