// The field kinds of the configuration, as valibot schemas that carry three things at once: the
// rule (with the message an operator reads: the value seen and what was expected), the default,
// and the field's JSON Schema (for editors). Values from the environment and flags arrive as
// strings, so number and boolean fields accept their text; string fields accept numbers.
import * as v from 'valibot';
import { parseDuration } from './duration.ts';

export type Raw = Record<string, unknown>;
export type Json = Record<string, unknown>;

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

type Issue = v.BaseIssue<unknown>;
const missing = (input: unknown): boolean => input === undefined || input === null;
/** `"ten" is not an integer`, or `is required` when nothing was given. */
export const says =
  (what: string) =>
  (issue: Issue): string =>
    missing(issue.input) ? 'is required' : `${show(issue.input)} ${what}`;

/** The field's JSON Schema, attached to its valibot schema (read by json-schema.ts). */
function json<TInput>(schema: Json): v.MetadataAction<TInput, { readonly jsonSchema: Json }> {
  return v.metadata<TInput, { readonly jsonSchema: Json }>({ jsonSchema: schema });
}

interface Doc {
  description: string;
}
interface NumberRule extends Doc {
  min?: number;
  max?: number;
  above?: number;
}

const NUMERIC = /^\s*-?\d+(?:\.\d+)?\s*$/;
const numeric = (what: string) =>
  v.union([v.number(), v.pipe(v.string(), v.regex(NUMERIC), v.transform(Number))], says(what));

function bounds(rule: NumberRule) {
  return v.check(
    (n: number) => {
      if (rule.min !== undefined && n < rule.min) return false;
      if (rule.above !== undefined && n <= rule.above) return false;
      return rule.max === undefined || n <= rule.max;
    },
    (issue) => {
      const n = issue.input as number;
      if (rule.min !== undefined && n < rule.min) return `${show(n)} is below the minimum ${rule.min}`;
      if (rule.above !== undefined && n <= rule.above) return `${show(n)} must be greater than ${rule.above}`;
      return `${show(n)} is above the maximum ${rule.max}`;
    },
  );
}

function numberJson(type: 'integer' | 'number', rule: NumberRule): Json {
  return {
    type,
    description: rule.description,
    ...(rule.min !== undefined ? { minimum: rule.min } : {}),
    ...(rule.above !== undefined ? { exclusiveMinimum: rule.above } : {}),
    ...(rule.max !== undefined ? { maximum: rule.max } : {}),
  };
}

export function integer(rule: NumberRule) {
  const check = v.integer(says('is not an integer'));
  return v.pipe(numeric('is not an integer'), check, bounds(rule), json(numberJson('integer', rule)));
}

export function number(rule: NumberRule) {
  const finite = v.check((n: number) => Number.isFinite(n), says('is not a number'));
  return v.pipe(numeric('is not a number'), finite, bounds(rule), json(numberJson('number', rule)));
}

/** A non-empty string; numbers and booleans are taken as their text (YAML reads `name: 123` as a number). */
export function text(doc: Doc & { pattern?: RegExp; patternRule?: string }) {
  const { pattern, patternRule } = doc;
  return v.pipe(
    v.union([v.string(), v.number(), v.boolean()], says('is not a non-empty string')),
    v.transform(String),
    v.check((s) => s.trim() !== '', says('is not a non-empty string')),
    v.check((s) => !pattern || pattern.test(s), says(patternRule ?? `does not match ${pattern}`)),
    json({
      type: 'string',
      minLength: 1,
      description: doc.description,
      ...(pattern ? { pattern: pattern.source } : {}),
    }),
  );
}

/** One of a fixed set of words. */
export function oneOf<const T extends readonly [string, ...string[]]>(options: T, doc: Doc) {
  return v.pipe(
    v.picklist(options, says(`is not one of ${options.join(', ')}`)),
    json({ enum: [...options], description: doc.description }),
  );
}

export function flag(doc: Doc) {
  const fromText = v.pipe(
    v.picklist(['true', 'false']),
    v.transform((s) => s === 'true'),
  );
  return v.pipe(
    v.union([v.boolean(), fromText], says('is not true or false')),
    json({ type: 'boolean', description: doc.description }),
  );
}

/** `500ms`, `5s`, `2m`, `1m30s` or a number of seconds → milliseconds. */
export function duration(doc: Doc & { above?: number }) {
  const rule = 'is not a duration; expected e.g. 500ms, 5s, 2m or a number of seconds';
  const above = doc.above;
  return v.pipe(
    v.union([v.number(), v.string()], says(rule)),
    v.check((x) => parseDuration(x) !== undefined, says(rule)),
    // Not a duration at all is said once, by the check above.
    v.check(
      (x) => above === undefined || (parseDuration(x) ?? Infinity) > above,
      says(`must be longer than ${above} ms`),
    ),
    v.transform((x) => parseDuration(x)!),
    json({
      description: `${doc.description} (a duration: 500ms, 5s, 2m, 1m30s, or a number of seconds)`,
      anyOf: [
        { type: 'string', pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h))+$|^\\d+(\\.\\d+)?$' },
        { type: 'number', minimum: 0 },
      ],
    }),
  );
}

/** An http(s) URL; trailing slashes dropped (paths are appended to it). */
export function url(doc: Doc) {
  const isUrl = (s: string): boolean => {
    try {
      return ['http:', 'https:'].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  };
  const notUrl = (s: string): string => {
    try {
      new URL(s);
      return `${show(s)} is not an http(s) URL`;
    } catch {
      return `${show(s)} is not a URL; expected e.g. http://fibonacci:5000`;
    }
  };
  return v.pipe(
    v.string(says('is not a URL; expected e.g. http://fibonacci:5000')),
    v.check(isUrl, (issue) => notUrl(issue.input as string)),
    v.transform((s) => s.replace(/\/+$/, '')),
    json({ type: 'string', format: 'uri', pattern: '^https?://', description: doc.description }),
  );
}

/** Header-like maps: string values (numbers and booleans taken as text). */
export function stringMap(doc: Doc) {
  const value = v.pipe(v.union([v.string(), v.number(), v.boolean()], says('is not a string')), v.transform(String));
  return v.pipe(
    v.record(v.string(), value, says('is not an object')),
    json({ type: 'object', additionalProperties: { type: 'string' }, description: doc.description }),
  );
}

/**
 * An object of fields. Unknown keys are not dropped silently: validate.ts reports them (with a
 * "did you mean") before this schema runs, so a typo never falls back to a default.
 */
export function object<const E extends v.ObjectEntries>(entries: E, description?: string) {
  const schema = v.object(entries, says('is not an object'));
  return description ? v.pipe(schema, v.description(description)) : schema;
}

/** A section: an object of fields; `{}` when absent, so the fields' defaults apply. */
export function section<const E extends v.ObjectEntries>(entries: E, doc: Doc) {
  const schema = object(entries, doc.description);
  return v.nullish(schema, {} as v.InferInput<typeof schema>);
}

export function list<S extends v.GenericSchema>(item: S, doc: Doc) {
  return v.pipe(v.array(item, says('is not a list')), v.description(doc.description));
}

/** The nearest of `candidates` to a mistyped key, if it is a near miss. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
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
