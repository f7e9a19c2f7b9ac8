// What went wrong with one request, as a kind to count and a message to show (pure).

export interface Failure {
  kind: string;
  message: string;
  /** The request never reached the service (refused, unknown host, no connection): no answer to time. */
  unreachable?: boolean;
}

/** Kinds of failure that mean the service was never reached; a run with only these measured nothing. */
const UNREACHABLE = new Set(['connection refused', 'unknown host', 'connect timeout', 'host unreachable']);

const CODES: Record<string, string> = {
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection reset',
  EPIPE: 'connection reset',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'unknown host',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'host unreachable',
};

export function statusFailure(
  status: number,
  expect: readonly number[] | undefined,
  what: string,
): Failure | undefined {
  const ok = expect ? expect.includes(status) : status >= 200 && status < 400;
  if (ok) return undefined;
  return {
    kind: `HTTP ${status}`,
    message: `${what} answered ${status}${expect ? ` (expected ${expect.join(' or ')})` : ''}`,
  };
}

export function errorFailure(err: unknown, what: string, timeoutMs: number): Failure {
  const e = err as { code?: string; cause?: { code?: string }; message?: string; name?: string };
  const code = e.code ?? e.cause?.code ?? e.name ?? 'error';
  const kind = CODES[code] ?? code;
  if (kind === 'timeout') return { kind, message: `${what} took longer than ${timeoutMs} ms` };
  return {
    kind,
    message: `${what}: ${e.message ?? String(err)}`,
    ...(UNREACHABLE.has(kind) ? { unreachable: true } : {}),
  };
}

/** The time a failed request counts in the statistics: its elapsed time, a timeout at least its timeout. */
export function failureMs(failure: Failure, elapsedMs: number, timeoutMs: number): number {
  return failure.kind === 'timeout' ? Math.max(elapsedMs, timeoutMs) : elapsedMs;
}
