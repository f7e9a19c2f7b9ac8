// The console's safety rules, as small pure checks (server.ts applies them to every request):
// - bound to a loopback address, no token is needed, but the Host must be a loopback name, so a page
//   of another site cannot reach the console through a name that resolves to 127.0.0.1 (DNS rebinding);
// - bound anywhere else, or given a token, every request carries it: a cookie set from `?token=` once,
//   or `Authorization: Bearer`;
// - every state-changing request is a POST whose `csrf` field equals the SameSite=Strict cookie, from
//   this origin (Origin, Sec-Fetch-Site);
// - every answer forbids inline script, framing, other origins and caching.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export const TOKEN_COOKIE = 'ls_token';
export const CSRF_COOKIE = 'ls_csrf';
export const TOKEN_ENV = 'SCALER_CONSOLE_TOKEN';

/** No script but our own file, no style but our own sheet, nothing from anywhere else. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // The first URL may carry ?token= (redirected away at once): never sent to another site. Not no-referrer,
  // under which a browser sends a form's Origin as "null".
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

export const newSecret = (): string => randomBytes(24).toString('base64url');

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopback(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (a === 'localhost' || a === '::1') return true;
  if (a.startsWith('::ffff:')) return isLoopback(a.slice(7));
  return isIP(a) === 4 && a.startsWith('127.');
}

/** The host name of a Host header (`127.0.0.1:8080`, `[::1]:8080`, `localhost`). */
export function hostName(host: string | undefined): string {
  if (!host) return '';
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

/** HttpOnly (no script reads it) and SameSite=Strict (no other site's page sends it). */
export const cookie = (name: string, value: string): string =>
  `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict`;

/** Equal without telling, by timing, how much of a guess was right. */
export function sameSecret(given: string | undefined, secret: string): boolean {
  if (!given) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/** The token a request carries: the header, the cookie, or (a first visit) the query. */
export function tokenOf(headers: { authorization?: string | undefined; cookie?: string | undefined }, url: URL) {
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
  return {
    bearer,
    cookie: parseCookies(headers.cookie)[TOKEN_COOKIE],
    query: url.searchParams.get('token') ?? undefined,
  };
}

/**
 * Why a POST may not change anything, or undefined when it may: its CSRF field must equal the cookie,
 * and a browser's Origin and Sec-Fetch-Site, when sent, must say it came from this console's own page.
 */
export function csrfRefusal(
  headers: { origin?: string | undefined; host?: string | undefined; 'sec-fetch-site'?: string | undefined },
  cookieValue: string | undefined,
  field: string | undefined,
): string | undefined {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return `the request came from another site (Sec-Fetch-Site: ${site})`;
  if (headers.origin !== undefined && headers.origin !== `http://${headers.host}`)
    return `the request came from another origin (${headers.origin})`;
  if (!cookieValue || !field) return 'the request carries no CSRF token (the forms of this console send one)';
  if (!sameSecret(field, cookieValue)) return "the request's CSRF token does not match this browser's";
  return undefined;
}
