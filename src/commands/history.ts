import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeTarget, type ScalerConfig } from '../config/types.ts';
import { ScalerError } from '../errors.ts';
import { fleetHistoryHtml, historyHtml } from '../report/history-html.ts';
import type { FleetMember } from '../config/load.ts';
import type { CommandContext } from './context.ts';
import { openStateStore } from './state-home.ts';

/** Writes the stored history as a self-contained HTML picture (a fleet: a chart group per target); prints where. */
export async function historyCommand(members: FleetMember[], ctx: CommandContext, out: string): Promise<string> {
  if (members.length === 1) return historyOfOne(members[0]!.config!, ctx, out);
  const read = await Promise.all(members.map((m) => memberHistory(m, ctx)));
  const found = read.filter((r): r is NonNullable<typeof r> => r !== undefined);
  if (found.length === 0)
    throw new ScalerError("no target of the fleet has a history yet; run 'latency-scaler run' first");
  const path = resolve(out);
  await writeFile(path, fleetHistoryHtml(found));
  const decisions = found.reduce((n, f) => n + f.record.history.length, 0);
  ctx.out(
    ctx.output === 'json'
      ? `${JSON.stringify({ file: path, targets: found.length, decisions })}\n`
      : `wrote ${path} (${found.length} of ${members.length} targets, ${decisions} decisions)\n`,
  );
  return path;
}

/** A member's history for the fleet's page; none for a bad document or a target not yet run. */
async function memberHistory(member: FleetMember, ctx: CommandContext) {
  const config = member.config;
  if (!config) return undefined;
  const { record } = await (await openStateStore(config, ctx, 'read')).read(ctx.signal);
  if (!record || record.history.length === 0) return undefined;
  const bounds = { min: config.replicas.min, max: config.replicas.max };
  return { title: describeTarget(config.target), record, bounds };
}

async function historyOfOne(config: ScalerConfig, ctx: CommandContext, out: string): Promise<string> {
  const store = await openStateStore(config, ctx, 'read');
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
