// The manual rescale: sets the replicas through the same target and restarts the decay count,
// recorded in the state like any decision so the next run does not mistake it for a stranger's.
import { describeTarget, type ScalerConfig } from '../config/types.ts';
import { targetKey } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';
import { createStateStore } from '../state/index.ts';
import { appendHistory, emptyRecord } from '../state/types.ts';
import { createScaleTarget } from '../target/index.ts';
import { printJson, type CommandContext } from './context.ts';

export async function setReplicasCommand(config: ScalerConfig, ctx: CommandContext, replicas: number, force: boolean): Promise<void> {
  const { min, max } = config.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) throw new ConfigError([{ path: 'replicas (argument)', message: `${replicas} is not an integer ≥ 0` }]);
  if (!force && (replicas < min || replicas > max)) {
    throw new ConfigError([{ path: 'replicas (argument)', message: `${replicas} is outside replicas.min..max (${min}..${max}); pass --force to set it anyway` }]);
  }
  const [store, target] = await Promise.all([createStateStore(config), createScaleTarget(config)]);
  const { record, version } = await store.read();
  const status = await target.read(ctx.signal);
  const at = new Date(ctx.now()).toISOString();
  const message = `manual set ${status.replicas}→${replicas}${force ? ' (forced)' : ''}`;
  const prior = record ?? emptyRecord(targetKey(config.target));
  await store.write({
    ...prior,
    runsSinceChange: 0,
    lastReplicas: replicas,
    lastRunAt: at,
    lastScaleAt: replicas !== status.replicas ? at : prior.lastScaleAt,
    unsettledSince: null,
    history: appendHistory(prior.history, { at, current: status.replicas, desired: replicas, applied: replicas, action: 'manual', reason: message, observations: [] }, config.historyLimit),
  }, version);
  if (replicas !== status.replicas) await target.apply(replicas, status.replicas, ctx.signal);
  await target.recordEvent?.({ type: 'Normal', reason: 'ManualScale', message }).catch(() => undefined);
  if (ctx.output === 'json') printJson(ctx, { target: describeTarget(config.target), current: status.replicas, applied: replicas, message });
  else ctx.out(`${describeTarget(config.target)}: ${message}; decay count restarted\n`);
}
