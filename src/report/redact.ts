// Secrets never reach stdout, logs, Events or the stored history: credentials in URLs (user info,
// query tokens), header values, passwords. Pure.

const SECRET_NAME = /authorization|token|password|passwd|secret|cookie|api[-_]?key|credential|signature|session/i;
export const REDACTED = '[redacted]';

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * `https://user:pw@host/hook?code=abc&x=1` → `https://[redacted]@host/hook?code=[redacted]&x=[redacted]`:
 * user info and every query value, whatever its name (`?code=`, `?sig=`, `?key=` carry tokens no list
 * of names foresees); the names stay, to tell two URLs apart.
 */
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
  for (const key of new Set(url.searchParams.keys()))
    if (url.searchParams.get(key) !== '') url.searchParams.set(key, REDACTED);
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
    return forPeople(value);
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

/** An http(s) URL inside text: up to a space, a quote, a bracket or a backslash (JSON's escapes). */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>`\\]+/g;
/** C0 controls but tab and newline, DEL and C1: a remote body's ESC would set a terminal's title or clear it. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text meant for people (stdout, logs, Events, the stored record): every URL in it redacted as above,
 * and control characters from remote bodies written as `\u001b` instead of acting on the terminal.
 */
export function forPeople(text: string): string {
  const escaped = text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.replace(URL_IN_TEXT, (url) => {
    if (!/[@?]/.test(url)) return url; // nothing to mask: written as it was
    const trailing = /[.,;:)\]]+$/.exec(url)?.[0] ?? ''; // a sentence's punctuation is not the URL's
    const core = url.slice(0, url.length - trailing.length);
    const masked = redactUrl(core);
    // A URL's parser adds the root's '/': the text keeps the form it was written in.
    const slashAdded = masked.endsWith('/') && !core.endsWith('/');
    return (slashAdded ? masked.slice(0, -1) : masked) + trailing;
  });
}
