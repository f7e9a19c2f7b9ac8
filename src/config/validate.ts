// Raw (merged) configuration → typed ScalerConfig, or a ConfigError listing every problem: unknown
// keys (with a "did you mean"), then the schema (schema.ts), then the rules between fields (rules.ts).
// The input is never mutated.
import * as v from 'valibot';
import { ConfigError } from '../errors.ts';
import { closest, isObject, show, type Raw } from './fields.ts';
import { Issues } from './issues.ts';
import { applyRules } from './rules.ts';
import {
  AutoScalingGroupTargetSchema,
  ConfigSchema,
  EcsServiceTargetSchema,
  HttpTargetSchema,
  KubernetesTargetSchema,
  StateSchema,
  type TargetSchema,
} from './schema.ts';
import { AWS_KINDS, type LoadTestOnlyConfig, type ScalerConfig } from './types.ts';

export interface ValidateOptions {
  source: string;
  origins?: Map<string, string>;
  /** `loadtest` needs no scale target. */
  requireTarget: boolean;
  /** Picks the default state store: dynamodb in Lambda; else a Kubernetes target's ConfigMap, a webhook's file. */
  environment: 'cluster' | 'lambda' | 'local';
}

/** Keys that were settings once: their own message, not "unknown key". */
const RETIRED: Record<string, string> = {
  'scaleUp.tolerance':
    'is no longer a setting (it never had an effect); use targets[].tolerance, the band around each target',
};

/** With `requireTarget: true` (a run), the config has its target; `loadtest` needs none. */
export function validateConfig(raw: unknown, options: ValidateOptions & { requireTarget: true }): ScalerConfig;
export function validateConfig(raw: unknown, options: ValidateOptions): LoadTestOnlyConfig;
export function validateConfig(raw: unknown, options: ValidateOptions): LoadTestOnlyConfig | ScalerConfig {
  const issues = new Issues(options.origins);
  if (!isObject(raw)) {
    issues.add('', `the configuration is ${show(raw)}, expected a YAML mapping`);
    throw new ConfigError(issues.list, options.source);
  }
  unknownKeys(ConfigSchema, raw, '', issues);
  // Block by block, so a problem in one block does not hide the problems (and rules) of another.
  const blocks: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(ConfigSchema.entries)) {
    const result = v.safeParse(schema, raw[key], { abortEarly: false });
    for (const issue of result.issues ?? []) issues.add(join(key, pathOf(issue)), issue.message);
    if (result.success) blocks[key] = result.output;
  }
  const parsed = blocks as Partial<v.InferOutput<typeof ConfigSchema>>;
  const target = readTarget(raw['target'], options.requireTarget, issues);
  const state = readState(raw['state'], target, options.environment, issues);
  const config = applyRules(
    { parsed, target, state, source: options.source, requireTarget: options.requireTarget },
    issues,
  );
  if (issues.list.length > 0 || !config) throw new ConfigError(issues.list, options.source);
  return config;
}

/** Unknown keys first (a typo must not fall back to a default), then the schema; issues collected. */
function parse<S extends v.GenericSchema>(
  schema: S,
  raw: unknown,
  at: string,
  issues: Issues,
): v.InferOutput<S> | undefined {
  unknownKeys(schema, raw, at, issues);
  const result = v.safeParse(schema, raw, { abortEarly: false });
  for (const issue of result.issues ?? []) issues.add(join(at, pathOf(issue)), issue.message);
  return result.success ? result.output : undefined;
}

function readTarget(raw: unknown, required: boolean, issues: Issues): v.InferOutput<TargetSchema> | undefined {
  if (raw === undefined || raw === null) {
    if (required) issues.add('target', 'is required');
    return undefined;
  }
  if (!isObject(raw)) return void issues.add('target', `${show(raw)} is not an object`);
  const schema =
    raw['kind'] === 'http'
      ? HttpTargetSchema
      : raw['kind'] === 'ecs-service'
        ? EcsServiceTargetSchema
        : raw['kind'] === 'autoscaling-group'
          ? AutoScalingGroupTargetSchema
          : KubernetesTargetSchema;
  return parse<TargetSchema>(schema, raw, 'target', issues);
}

function readState(
  raw: unknown,
  target: { kind: string } | undefined,
  environment: ValidateOptions['environment'],
  issues: Issues,
): v.InferOutput<typeof StateSchema> | undefined {
  if (raw !== undefined && raw !== null && !isObject(raw))
    return void issues.add('state', `${show(raw)} is not an object`);
  const given = (raw ?? {}) as Raw;
  // A Kubernetes target's record lives in the cluster wherever the command runs (a laptop, the CronJob),
  // so the two never keep one record each; a webhook's (or an AWS target's) stays a file by hand. Lambda:
  // DynamoDB.
  const kubernetes =
    target !== undefined && target.kind !== 'http' && !(AWS_KINDS as readonly string[]).includes(target.kind);
  const store = given['store'] ?? (environment === 'lambda' ? 'dynamodb' : kubernetes ? 'configmap' : 'file');
  return parse(StateSchema, { ...given, store }, 'state', issues);
}

/** The object entries of a schema, through optional/nullish wrappers and pipes. */
function entriesOf(schema: unknown, raw: unknown): Record<string, unknown> | undefined {
  const s = schema as {
    type?: string;
    wrapped?: unknown;
    entries?: Record<string, unknown>;
    options?: unknown[];
    key?: string;
  };
  if (s.type === 'optional' || s.type === 'nullish') return entriesOf(s.wrapped, raw);
  if (s.type === 'object') return s.entries;
  if (s.type === 'union') {
    for (const option of s.options ?? []) {
      const entries = entriesOf(option, raw);
      if (entries) return entries;
    }
  }
  if (s.type === 'variant' && isObject(raw)) {
    for (const option of s.options ?? []) {
      const entries = entriesOf(option, raw);
      const literal = (entries?.[s.key!] as { literal?: unknown } | undefined)?.literal;
      if (literal === raw[s.key!]) return entries;
    }
  }
  return undefined;
}

function itemOf(schema: unknown): unknown {
  const s = schema as { type?: string; wrapped?: unknown; item?: unknown };
  if (s.type === 'optional' || s.type === 'nullish') return itemOf(s.wrapped);
  return s.type === 'array' ? s.item : undefined;
}

function unknownKeys(schema: unknown, raw: unknown, at: string, issues: Issues): void {
  if (Array.isArray(raw)) {
    const item = itemOf(schema);
    if (item) raw.forEach((x, i) => unknownKeys(item, x, `${at}[${i}]`, issues));
    return;
  }
  if (!isObject(raw)) return;
  const entries = entriesOf(schema, raw);
  if (!entries) return;
  const keys = Object.keys(entries);
  for (const [key, value] of Object.entries(raw)) {
    const path = join(at, key);
    if (keys.includes(key)) {
      unknownKeys(entries[key], value, path, issues);
      continue;
    }
    if (RETIRED[path]) {
      issues.add(path, RETIRED[path]);
      continue;
    }
    const hint = closest(key, keys);
    issues.add(path, `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${keys.join(', ')}`);
  }
}

function pathOf(issue: v.BaseIssue<unknown>): string {
  let out = '';
  for (const item of issue.path ?? []) {
    const key = (item as { key: unknown }).key;
    out = typeof key === 'number' ? `${out}[${key}]` : join(out, String(key));
  }
  return out;
}

function join(at: string, key: string): string {
  if (!key) return at;
  if (key.startsWith('[')) return `${at}${key}`;
  return at ? `${at}.${key}` : key;
}
