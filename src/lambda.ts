// The cloud-function entry: one cycle per invocation, the decision record as the result,
// a rejection (so the platform records a failure) on runtime errors.
import { loadConfig } from './config/load.ts';
import { ScalerError } from './errors.ts';
import { createLogger } from './report/log.ts';

export interface ScheduleEvent {
  /** Dotted setting paths → values, applied over the configuration for this invocation. */
  overrides?: Record<string, unknown>;
  dryRun?: boolean;
  [key: string]: unknown;
}

export async function handler(event: ScheduleEvent = {}): Promise<unknown> {
  const env = process.env;
  const log = createLogger({ json: true });
  const overrides = event && typeof event === 'object' && event.overrides && typeof event.overrides === 'object' ? event.overrides : {};
  const config = await loadConfig({ env, overrides });
  const { runCommand } = await import('./commands/run.ts');
  const controller = new AbortController();
  const result = await runCommand(config, { out: () => {}, log, now: Date.now, signal: controller.signal, output: 'json', env }, { dryRun: event?.dryRun === true });
  if (result.exitCode !== 0) {
    const err = new ScalerError(`run finished with exit code ${result.exitCode}: ${result.record.message}`, { context: { record: result.record } });
    throw err;
  }
  return result.record;
}
