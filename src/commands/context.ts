// What every command shares: its output stream, logger, clock, abort signal and config sources.
import {
  loadConfig,
  loadFleet,
  loadLoadTestConfig,
  parseSet,
  type ConfigSources,
  type FleetMember,
} from '../config/load.ts';
import type { LoadTestOnlyConfig, ScalerConfig } from '../config/types.ts';
import type { Logger } from '../report/log.ts';

export interface CommandContext {
  out: (text: string) => void; // stdout: the decision record / requested output (report/redact.ts forPeople)
  /** stdout as written: only for what a person must copy whole (the console's one-time token). */
  outVerbatim?: ((text: string) => void) | undefined;
  log: Logger;
  now: () => number;
  signal: AbortSignal;
  /** The run's hard deadline (epoch ms), when the platform has one (Lambda): see run.ts AFTER_APPLY_MS. */
  deadline?: number | undefined;
  output: 'text' | 'json';
  env: Record<string, string | undefined>;
  /** Set on a TTY in text mode: the live progress line of a load test. */
  progress?: ((line: string) => void) | undefined;
}

export interface CommonArgs {
  config?: string | string[] | undefined;
  set?: string[] | undefined;
  [flag: string]: unknown;
}

/** The configuration of a command that scales (a target is required). */
export function configFrom(args: CommonArgs, ctx: CommandContext): Promise<ScalerConfig> {
  return loadConfig(sourcesOf(args, ctx));
}

/**
 * The autoscalers named by `--config` (repeatable; a file of several documents; a directory), or the
 * one configuration found as for a single run. One member: exactly a single run (a bad configuration
 * is thrown, exit 2, as ever); several: a fleet, each member with its configuration or its error.
 */
export async function fleetFrom(
  args: CommonArgs,
  ctx: CommandContext,
  options: Pick<ConfigSources, 'podNamespace'> = {},
): Promise<FleetMember[]> {
  const paths = args.config === undefined ? [] : [args.config].flat();
  const sources = { ...sourcesOf({ ...args, config: undefined }, ctx), ...options, configPaths: paths };
  const members = await loadFleet(sources);
  if (members.length === 1 && members[0]!.error) throw members[0]!.error;
  return members;
}

/**
 * The configuration of `loadtest`: no target needed, and no file either — `--host` and `--path`
 * (`/x` or `POST /x`, repeatable) are enough, as for hey or autocannon. Without a file or a path,
 * it sends GET /.
 */
export function loadTestConfigFrom(args: CommonArgs, ctx: CommandContext): Promise<LoadTestOnlyConfig> {
  const sources = sourcesOf(args, ctx);
  const paths = (args['path'] as string[] | undefined) ?? [];
  const requests = paths.map((p) => {
    const [first, ...rest] = p.trim().split(/\s+/);
    return rest.length > 0 ? { method: first, path: rest.join(' ') } : { method: 'GET', path: first };
  });
  const fileless =
    !args.config && !ctx.env['SCALER_CONFIG'] && !ctx.env['SCALER_CONFIG_YAML'] && !ctx.env['evaluationConfigFilePath'];
  const fallback = fileless && requests.length === 0 ? [{ method: 'GET', path: '/' }] : [];
  const overrides =
    requests.length > 0 || fallback.length > 0 ? { 'loadTest.requests': requests.length ? requests : fallback } : {};
  return loadLoadTestConfig({ ...sources, overrides: { ...overrides, ...sources.overrides }, fileOptional: true });
}

function sourcesOf(args: CommonArgs, ctx: CommandContext): ConfigSources {
  const overrides: Record<string, unknown> = {};
  for (const s of args.set ?? []) {
    const [path, value] = parseSet(s);
    overrides[path] = value;
  }
  const configPath = Array.isArray(args.config) ? args.config[0] : args.config;
  return { configPath, env: ctx.env, flags: args, overrides, overridesFrom: '--set' };
}

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.out(`${JSON.stringify(value, null, 2)}\n`);
}
