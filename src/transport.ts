// A failed network call, in words for the operator: what happened on the wire, without the stack
// of library error codes (`HTTP 23`, `fetch failed`). Shared by every client in the program.

const CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the other side',
  EPIPE: 'connection reset by the other side',
  UND_ERR_SOCKET: 'connection closed by the other side',
  UND_ERR_CLOSED: 'connection closed',
  ENOTFOUND: 'unknown host (DNS lookup failed)',
  EAI_AGAIN: 'unknown host (DNS lookup failed, temporarily)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'no answer (connection timed out)',
  UND_ERR_CONNECT_TIMEOUT: 'no answer (connection timed out)',
  UND_ERR_HEADERS_TIMEOUT: 'no answer within the time limit',
  UND_ERR_BODY_TIMEOUT: 'the answer stopped arriving (body timeout)',
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's TLS certificate is self-signed and not trusted",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's TLS certificate chain is not trusted",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's TLS certificate is not trusted (unknown issuer)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's TLS certificate is not trusted (unknown issuer)",
  CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's TLS certificate does not name this address",
};

/** `no answer within 10 s`, `connection refused`, … from any error a fetch, undici or net call throws. */
export function transportCause(err: unknown, timeoutMs?: number): string {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e; depth++) {
    const x = e as { name?: string; code?: unknown; message?: string; cause?: unknown };
    if (x.name === 'TimeoutError') return timeoutMs ? `no answer within ${timeoutMs / 1000} s` : 'no answer in time';
    if (x.name === 'AbortError') return 'cancelled (the run was interrupted)';
    if (typeof x.code === 'string' && CODES[x.code]) return CODES[x.code]!;
    if (!x.cause) return x.message ?? String(e);
    e = x.cause;
  }
  return (err as Error)?.message ?? String(err);
}

/**
 * One request's time limit: the configured one, or less when the caller's bound (epoch ms) is
 * nearer, so no call outlasts it (at least 1 ms: a call is never sent with no limit).
 */
export function callTimeout(limitMs: number, until?: number, now = Date.now()): number {
  return until === undefined ? limitMs : Math.max(1, Math.min(limitMs, until - now));
}

/** A signal that fires at `until` (epoch ms), for calls that take a signal but no deadline; none without one. */
export function signalAt(until: number | undefined): AbortSignal | undefined {
  return until === undefined ? undefined : AbortSignal.timeout(callTimeout(Number.POSITIVE_INFINITY, until));
}
