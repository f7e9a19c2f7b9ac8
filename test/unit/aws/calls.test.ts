// An AWS target's calls: each attempt bounded and worded (the resource, the operation, where, AWS's
// code), throttling, 5xx and lost connections retried for api.retryFor and never past the run's
// bound, everything else at once. The clock and the waits are the test's; the errors have the SDK's shape.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AwsCallError, retrying, sendOnce, type AwsCall } from '../../../src/aws/calls.ts';
import { InterruptedError } from '../../../src/errors.ts';

const call: AwsCall = {
  what: 'ecs-service shop/web',
  operation: 'UpdateService',
  service: 'ECS',
  where: 'the eu-west-1 region',
  permission: 'ecs:UpdateService',
};
const limits = { callTimeoutMs: 1_000, retryForMs: 4_000 };
const sdkError = (name: string, status: number | undefined, message = 'Rate exceeded') =>
  Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

/** A fake clock: waits advance it; the delay is the backoff's full-jitter maximum (random() = 1). */
function clock() {
  let t = 0;
  const waits: number[] = [];
  return {
    waits,
    bounds: { now: () => t, sleep: async (ms: number) => void (waits.push(ms), (t += ms)), random: () => 1 },
  };
}

describe('sendOnce: one attempt, in words', () => {
  const cases: [string, unknown, RegExp, boolean][] = [
    [
      'throttled (ECS JSON)',
      sdkError('ThrottlingException', 400),
      /^ecs-service shop\/web: UpdateService failed: ThrottlingException \(HTTP 400\): Rate exceeded$/,
      true,
    ],
    ['throttled (Auto Scaling XML)', sdkError('Throttling', 400), /Throttling \(HTTP 400\)/, true],
    ['a 5xx', sdkError('ServerException', 500, 'internal'), /ServerException \(HTTP 500\): internal/, true],
    ['refused', refused, /UpdateService failed: ECS at the eu-west-1 region: connection refused$/, true],
    [
      'access denied, with the permission to add',
      sdkError('AccessDeniedException', 400, 'not authorized'),
      /AccessDeniedException \(HTTP 400\): not authorized \(the role needs ecs:UpdateService on it: 'latency-scaler manifests --iam' prints the policy\)/,
      false,
    ],
    ['a bad request', sdkError('InvalidParameterException', 400, 'bad'), /InvalidParameterException/, false],
    [
      'no credentials',
      sdkError('CredentialsProviderError', undefined, 'Could not load credentials'),
      /no AWS credentials found/,
      false,
    ],
    [
      'no region',
      sdkError('Error', undefined, 'Region is missing'),
      /no AWS region \(set target\.region, or AWS_REGION/,
      false,
    ],
  ];
  for (const [name, err, words, transient] of cases)
    it(name, async () => {
      const e = await sendOnce(call, () => Promise.reject(err), limits).catch((x: unknown) => x);
      assert.ok(e instanceof AwsCallError, String(e));
      assert.match(e.message, words);
      assert.equal(e.transient, transient);
      assert.equal(e.code, 'TARGET_ERROR');
    });

  it('no answer within api.timeout: the attempt is cut and said so', async () => {
    const hang = (abort: AbortSignal) =>
      new Promise<never>((_, reject) =>
        abort.addEventListener('abort', () => reject(sdkError('AbortError', undefined))),
      );
    const e = (await sendOnce(call, hang, { ...limits, callTimeoutMs: 50 }).catch((x: unknown) => x)) as AwsCallError;
    assert.match(e.message, /ECS at the eu-west-1 region: no answer within 0\.05 s/);
    assert.equal(e.transient, true);
  });

  it("the run's interruption ends the attempt with the interruption itself", async () => {
    const controller = new AbortController();
    const hang = (abort: AbortSignal) =>
      new Promise<never>((_, reject) =>
        abort.addEventListener('abort', () => reject(sdkError('AbortError', undefined))),
      );
    const pending = sendOnce(call, hang, limits, controller.signal);
    controller.abort(new InterruptedError('SIGTERM'));
    await assert.rejects(pending, InterruptedError);
  });
});

describe('retrying', () => {
  it('throttled twice, then through: three attempts, backoff 200 then 400 ms', async () => {
    const c = clock();
    let attempts = 0;
    const fn = () =>
      sendOnce(
        call,
        async () => (++attempts <= 2 ? Promise.reject(sdkError('ThrottlingException', 400)) : 'ok'),
        limits,
      );
    assert.equal(await retrying(fn, limits, c.bounds), 'ok');
    assert.equal(attempts, 3);
    assert.deepEqual(c.waits, [200, 400]);
  });

  it('throttled for good: given up within api.retryFor, saying how long it tried', async () => {
    const c = clock();
    const fn = () => sendOnce(call, () => Promise.reject(sdkError('ThrottlingException', 400)), limits);
    const e = (await retrying(fn, limits, c.bounds).catch((x: unknown) => x)) as AwsCallError;
    assert.match(e.message, /ThrottlingException .*; still failing after 5 attempts in 3\.0 s \(api\.retryFor 4 s\)$/);
    assert.ok(c.bounds.now() <= limits.retryForMs);
  });

  it("never waits past the run's bound (its deadline after the claim)", async () => {
    const c = clock();
    const fn = () => sendOnce(call, () => Promise.reject(sdkError('ServerException', 503)), limits);
    await assert.rejects(retrying(fn, limits, { ...c.bounds, until: 500 }), AwsCallError);
    assert.deepEqual(c.waits, [200], 'the next wait (400 ms) would pass the bound: given up at 200 ms');
  });

  it('a failure that is not transient is not retried', async () => {
    const c = clock();
    let attempts = 0;
    const fn = () => sendOnce(call, () => (attempts++, Promise.reject(sdkError('AccessDeniedException', 400))), limits);
    await assert.rejects(retrying(fn, limits, c.bounds), /AccessDeniedException/);
    assert.equal(attempts, 1);
  });
});
