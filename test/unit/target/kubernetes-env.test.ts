// The Kubernetes target takes what it knows of its environment from the environment it is given
// (the CLI's io.env, the Lambda's), never from process.env behind the caller's back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createScaleTarget } from '../../../src/target/index.ts';
import { startFakeKubeApi, type FakeKubeApi } from '../../helpers/fake-kube-api.ts';

let api: FakeKubeApi;
before(async () => {
  api = await startFakeKubeApi(() => ({ status: 201, body: { kind: 'Event', apiVersion: 'v1', metadata: {} } }));
});
after(() => api.close());

describe('the Kubernetes target and its environment', () => {
  it("an Event's reportingInstance is the HOSTNAME of the environment passed in", async () => {
    const env = { KUBECONFIG: api.kubeconfig, HOSTNAME: 'scaler-pod-7' };
    assert.notEqual(process.env['HOSTNAME'], env.HOSTNAME);
    const target = await createScaleTarget(
      {
        target: { kind: 'Deployment', apiVersion: 'apps/v1', name: 'fib', namespace: 'prod' },
        api: { timeout: 10_000, retryFor: 30_000, graceAfterSignal: 25_000 },
      },
      env,
    );
    await target.recordEvent!({ type: 'Normal', reason: 'ScaledUp', message: 'scale up 2→3' });
    const posted = api.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/namespaces/prod/events');
    assert.equal(posted.length, 1);
    assert.equal(JSON.parse(posted[0]!.body).reportingInstance, 'scaler-pod-7');
  });
});
