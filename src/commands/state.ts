import type { ScalerConfig } from '../config/types.ts';
import { createStateStore } from '../state/index.ts';
import type { StateStore } from '../state/types.ts';
import { printJson, type CommandContext } from './context.ts';
import { openStateStore } from './state-home.ts';

export async function stateShowCommand(config: ScalerConfig, ctx: CommandContext): Promise<void> {
  const store = await openStateStore(config, ctx, 'read');
  const { record, version } = await store.read(ctx.signal);
  if (ctx.output === 'json') return printJson(ctx, { store: store.describe(), version, record });
  if (!record) return ctx.out(`${store.describe()}: no state recorded yet\n`);
  const lines = [
    `${store.describe()} (version ${version})`,
    `calm runs: ${record.calmRuns}; last replicas: ${record.lastReplicas ?? '-'}; ` +
      `last run: ${record.lastRunAt ?? '-'}; last scale: ${record.lastScaleAt ?? '-'}`,
    ...record.history.slice(-10).map((h) => `  ${h.at}  ${h.current}→${h.applied}  ${h.reason}`),
  ];
  ctx.out(`${lines.join('\n')}\n`);
}

/** Removes this target's record; what is not ours is refused (exit 2, naming it) unless `force`. */
export async function stateResetCommand(config: ScalerConfig, ctx: CommandContext, force = false): Promise<void> {
  const store = await createStateStore(config, ctx.env);
  await store.remove({ force });
  ctx.out(
    ctx.output === 'json'
      ? `${JSON.stringify({ store: store.describe(), reset: true })}\n`
      : `${store.describe()}: state cleared\n`,
  );
}

const INIT_RESULT = {
  created: 'table created',
  exists: 'table already exists',
  'nothing to create': 'nothing to create',
};

/** First use of DynamoDB: creates the table (on demand, point-in-time recovery). Other stores need nothing. */
export async function stateInitCommand(config: ScalerConfig, ctx: CommandContext): Promise<void> {
  const store = await createStateStore(config, ctx.env);
  const withTable = store as StateStore & { createTable?: () => Promise<'created' | 'exists'> };
  const result = withTable.createTable ? await withTable.createTable() : 'nothing to create';
  ctx.out(
    ctx.output === 'json'
      ? `${JSON.stringify({ store: store.describe(), init: result })}\n`
      : `${store.describe()}: ${INIT_RESULT[result]}\n`,
  );
}
