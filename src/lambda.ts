// The cloud-function entry (AWS Lambda on an EventBridge schedule): one cycle per invocation.
// Resolves with the decision record; a conflict (another invocation won) resolves too, marked as
// such, because it is not a failure to alarm on; every other failure rejects, so the platform
// records it. Configuration comes from the environment: SCALER_CONFIG (a path, relative to the
// bundle's directory) or SCALER_CONFIG_YAML (inline), plus the usual SCALER_* overrides.
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './config/load.ts';
import { ConfigError, ExitCode, messageOf, ScalerError } from './errors.ts';
import { createLogger } from './report/log.ts';

export interface ScheduleEvent {
  /** Dotted setting paths → values, applied over the configuration for this invocation. */
  overrides?: Record<string, unknown>;
  dryRun?: boolean;
  [key: string]: unknown; // EventBridge's own fields (id, time, detail-type, …) are ignored
}

export interface ConflictResult {
  conflict: true;
  message: string;
}

export async function handler(event: unknown = {}): Promise<unknown> {
  const env = process.env;
  const log = createLogger({ json: true });
  const { overrides, dryRun } = readEvent(event);
  const configPath = env['SCALER_CONFIG'] && !isAbsolute(env['SCALER_CONFIG']) ? resolve(bundleDir(), env['SCALER_CONFIG']) : env['SCALER_CONFIG'];
  try {
    const config = await loadConfig({ env, configPath, overrides });
    const { runCommand } = await import('./commands/run.ts');
    const result = await runCommand(config, { out: () => {}, log, now: Date.now, signal: new AbortController().signal, output: 'json', env }, { dryRun });
    log.log('info', result.record.message, { target: result.record.target, action: result.record.action });
    if (result.exitCode !== 0) throw new ScalerError(`run finished with exit code ${result.exitCode}: ${result.record.message}`, { context: { record: result.record } });
    return result.record;
  } catch (err) {
    if (err instanceof ScalerError && err.exitCode === ExitCode.conflict) {
      log.log('warn', err.message, { code: err.code });
      return { conflict: true, message: err.message } satisfies ConflictResult;
    }
    log.log('error', messageOf(err), { code: err instanceof ScalerError ? err.code : 'UNEXPECTED' });
    throw err;
  }
}

function readEvent(event: unknown): { overrides: Record<string, unknown>; dryRun: boolean } {
  if (event === null || event === undefined) return { overrides: {}, dryRun: false };
  if (typeof event !== 'object' || Array.isArray(event)) throw new ConfigError([{ path: 'event', message: `${JSON.stringify(event)?.slice(0, 80)} is not an object; expected a schedule event, optionally with overrides and dryRun` }]);
  const e = event as ScheduleEvent;
  const issues = [];
  if (e.overrides !== undefined && (typeof e.overrides !== 'object' || e.overrides === null || Array.isArray(e.overrides))) {
    issues.push({ path: 'event.overrides', message: `${JSON.stringify(e.overrides)?.slice(0, 80)} is not an object of setting paths, e.g. {"loadTest.users": 20}` });
  }
  if (e.dryRun !== undefined && typeof e.dryRun !== 'boolean') issues.push({ path: 'event.dryRun', message: `${JSON.stringify(e.dryRun)} is not true or false` });
  if (issues.length) throw new ConfigError(issues, 'the invocation event');
  return { overrides: (e.overrides as Record<string, unknown> | undefined) ?? {}, dryRun: e.dryRun === true };
}

function bundleDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}
