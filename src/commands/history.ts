import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeTarget, type ScalerConfig } from '../config/types.ts';
import { ExitCode, messageOf, ScalerError } from '../errors.ts';
import { fleetHistoryHtml, historyHtml, type FailedMember, type FleetMember } from '../report/history-html.ts';
import type { FleetMember as FleetDocument } from '../config/load.ts';
import type { CommandContext } from './context.ts';
import { openStateStore } from './state-home.ts';
import { plural } from '../plural.ts';

/**
 * Writes the stored history as a self-contained HTML picture (a fleet: a chart group per target); prints
 * where. A fleet member whose document is invalid or whose record cannot be read is shown on the page
 * with its error and the others are drawn; the exit code is then 1, as `status` gives for such a fleet.
 */
export async function historyCommand(members: FleetDocument[], ctx: CommandContext, out: string): Promise<number> {
  if (members.length === 1) return historyOfOne(members[0]!.config!, ctx, out);
  const read = await Promise.all(members.map((m) => memberHistory(m, ctx)));
  const drawn = read.filter((r): r is FleetMember => r !== undefined && 'record' in r);
  const failed = read.filter((r): r is FailedMember => r !== undefined && 'error' in r);
  const errors = failed.map((f) => `${f.title}: error: ${f.error}`);
  if (drawn.length === 0)
    throw new ScalerError(
      `no target of the fleet has a history yet; run 'latency-scaler run' first${errors.map((e) => `; ${e}`).join('')}`,
    );
  const path = resolve(out);
  await writeFile(path, fleetHistoryHtml(read.filter((r) => r !== undefined)));
  const decisions = drawn.reduce((n, f) => n + f.record.history.length, 0);
  const drawnOf = `${drawn.length} of ${members.length} targets`; // a fleet: two at least
  const wrote = `wrote ${path} (${drawnOf}, ${plural(decisions, 'decision')})`;
  ctx.out(
    ctx.output === 'json'
      ? `${JSON.stringify({
          file: path,
          targets: drawn.length,
          decisions,
          failed: failed.map((f) => ({ target: f.title, error: f.error })),
        })}\n`
      : `${[wrote, ...errors.map((e) => `  ${e}`)].join('\n')}\n`,
  );
  return failed.length > 0 ? ExitCode.failure : ExitCode.ok;
}

/** A member's group on the fleet's page: its history, its error, or none for a target not yet run. */
async function memberHistory(
  member: FleetDocument,
  ctx: CommandContext,
): Promise<FleetMember | FailedMember | undefined> {
  const config = member.config;
  if (!config) return { title: member.source, error: messageOf(member.error) };
  const title = describeTarget(config.target);
  try {
    const { record } = await (await openStateStore(config, ctx, 'read')).read(ctx.signal);
    if (!record || record.history.length === 0) return undefined;
    return { title, record, bounds: { min: config.replicas.min, max: config.replicas.max } };
  } catch (err) {
    // An interruption ends the command; anything else is this member's failure.
    ctx.signal.throwIfAborted();
    return { title, error: messageOf(err) };
  }
}

async function historyOfOne(config: ScalerConfig, ctx: CommandContext, out: string): Promise<number> {
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
      : `wrote ${path} (${plural(record.history.length, 'decision')})\n`,
  );
  return ExitCode.ok;
}
