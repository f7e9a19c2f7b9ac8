// What every command shares: its output stream, logger, clock, abort signal and config sources.
import { loadConfig, parseSet, type ConfigSources } from '../config/load.ts';
import type { ScalerConfig } from '../config/types.ts';
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

export function configFrom(args: CommonArgs, ctx: CommandContext, options: Partial<ConfigSources> = {}): Promise<ScalerConfig> {
  const overrides: Record<string, unknown> = {};
  for (const s of args.set ?? []) {
    const [path, value] = parseSet(s);
    overrides[path] = value;
  }
  return loadConfig({ configPath: args.config, env: ctx.env, flags: args, ...options, overrides: { ...overrides, ...options.overrides } });
}

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.out(`${JSON.stringify(value, null, 2)}\n`);
}
