// The configuration's JSON Schema, emitted from the valibot schema (schema.ts): each field carries
// its own JSON Schema (fields.ts), objects, lists, unions and defaults are walked here. Editors read
// the result (jobs/scaler.schema.json, `latency-scaler schema`) to complete and check scaler.yaml.
import { ConfigSchema, StateSchema, TARGET_SCHEMAS } from './schema.ts';
import type { Json } from './fields.ts';

interface Node {
  type?: string;
  kind?: string;
  wrapped?: unknown;
  default?: unknown;
  entries?: Record<string, unknown>;
  item?: unknown;
  options?: unknown[];
  literal?: unknown;
  pipe?: Node[];
  metadata?: { jsonSchema?: Json };
  description?: string;
}

export function configJsonSchema(): Json {
  const root = emit(ConfigSchema);
  const properties = root['properties'] as Record<string, Json>;
  properties['target'] = {
    description:
      'what to scale: a Kubernetes workload through its /scale subresource, an http webhook, ' +
      'an ECS service or an EC2 Auto Scaling group',
    oneOf: TARGET_SCHEMAS.map(emit),
  };
  properties['state'] = {
    description:
      "where the state record lives; default: a Kubernetes target's ConfigMap wherever it runs, a webhook's " +
      'file, dynamodb in Lambda',
    ...emit(StateSchema),
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'latency-scaler configuration (scaler.yaml)',
    description:
      "A superset of the Locust Pod Autoscaler's evaluation_config.yaml. Durations: 500ms, 5s, 2m, 1m30s or seconds.",
    ...root,
  };
}

function emit(schema: unknown): Json {
  const node = schema as Node;
  const own = metadataOf(node);
  if (own) return { ...own };
  const description = descriptionOf(node);
  const described = (json: Json): Json => (description ? { description, ...json } : json);
  switch (node.type) {
    case 'optional':
    case 'nullish': {
      const inner = emit(node.wrapped);
      const fallback = node.default;
      const usable = fallback !== undefined && typeof fallback !== 'function' && fallback !== Number.MAX_SAFE_INTEGER;
      const empty = typeof fallback === 'object' && fallback !== null && Object.keys(fallback).length === 0;
      return usable && !empty ? { ...inner, default: fallback } : inner;
    }
    case 'object': {
      const entries = node.entries ?? {};
      const required = Object.keys(entries).filter((k) => !isOptional(entries[k]));
      const properties = Object.fromEntries(Object.entries(entries).map(([k, s]) => [k, emit(s)]));
      return described({
        type: 'object',
        properties,
        ...(required.length ? { required } : {}),
        additionalProperties: false,
      });
    }
    case 'array':
      return described({ type: 'array', items: emit(node.item) });
    case 'union':
      return described({ anyOf: (node.options ?? []).map(emit) });
    case 'variant':
      return described({ oneOf: (node.options ?? []).map(emit) });
    case 'literal':
      return described({ const: node.literal });
    default:
      return described({});
  }
}

function isOptional(schema: unknown): boolean {
  const type = (schema as Node).type;
  return type === 'optional' || type === 'nullish';
}

/** A field's own JSON Schema: the metadata action in its pipe (or in a schema nested in the pipe). */
function metadataOf(node: Node): Json | undefined {
  for (const item of node.pipe ?? []) {
    if (item === node) continue;
    if (item.type === 'metadata' && item.metadata?.jsonSchema) return item.metadata.jsonSchema;
    if (item.kind === 'schema') {
      const nested = metadataOf(item);
      if (nested) return nested;
    }
  }
  return undefined;
}

function descriptionOf(node: Node): string | undefined {
  return node.pipe?.find((item) => item.type === 'description')?.description;
}

/** Every key path the schema knows (`loadTest.requests[].path`), for README's reference check. */
export function keyPaths(json: Json = configJsonSchema(), at = ''): string[] {
  const out: string[] = [];
  const properties = json['properties'] as Record<string, Json> | undefined;
  for (const [key, sub] of Object.entries(properties ?? {})) {
    const path = at ? `${at}.${key}` : key;
    out.push(path, ...keyPaths(sub, path));
  }
  const items = json['items'] as Json | undefined;
  if (items) out.push(...keyPaths(items, `${at}[]`));
  for (const option of [
    ...((json['oneOf'] as Json[] | undefined) ?? []),
    ...((json['anyOf'] as Json[] | undefined) ?? []),
  ]) {
    out.push(...keyPaths(option, at));
  }
  return [...new Set(out)];
}
