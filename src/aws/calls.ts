// The calls an AWS scale target makes (ECS, Application Auto Scaling, EC2 Auto Scaling), each one
// attempt bounded by api.timeout (or the run's deadline, if nearer) and interrupted by the run's
// signal, retried by `retrying` on throttling, 5xx and lost connections for api.retryFor, and worded
// for the operator: the resource, the operation, where, and AWS's error code. The SDK's own retries
// are off (maxAttempts 1): they count attempts, not time, and would resend a write without looking.
import { ScalerError, TargetError } from '../errors.ts';
import { callTimeout, transportCause } from '../transport.ts';
import { wait } from '../wait.ts';
import { plural } from '../plural.ts';

export interface AwsCallLimits {
  callTimeoutMs: number; // one request (api.timeout)
  retryForMs: number; // retries of a call stop after this (api.retryFor)
}

/** Which call, for messages and hints. */
export interface AwsCall {
  what: string; // `ecs-service prod/web`
  operation: string; // `UpdateService`
  service: string; // `ECS`
  where: string; // `http://127.0.0.1:5000` or `the eu-west-1 region`
  permission: string; // `ecs:UpdateService`, for an AccessDenied hint
}

/** A failed AWS call, in words; `transient` when another attempt may succeed. */
export class AwsCallError extends TargetError {
  readonly transient: boolean;
  readonly awsCode: string | undefined;

  constructor(message: string, options: { cause: unknown; transient: boolean; awsCode?: string | undefined }) {
    super(message, { cause: options.cause });
    this.transient = options.transient;
    this.awsCode = options.awsCode;
  }
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

/** Throttled, AWS's side failing (5xx), or no answer: another attempt may succeed. */
function isTransient(e: SdkError): boolean {
  const status = e.$metadata?.httpStatusCode;
  if (THROTTLING.has(e.name ?? '') || e.$retryable?.throttling || status === 429) return true;
  if (status !== undefined) return status >= 500;
  return !(e instanceof ScalerError); // refused, reset, the answer lost or late
}

/**
 * One attempt of one call. `send` gets the attempt's signal: the run's, and the attempt's time limit.
 * Throws the run's interruption as it is, every other failure as an AwsCallError in words.
 */
export async function sendOnce<T>(
  call: AwsCall,
  send: (abort: AbortSignal) => Promise<T>,
  limits: AwsCallLimits,
  signal?: AbortSignal,
  until?: number,
): Promise<T> {
  const timeoutMs = callTimeout(limits.callTimeoutMs, until);
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    return await send(signal ? AbortSignal.any([signal, timeout]) : timeout);
  } catch (err) {
    signal?.throwIfAborted();
    throw failure(call, err, timeout.aborted ? `no answer within ${timeoutMs / 1000} s` : undefined);
  }
}

function failure(call: AwsCall, err: unknown, late: string | undefined): AwsCallError {
  const e = (err ?? {}) as SdkError;
  const name = e.name ?? 'Error';
  const head = `${call.what}: ${call.operation} failed`;
  if (name === 'CredentialsProviderError') {
    const how = 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or run with a role';
    return new AwsCallError(`${head}: no AWS credentials found (${how})`, { cause: err, transient: false });
  }
  if (/region is missing/i.test(e.message ?? '')) {
    const how = 'set target.region, or AWS_REGION (Lambda sets it)';
    return new AwsCallError(`${head}: no AWS region (${how})`, { cause: err, transient: false });
  }
  const status = e.$metadata?.httpStatusCode;
  if (late || (status === undefined && !name.endsWith('Exception') && !THROTTLING.has(name))) {
    // Never reached AWS, or no answer from it: say what happened on the wire, not the SDK's class.
    const cause = late ?? transportCause(err);
    return new AwsCallError(`${head}: ${call.service} at ${call.where}: ${cause}`, { cause: err, transient: true });
  }
  const code = name === 'Error' && e.code ? e.code : name;
  const hint = /AccessDenied|UnauthorizedOperation|NotAuthorized/.test(code)
    ? ` (the role needs ${call.permission} on it: 'latency-scaler manifests --iam' prints the policy)`
    : '';
  const http = status !== undefined ? ` (HTTP ${status})` : '';
  const text = (e.message ?? '').slice(0, 300);
  return new AwsCallError(`${head}: ${code}${http}: ${text}${hint}`, {
    cause: err,
    transient: isTransient(e),
    awsCode: code,
  });
}

export interface RetryBounds {
  signal?: AbortSignal | undefined;
  /** Give up rather than wait past this (epoch ms): the run's deadline after its claim. */
  until?: number | undefined;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/**
 * Runs `fn` (one or more sendOnce calls) again while it fails with a transient AwsCallError, with
 * exponential backoff and full jitter, for api.retryFor and never past `until`; the last failure
 * says how long it was retried. An interruption ends it at once with its reason.
 */
export async function retrying<T>(fn: () => Promise<T>, limits: AwsCallLimits, bounds: RetryBounds = {}): Promise<T> {
  const now = bounds.now ?? Date.now;
  const sleep = bounds.sleep ?? wait;
  const random = bounds.random ?? Math.random;
  const start = now();
  const end = Math.min(start + limits.retryForMs, bounds.until ?? Number.POSITIVE_INFINITY);
  for (let attempt = 1; ; attempt++) {
    bounds.signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      bounds.signal?.throwIfAborted();
      if (!(err instanceof AwsCallError) || !err.transient) throw err;
      const delay = random() * Math.min(5000, 200 * 2 ** (attempt - 1));
      if (now() + delay > end) {
        if (attempt === 1) throw err;
        const spent = ((now() - start) / 1000).toFixed(1);
        const budget = `api.retryFor ${limits.retryForMs / 1000} s`;
        const after = `; still failing after ${plural(attempt, 'attempt')} in ${spent} s (${budget})`;
        throw new AwsCallError(`${err.message}${after}`, { cause: err.cause, transient: true, awsCode: err.awsCode });
      }
      await sleep(delay, bounds.signal);
    }
  }
}

/** `http://127.0.0.1:5000`, `the eu-west-1 region` or `the SDK's default region`: where the calls go. */
export function whereOf(
  place: { region?: string | undefined; endpoint?: string | undefined },
  env: Record<string, string | undefined>,
): string {
  const region = place.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  return place.endpoint ?? (region ? `the ${region} region` : "the SDK's default region");
}

/** The client settings every AWS target's client shares: the SDK's retries off (see above). */
export function clientSettings(place: { region?: string | undefined; endpoint?: string | undefined }): {
  region?: string;
  endpoint?: string;
  maxAttempts: number;
  requestHandler: { connectionTimeout: number };
} {
  return {
    ...(place.region ? { region: place.region } : {}),
    ...(place.endpoint ? { endpoint: place.endpoint } : {}),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 2000 },
  };
}
