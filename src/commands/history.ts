import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeTarget, type ScalerConfig } from '../config/types.ts';
import { ScalerError } from '../errors.ts';
import { historyHtml } from '../report/history-html.ts';
import { createStateStore } from '../state/index.ts';
import type { CommandContext } from './context.ts';

/** Writes the stored history as a self-contained HTML picture; prints where. */
export async function historyCommand(config: ScalerConfig, ctx: CommandContext, out: string): Promise<string> {
  const store = await createStateStore(config, ctx.env);
  const { record } = await store.read(ctx.signal);
  if (!record || record.history.length === 0)
    throw new ScalerError(`${store.describe()}: no history recorded yet; run 'latency-scaler run' first`);
  const path = resolve(out);
  // The entries do not carry the bounds: the picture shows today's, from the configuration.
  const bounds = { min: config.replicas.min, max: config.replicas.max };
  await writeFile(path, historyHtml(record, `latency-scaler: ${describeTarget(config.target)}`, { bounds }));
  ctx.out(
    ctx.output === 'json'
      ? `${JSON.stringify({ file: path, decisions: record.history.length })}\n`
      : `wrote ${path} (${record.history.length} decisions)\n`,
  );
  return path;
}
