// Kubernetes API failures: which are retried, and what the operator reads.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiError, isTransient, withRetry } from '../../../src/kube/errors.ts';
import { ConflictError, InterruptedError, TargetError } from '../../../src/errors.ts';

const api = (code: number, message = 'm') =>
  Object.assign(new Error(`HTTP ${code}`), { code, body: JSON.stringify({ message }) });

describe('withRetry', () => {
  const fast = { sleep: async () => {}, deadlineMs: 10_000 };

  for (const code of [429, 500, 503]) {
    it(`retries ${code} until it succeeds`, async () => {
      let calls = 0;
      const out = await withRetry(async () => (++calls < 3 ? Promise.reject(api(code)) : 'ok'), fast);
      assert.equal(out, 'ok');
      assert.equal(calls, 3);
    });
  }

  for (const code of [400, 403, 404, 409, 422]) {
    it(`does not retry ${code}`, async () => {
      let calls = 0;
      await assert.rejects(
        withRetry(async () => {
          calls++;
          throw api(code);
        }, fast),
      );
      assert.equal(calls, 1);
    });
  }

  it('retries connection failures, and gives up at the deadline with the last error', async () => {
    let now = 0;
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        },
        {
          deadlineMs: 3000,
          now: () => now,
          sleep: async (ms) => {
            now += ms;
          },
        },
      ),
      /ECONNREFUSED/,
    );
    assert.ok(calls > 1 && now <= 3000, `${calls} calls, ${now} ms`);
  });

  it('an interruption during the wait between attempts ends it at once, with the interruption', async () => {
    const controller = new AbortController();
    let calls = 0;
    const started = Date.now();
    setTimeout(() => controller.abort(new InterruptedError('SIGTERM')), 100);
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          // Retry-After: 20 s, so only an abortable wait can end within the second.
          throw Object.assign(api(503), { headers: { 'retry-after': '20' } });
        },
        { deadlineMs: 30_000, signal: controller.signal },
      ),
      (e: Error) => e instanceof InterruptedError && e.exitCode === 143,
    );
    assert.equal(calls, 1);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  it('a call that fails because the run was interrupted ends with the interruption, not the call error', async () => {
    const controller = new AbortController();
    await assert.rejects(
      withRetry(
        async () => {
          controller.abort(new InterruptedError('SIGINT'));
          throw Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
        },
        { deadlineMs: 30_000, signal: controller.signal },
      ),
      (e: Error) => e instanceof InterruptedError && e.exitCode === 130,
    );
  });

  it('classifies', () => {
    assert.equal(isTransient(api(429)), true);
    assert.equal(isTransient(api(403)), false);
    assert.equal(isTransient(new TargetError('x')), false);
  });
});

describe('apiError', () => {
  const call = { verb: 'patch', resource: 'deployments/scale', namespace: 'prod', name: 'web', apiGroup: 'apps' };

  it('403 names the verb, resource and name, and prints the Role rule to add', () => {
    const e = apiError(api(403, 'deployments.apps "web" is forbidden'), call);
    assert.ok(e instanceof TargetError);
    assert.match(
      e.message,
      /^forbidden: the service account may not patch deployments\/scale web in namespace prod\. Add this rule to its Role/,
    );
    assert.match(
      e.message,
      /- apiGroups: \["apps"\]\n {2}resources: \["deployments\/scale"\]\n {2}verbs: \["patch"\]\n {2}resourceNames: \["web"\]/,
    );
  });

  it('404 uses the message given for the call; 409 is a conflict; 401 says to check the credentials', () => {
    assert.equal(
      apiError(api(404), call, { notFound: 'Deployment "web" not found' }).message,
      'Deployment "web" not found',
    );
    assert.ok(apiError(api(409), call) instanceof ConflictError);
    assert.match(apiError(api(401), call).message, /^unauthorized: .*check the service-account token or kubeconfig/);
    assert.match(
      apiError(api(500, 'etcd down'), call).message,
      /patch deployments\/scale web in namespace prod failed: the API server answered HTTP 500: etcd down/,
    );
  });
});
