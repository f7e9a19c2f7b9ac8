// The one place that picks a load-test engine. What an engine needs from elsewhere (scaling the
// Locust workers through a scale target) is handed in by the caller, so loadtest/ imports no adapter.
import type { LoadTestOnlyConfig } from '../config/types.ts';
import { readFile } from 'node:fs/promises';
import { ConfigError, ScalerError } from '../errors.ts';
import { LocalEngine, type LocalEngineOptions } from './local.ts';
import type { LocustEngineDeps } from './locust.ts';
import type { LoadTestEngine } from './types.ts';

export { planFor } from './plan.ts';

export interface EngineOptions {
  onProgress?: LocalEngineOptions['onProgress'];
  /** Scales the Locust worker Deployment (loadTest.locust.workers.target). */
  scaleWorkers?: LocustEngineDeps['scaleWorkers'];
}

export async function createEngine(
  config: Pick<LoadTestOnlyConfig, 'loadTest' | 'api'>,
  options: EngineOptions = {},
): Promise<LoadTestEngine> {
  const { loadTest } = config;
  if (loadTest.engine === 'local') {
    const scenario = loadTest.script ? await (await import('./scenario.ts')).loadScenario(loadTest.script) : undefined;
    return new LocalEngine({ scenario, onProgress: options.onProgress });
  }
  const locust = loadTest.locust;
  if (locust?.locustfile) {
    const headless = await import('./locust-headless.ts');
    const command = headless.findLocust(locust);
    const text = await readFile(locust.locustfile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'no such file' : (err.code ?? String(err));
      throw new ConfigError([
        {
          path: locust.locustfileOrigin ?? 'loadTest.locust.locustfile',
          message: `cannot read ${JSON.stringify(locust.locustfile)}: ${why}`,
        },
      ]);
    });
    headless.refuseLegacyLocustfile(text, locust);
    return new headless.HeadlessLocustEngine({ ...locust, locustfile: locust.locustfile }, command);
  }
  if (!locust?.url)
    throw new ScalerError('loadTest.engine locust needs loadTest.locust.locustfile or loadTest.locust.url');
  const { LocustEngine } = await import('./locust.ts');
  const callTimeoutMs = config.api.timeout;
  const scaleWorkers = options.scaleWorkers ? { scaleWorkers: options.scaleWorkers } : {};
  return new LocustEngine({ ...locust, url: locust.url }, { callTimeoutMs, ...scaleWorkers });
}
