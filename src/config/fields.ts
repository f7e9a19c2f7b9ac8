// A tiny reader for untyped input that records every problem with its field path, so
// validation reports all of them at once (as KEDA's Validate does) and never throws mid-way.
import type { FieldIssue } from '../errors.ts';
import { parseDuration } from './duration.ts';

export type Raw = Record<string, unknown>;

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3; // suggest only near misses
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

export class Fields {
  readonly issues: FieldIssue[] = [];
  /** Field path → where a value came from (`SCALER_USERS`, `--users`), named in messages. */
  private readonly origins: Map<string, string>;

  constructor(origins: Map<string, string> = new Map()) {
    this.origins = origins;
  }

  fail(path: string, message: string): undefined {
    const origin = this.origins.get(path);
    this.issues.push({ path: origin ? `${path} (from ${origin})` : path, message });
    return undefined;
  }

  /** Reject keys the schema does not know: a typo must not silently fall back to a default. */
  known(obj: Raw, path: string, keys: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (keys.includes(key)) continue;
      const hint = closest(key, keys);
      const at = path ? `${path}.${key}` : key;
      this.fail(at, `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${keys.join(', ')}`);
    }
  }

  object(value: unknown, path: string, required = false): Raw | undefined {
    if (value === undefined || value === null) return required ? this.fail(path, 'is required') : undefined;
    if (!isObject(value)) return this.fail(path, `${show(value)} is not an object`);
    return value;
  }

  list(value: unknown, path: string): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) return this.fail(path, `${show(value)} is not a list`);
    return value;
  }

  string(value: unknown, path: string, fallback?: string): string | undefined {
    if (value === undefined || value === null) return fallback ?? this.fail(path, 'is required');
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (typeof value !== 'string' || value.trim() === '') return this.fail(path, `${show(value)} is not a non-empty string`);
    return value;
  }

  number(value: unknown, path: string, rule: { min?: number; max?: number; int?: boolean; above?: number }, fallback?: number): number | undefined {
    if (value === undefined || value === null) return fallback ?? this.fail(path, 'is required');
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    const kind = rule.int ? 'an integer' : 'a number';
    if (typeof n !== 'number' || !Number.isFinite(n)) return this.fail(path, `${show(value)} is not ${kind}`);
    if (rule.int && !Number.isInteger(n)) return this.fail(path, `${show(value)} is not ${kind}`);
    if (rule.min !== undefined && n < rule.min) return this.fail(path, `${show(value)} is below the minimum ${rule.min}`);
    if (rule.above !== undefined && n <= rule.above) return this.fail(path, `${show(value)} must be greater than ${rule.above}`);
    if (rule.max !== undefined && n > rule.max) return this.fail(path, `${show(value)} is above the maximum ${rule.max}`);
    return n;
  }

  durationMs(value: unknown, path: string, fallback?: number, rule: { above?: number } = {}): number | undefined {
    if (value === undefined || value === null) return fallback ?? this.fail(path, 'is required');
    const ms = parseDuration(value);
    if (ms === undefined) return this.fail(path, `${show(value)} is not a duration; expected e.g. 500ms, 5s, 2m or a number of seconds`);
    if (rule.above !== undefined && ms <= rule.above) return this.fail(path, `${show(value)} must be longer than ${rule.above} ms`);
    return ms;
  }

  oneOf<T extends string>(value: unknown, path: string, options: readonly T[], fallback?: T): T | undefined {
    if (value === undefined || value === null) return fallback ?? this.fail(path, 'is required');
    if (typeof value === 'string' && (options as readonly string[]).includes(value)) return value as T;
    return this.fail(path, `${show(value)} is not one of ${options.join(', ')}`);
  }

  boolean(value: unknown, path: string, fallback: boolean): boolean | undefined {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    return this.fail(path, `${show(value)} is not true or false`);
  }

  stringMap(value: unknown, path: string): Record<string, string> {
    const obj = this.object(value, path);
    if (!obj) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
      else this.fail(`${path}.${k}`, `${show(v)} is not a string`);
    }
    return out;
  }

  url(value: unknown, path: string): string | undefined {
    const text = this.string(value, path);
    if (text === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      return this.fail(path, `${show(value)} is not a URL; expected e.g. http://fibonacci:5000`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return this.fail(path, `${show(value)} is not an http(s) URL`);
    return text.replace(/\/+$/, '');
  }
}
