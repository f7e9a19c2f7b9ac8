// One call to a small JSON-over-HTTP API (the webhook scale target, the Locust master's web API; a
// Pushgateway's push sends text) on undici: a time limit, the run's signal, an optional deadline, and
// the answer — status and body — read under them, so a failure at any point (the body cut midway
// included) is the caller's error.
import { callTimeout, transportCause } from './transport.ts';
import { request, type Dispatcher } from './undici.ts';

export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string> | undefined;
  /** Sent as JSON, or `form` as form fields, or `text` as it is (a metrics push); none: no body. */
  json?: unknown;
  form?: URLSearchParams | undefined;
  text?: { contentType: string; body: string } | undefined;
  /** One call's limit; less when `until` (epoch ms) is nearer. */
  timeoutMs: number;
  until?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Another connection pool than undici's global one (a custom CA). */
  dispatcher?: Dispatcher | undefined;
}

/** How the caller words each failure, with its own error class. */
export interface HttpFailures {
  /** No whole answer: refused, no answer in time, cut midway (`cut`: the status had arrived). */
  transport(failure: { cause: string; err: unknown; cut: boolean }): Error;
  /** An answer outside 2xx, with its body. */
  status(status: number, text: string): Error;
  /** A 2xx answer whose body is not JSON (`httpJson`). */
  notJson(text: string): Error;
}

/** The body of a 2xx answer, as text. */
export async function httpText(call: HttpCall, fail: HttpFailures): Promise<string> {
  const headers: Record<string, string> = { ...call.headers };
  let body: string | undefined;
  if (call.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.json);
  } else if (call.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = call.form.toString();
  } else if (call.text) {
    headers['content-type'] = call.text.contentType;
    body = call.text.body;
  }
  const timeoutMs = callTimeout(call.timeoutMs, call.until);
  const timeout = AbortSignal.timeout(timeoutMs);
  let status: number | undefined;
  let text: string;
  try {
    const res = await request(call.url, {
      method: call.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(call.dispatcher ? { dispatcher: call.dispatcher } : {}),
      signal: call.signal ? AbortSignal.any([call.signal, timeout]) : timeout,
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    throw fail.transport({ cause: transportCause(err, timeoutMs), err, cut: status !== undefined });
  }
  if (status < 200 || status >= 300) throw fail.status(status, text);
  return text;
}

/** The body of a 2xx answer, parsed: an empty body is null. */
export async function httpJson(call: HttpCall, fail: HttpFailures): Promise<unknown> {
  const text = await httpText(call, fail);
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw fail.notJson(text);
  }
}
