// The Locust workers are scaled through the Kubernetes API within the run's api limits (api.timeout,
// api.retryFor), as the target is: a hanging API server fails the run in about a second here, not
// after the defaults' 10 s per call and 30 s of retries.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { engineFor } from '../../../src/commands/engine.ts';
import type { CommandContext } from '../../../src/commands/context.ts';
import { validateConfig } from '../../../src/config/validate.ts';
import { planFor } from '../../../src/loadtest/plan.ts';
import { silentLogger } from '../../../src/report/log.ts';
import { startFakeKubeApi, type FakeKubeApi } from '../../helpers/fake-kube-api.ts';

let api: FakeKubeApi;
before(async () => {
  api = await startFakeKubeApi(() => 'hang');
});
after(() => api.close());

describe('scaling the Locust workers', () => {
  it('uses api.timeout and api.retryFor', async () => {
    const config = validateConfig(
      {
        target: { kind: 'http', url: 'http://127.0.0.1:1/replicas' },
        loadTest: {
          host: 'http://127.0.0.1:2',
          engine: 'locust',
          locust: {
            url: 'http://127.0.0.1:3',
            workers: { target: { kind: 'Deployment', name: 'locust-worker', namespace: 'load' }, usersPerWorker: 5 },
          },
          requests: [{ method: 'GET', path: '/x' }],
        },
        targets: [{ method: 'GET', endpoint: '/x', type: 'mean', target: 7 }],
        api: { timeout: '300ms', retryFor: '500ms' },
      },
      { source: 'test', requireTarget: false, environment: 'local' }, // the load test's config: the engine's part
    );
    const ctx: CommandContext = {
      out: () => undefined,
      log: silentLogger,
      now: Date.now,
      signal: new AbortController().signal,
      output: 'json',
      env: { KUBECONFIG: api.kubeconfig },
    };
    const engine = await engineFor(config, ctx);
    const started = Date.now();
    const outcome = await Promise.race([
      engine.run(planFor(config)).then(
        () => 'finished',
        (e: Error) => e.message,
      ),
      new Promise<string>((r) => setTimeout(() => r('still waiting after 3 s'), 3_000).unref()),
    ]);
    assert.match(outcome, /the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: no answer within 0\.3 s/);
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
    assert.ok(api.requests.length >= 1, 'the worker Deployment was asked for');
  });
});
