// What every command shares: its output stream, logger, clock, abort signal and config sources.
import { loadConfig, loadLoadTestConfig, parseSet, type ConfigSources } from '../config/load.ts';
import type { LoadTestOnlyConfig, ScalerConfig } from '../config/types.ts';
import type { Logger } from '../report/log.ts';

export interface CommandContext {
  out: (text: string) => void; // stdout: the decision record / requested output
  log: Logger;
  now: () => number;
  signal: AbortSignal;
  output: 'text' | 'json';
  env: Record<string, string | undefined>;
  /** Set on a TTY in text mode: the live progress line of a load test. */
  progress?: ((line: string) => void) | undefined;
}

export interface CommonArgs {
  config?: string | undefined;
  set?: string[] | undefined;
  [flag: string]: unknown;
}

/** The configuration of a command that scales (a target is required). */
export function configFrom(args: CommonArgs, ctx: CommandContext): Promise<ScalerConfig> {
  return loadConfig(sourcesOf(args, ctx));
}

/** The configuration of `loadtest`: no target needed. */
export function loadTestConfigFrom(args: CommonArgs, ctx: CommandContext): Promise<LoadTestOnlyConfig> {
  return loadLoadTestConfig(sourcesOf(args, ctx));
}

function sourcesOf(args: CommonArgs, ctx: CommandContext): ConfigSources {
  const overrides: Record<string, unknown> = {};
  for (const s of args.set ?? []) {
    const [path, value] = parseSet(s);
    overrides[path] = value;
  }
  return { configPath: args.config, env: ctx.env, flags: args, overrides };
}

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.out(`${JSON.stringify(value, null, 2)}\n`);
}
