// The manual rescale: sets the replicas through the same target and restarts the decay count,
// recorded in the state like any decision so the next run does not mistake it for a stranger's.
// It claims the state first and puts it back if the apply fails, as a run does (DESIGN §1).
import { randomUUID } from 'node:crypto';
import { describeTarget, type ScalerConfig } from '../config/types.ts';
import { ConfigError, messageOf, TargetError } from '../errors.ts';
import { appendHistory, emptyRecord, type StateRecord } from '../model/state-record.ts';
import { targetKey } from '../model/target-key.ts';
import { apply, claim, restore } from '../run.ts';
import { createStateStore } from '../state/index.ts';
import { createScaleTarget } from '../target/index.ts';
import { printJson, type CommandContext } from './context.ts';

export async function setReplicasCommand(
  config: ScalerConfig,
  ctx: CommandContext,
  replicas: number,
  force: boolean,
): Promise<void> {
  const { min, max } = config.replicas;
  const argument = 'replicas (argument)';
  if (!Number.isInteger(replicas) || replicas < 0)
    throw new ConfigError([{ path: argument, message: `${replicas} is not an integer ≥ 0` }]);
  if (!force && (replicas < min || replicas > max)) {
    const message = `${replicas} is outside replicas.min..max (${min}..${max}); pass --force to set it anyway`;
    throw new ConfigError([{ path: argument, message }]);
  }
  const [store, target] = await Promise.all([createStateStore(config, ctx.env), createScaleTarget(config, ctx.env)]);
  const { record, version } = await store.read(ctx.signal);
  const status = await target.read(ctx.signal);
  if (status.paused && !force) {
    throw new TargetError(
      `${target.describe()} is paused (annotation latency-scaler.io/paused): pass --force to set it anyway`,
    );
  }
  ctx.signal.throwIfAborted();
  const at = new Date(ctx.now()).toISOString();
  const message = `manual set ${status.replicas}→${replicas}${force ? ' (forced)' : ''}`;
  const prior = record ?? emptyRecord(targetKey(config.target));
  const entry = {
    at,
    current: status.replicas,
    desired: replicas,
    applied: replicas,
    needed: replicas,
    action: 'manual',
    reason: message,
    observations: [],
  };
  const next: StateRecord = {
    ...prior,
    calmRuns: 0,
    lastReplicas: replicas,
    lastRunAt: at,
    lastScaleAt: replicas !== status.replicas ? at : prior.lastScaleAt,
    unsettledSince: null,
    changeInFlightSince: replicas !== status.replicas ? at : prior.changeInFlightSince,
    claim: { id: randomUUID(), at },
    history: appendHistory(prior.history, entry, config.history.limit),
  };
  const written = await claim(store, next, version, ctx.log);
  if (replicas !== status.replicas) {
    const change = { applied: replicas, current: status.replicas };
    const failure = await apply(target, change, ctx.log);
    if (failure) {
      await restore(store, prior, written, change, ctx.log);
      throw new TargetError(`${target.describe()}: ${message} failed: ${messageOf(failure)}`, { cause: failure });
    }
  }
  await target.recordEvent?.({ type: 'Normal', reason: 'ManualScale', message }).catch(() => undefined);
  if (ctx.output === 'json')
    printJson(ctx, { target: describeTarget(config.target), current: status.replicas, applied: replicas, message });
  else ctx.out(`${describeTarget(config.target)}: ${message}; decay count restarted\n`);
}
