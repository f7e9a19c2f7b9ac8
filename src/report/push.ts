// Sends one run's metrics (metrics.ts) to a Prometheus Pushgateway. A push that fails — refused, no
// answer within api.timeout, an error status — is a warning, never the run's failure: the decision
// is made and applied by then, and the exit code says how it went.
import { httpText, type HttpCall, type HttpFailures } from '../http-json.ts';
import { messageOf } from '../errors.ts';
import type { Logger } from './log.ts';
import { exposition, groupingPath, pushMethodFor, runFamilies, type RunOutcome } from './metrics.ts';
import { redactUrl } from './redact.ts';

/** The `job` of every group; the target's key (`scale_target`) tells the runs of one scaler apart. */
export const JOB = 'latency-scaler';
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface PushTo {
  /** The Pushgateway's base URL, perhaps with user:password for basic auth. */
  pushgateway: string;
  targetKey: string;
  timeoutMs: number;
  /** No later than this (epoch ms): a Lambda invocation's end, less the time to answer. */
  until?: number | undefined;
  signal?: AbortSignal | undefined;
  log: Logger;
}

/** Pushes the run's metrics; true when the Pushgateway took them. Never throws. */
export async function pushRun(outcome: RunOutcome, to: PushTo): Promise<boolean> {
  const method = pushMethodFor(outcome);
  const group = groupingPath(JOB, { scale_target: to.targetKey });
  const where = `the Pushgateway at ${redactUrl(to.pushgateway)}`;
  if (to.signal?.aborted) {
    // An interrupted run ends at once; its missing success is what the last-success alert catches.
    to.log.log('debug', `metrics not pushed to ${where}: the run was interrupted`);
    return false;
  }
  try {
    const { base, authorization } = splitCredentials(to.pushgateway);
    const call: HttpCall = {
      method,
      url: `${base}${group}`,
      headers: authorization ? { authorization } : undefined,
      text: { contentType: CONTENT_TYPE, body: exposition(runFamilies(outcome)) },
      timeoutMs: to.timeoutMs,
      until: to.until,
      signal: to.signal,
    };
    await httpText(call, FAILURES);
    to.log.log('debug', `pushed the run's metrics to ${where}`, { method, group });
    return true;
  } catch (err) {
    const what = `could not push the run's metrics to ${where} (${method} ${group})`;
    to.log.log('warn', `${what}: ${messageOf(err)}; the run's outcome and exit code are unchanged`);
    return false;
  }
}

const FAILURES: HttpFailures = {
  transport: ({ cause, cut }) => new Error(cut ? `the answer was cut off: ${cause}` : cause),
  status: (status, text) => new Error(`it answered ${status}${text.trim() ? `: ${firstLine(text)}` : ''}`),
  notJson: (text) => new Error(`unexpected answer: ${firstLine(text)}`), // not used: a push reads text
};

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0]!;
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * undici sends no credentials from a URL's user info: they become a basic-auth header, and the URL
 * is sent without them (and logged only through redactUrl).
 */
export function splitCredentials(pushgateway: string): { base: string; authorization?: string } {
  const url = new URL(pushgateway);
  if (!url.username && !url.password) return { base: pushgateway.replace(/\/+$/, '') };
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return { base: url.toString().replace(/\/+$/, ''), authorization };
}
