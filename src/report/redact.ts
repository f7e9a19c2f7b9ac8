// Secrets never reach stdout, logs, Events or the stored history: credentials in URLs (user info,
// query tokens), header values, passwords. Pure.

const SECRET_NAME = /authorization|token|password|passwd|secret|cookie|api[-_]?key|credential|signature|session/i;
export const REDACTED = '[redacted]';

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** `https://user:pw@host/hook?token=abc&x=1` → `https://[redacted]@host/hook?token=[redacted]&x=1`. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.username || url.password) {
    url.username = 'redacted';
    url.password = '';
  }
  for (const key of [...url.searchParams.keys()]) if (isSecretName(key)) url.searchParams.set(key, REDACTED);
  return url
    .toString()
    .replace('redacted@', `${REDACTED}@`)
    .replace(/%5Bredacted%5D/g, REDACTED);
}

/**
 * A deep copy with secrets masked: every header value (headers carry credentials more often than
 * not), every field whose name looks secret, and credentials inside URL strings.
 */
export function redactDeep(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (key && isSecretName(key)) return REDACTED;
    return /^https?:\/\//.test(value) ? redactUrl(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'headers' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.keys(v).map((h) => [h, REDACTED]));
    } else if (isSecretName(k) && v !== undefined && v !== null && typeof v !== 'object') {
      out[k] = REDACTED;
    } else {
      out[k] = redactDeep(v, k);
    }
  }
  return out;
}
