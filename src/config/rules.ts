// The rules between fields, in one place: bounds that must be ordered, defaults that depend on
// another field, and the resolution of each target to the request it reads. Pure; problems are
// added to the caller's list, each with its field path.
import type * as v from 'valibot';
import { defaultStatePath } from '../model/target-key.ts';
import { show } from './fields.ts';
import type { Issues } from './issues.ts';
import {
  ConfigSchema,
  type AutoScalingGroupTargetSchema,
  type KubernetesTargetSchema,
  type StateSchema,
  type TargetSchema,
} from './schema.ts';
import { checkSignals, hasProductionLoadQuery } from './signals.ts';
import { LOCUST_PERCENTILES, parseTargetType, TARGET_TYPES_HELP } from './target-type.ts';
import {
  isAwsTarget,
  type AwsTargetRef,
  type KubernetesTargetRef,
  type LoadTestConfig,
  type LoadTestOnlyConfig,
  type LocustEngineConfig,
  type RequestSpec,
  type StateConfig,
  type TargetRef,
  type TargetSpec,
} from './types.ts';

interface Inputs {
  /** The blocks that passed the schema; a block with problems is missing (its problems are reported). */
  parsed: Partial<Parsed>;
  target: v.InferOutput<TargetSchema> | undefined;
  state: v.InferOutput<typeof StateSchema> | undefined;
  source: string;
  requireTarget: boolean;
}

type Parsed = v.InferOutput<typeof ConfigSchema>;
type ParsedKubernetesRef = Omit<v.InferOutput<typeof KubernetesTargetSchema>, 'allowOtherAutoscalers'> & {
  allowOtherAutoscalers?: boolean;
};

/** The rules between fields; a whole config only when every block and rule is satisfied. */
export function applyRules(inputs: Inputs, issues: Issues): LoadTestOnlyConfig | undefined {
  const { parsed } = inputs;
  const { replicas, targets: listed } = parsed;
  if (replicas && replicas.min > replicas.max)
    issues.add('replicas', `min ${replicas.min} is greater than max ${replicas.max}`);
  // A probe cannot measure a service with no replicas: at 0 no run would ever see demand again (§4.14).
  if (replicas?.min === 0 && !hasProductionLoadQuery(parsed)) {
    issues.add(
      'replicas.min',
      '0 needs a way to see demand at zero replicas, and a load test cannot (no replica answers it): ' +
        'set signals.rate.query (a production load query, with signals.prometheus) or use min 1 or more',
    );
  }
  const target = inputs.target ? targetRef(inputs.target, 'target', issues) : undefined;
  checkSignals(parsed.signals, listed, issues);
  const probeless = inputs.requireTarget && listed !== undefined && isProbeless(listed);
  if (probeless && parsed.loadTest && loadTestGiven(parsed.loadTest)) {
    issues.add(
      'loadTest',
      'is set, but every target is a production query and none reads the load test: remove loadTest ' +
        '(no synthetic load is then sent) or add a probe target',
    );
  }
  const loadTest = parsed.loadTest && !probeless ? readLoadTest(parsed.loadTest, issues) : undefined;
  const targets = listed && (loadTest || probeless) ? resolveTargets(listed, loadTest, issues) : [];
  if (listed?.length === 0 && inputs.requireTarget) {
    issues.add(
      'targets',
      'is required: at least one latency target, e.g. [{ method: GET, endpoint: /, type: mean, target: 100 }]',
    );
  }
  const state = inputs.state ? stateConfig(inputs.state, target, issues) : undefined;
  // The blocks no rule touches (replicas, scaleUp, decay, …): taken as the schema gave them.
  const { target: _target, state: _state, loadTest: _loadTest, targets: _targets, ...blocks } = parsed;
  const plain = Object.keys(ConfigSchema.entries).filter(
    (k) => !['target', 'state', 'loadTest', 'targets'].includes(k),
  );
  const complete = plain.every((k) => blocks[k as keyof typeof blocks] !== undefined);
  if (!replicas || !(loadTest || probeless) || !state || !complete || (!target && inputs.requireTarget))
    return undefined;
  const whole = blocks as Required<typeof blocks>;
  // Probe-less (every target a production query): no loadTest, so no synthetic load (a run's config only).
  const config = { ...whole, ...(target ? { target } : {}), loadTest, targets, state, source: inputs.source };
  return config as LoadTestOnlyConfig;
}

/** Every target is a production query: the probe-less mode (DESIGN §9). */
function isProbeless(listed: Parsed['targets']): boolean {
  return listed.length > 0 && listed.every((t) => t.query !== undefined);
}

/** A load test was configured (beyond the schema's defaults): a host, requests, a script or Locust. */
function loadTestGiven(lt: Parsed['loadTest']): boolean {
  return lt.host !== undefined || lt.requests.length > 0 || lt.script !== undefined || lt.locust !== undefined;
}

function targetRef(t: NonNullable<Inputs['target']>, path: string, issues: Issues): TargetRef | undefined {
  if (t.kind === 'http' && 'url' in t) return { kind: 'http', url: t.url, headers: t.headers };
  if ('service' in t) return { kind: 'ecs-service', cluster: t.cluster, service: t.service, ...awsPlace(t) };
  if (t.kind === 'autoscaling-group') {
    const group = t as v.InferOutput<typeof AutoScalingGroupTargetSchema>;
    return { kind: 'autoscaling-group', name: group.name, ...awsPlace(group) };
  }
  return kubernetesRef(t as ParsedKubernetesRef, path, issues);
}

/** An AWS target's optional fields, only those given: its key and record name only what was set. */
function awsPlace(t: {
  region?: string | undefined;
  endpoint?: string | undefined;
  allowOtherAutoscalers: boolean;
}): Omit<AwsTargetRef, 'kind' | 'name' | 'cluster' | 'service'> {
  return {
    ...(t.region !== undefined ? { region: t.region } : {}),
    ...(t.endpoint !== undefined ? { endpoint: t.endpoint } : {}),
    ...(t.allowOtherAutoscalers ? { allowOtherAutoscalers: true } : {}),
  };
}

function kubernetesRef(t: ParsedKubernetesRef, path: string, issues: Issues): KubernetesTargetRef | undefined {
  const builtIn = t.kind === 'Deployment' || t.kind === 'StatefulSet' || t.kind === 'ReplicaSet';
  const apiVersion = t.apiVersion ?? (builtIn ? 'apps/v1' : undefined);
  if (!apiVersion) return void issues.add(`${path}.apiVersion`, 'is required');
  // As kubectl: the namespace given, else the pod's own or the kubeconfig context's (load.ts), else `default`.
  const namespaceFrom =
    t.namespace === undefined ? 'the default namespace' : (issues.sourceOf(`${path}.namespace`) ?? 'the configuration');
  const ref: KubernetesTargetRef = {
    kind: t.kind,
    apiVersion,
    name: t.name,
    namespace: t.namespace ?? 'default',
    namespaceFrom,
  };
  return 'allowOtherAutoscalers' in t && t.allowOtherAutoscalers ? { ...ref, allowOtherAutoscalers: true } : ref;
}

function readLoadTest(lt: Parsed['loadTest'], issues: Issues): LoadTestConfig | undefined {
  if (lt.host === undefined) {
    const example = 'e.g. http://fibonacci:5000 (or set locustHost / SCALER_HOST)';
    issues.add('loadTest.host', `is required: the base URL of the service to measure, ${example}`);
  }
  const base = lt.host === undefined ? undefined : new URL(lt.host);
  if (base && (base.search || base.hash)) {
    const where = base.search ? 'a query' : 'a fragment';
    issues.add(
      'loadTest.host',
      `"${lt.host}" has ${where}: the host is a base URL (a path prefix is kept); put queries in the request paths`,
    );
  }
  if (lt.warmup >= lt.duration)
    issues.add('loadTest.warmup', `${lt.warmup} ms leaves nothing of the ${lt.duration} ms duration to measure`);
  const waitTime =
    typeof lt.waitTime === 'number'
      ? { min: lt.waitTime, max: lt.waitTime }
      : { min: lt.waitTime.min, max: lt.waitTime.max ?? lt.waitTime.min };
  if (waitTime.min > waitTime.max)
    issues.add('loadTest.waitTime', `min ${waitTime.min} ms is greater than max ${waitTime.max} ms`);
  // A locustfile (LPA's locustFilePath) means the Locust engine unless another engine is named.
  const engine = lt.engine ?? (lt.locust?.locustfile ? 'locust' : 'local');
  const locustWhat =
    "a locustfile to run (loadTest.locust.locustfile, LPA's locustFilePath) or a master's web UI (loadTest.locust.url)";
  if (engine === 'locust' && !lt.locust)
    issues.add('loadTest.locust', `is required when loadTest.engine is locust: ${locustWhat}`);
  if (engine === 'locust' && lt.locust && !lt.locust.locustfile === !lt.locust.url) {
    issues.add('loadTest.locust', `needs exactly one of locustfile and url: ${locustWhat}`);
  }
  if (engine === 'local' && lt.locust?.locustfile) {
    const where = issues.originOf('loadTest.locust.locustfile') ?? 'loadTest.locust.locustfile';
    issues.add(
      'loadTest.engine',
      `"local" cannot run the locustfile named by ${where}: set loadTest.engine to locust (or leave it out),` +
        ' or drop the locustfile to use the built-in engine',
    );
  }
  if (engine === 'locust' && lt.locust?.locustfile && lt.warmup > 0) {
    issues.add(
      'loadTest.warmup',
      "is not supported with a locustfile: Locust's statistics start when the ramp-up ends; leave it out",
    );
  }
  const requests = resolveRequests(lt.requests, issues);
  const locust = lt.locust
    ? locustConfig(
        lt.locust,
        { implied: lt.engine === undefined, origin: issues.originOf('loadTest.locust.locustfile') },
        issues,
      )
    : undefined;
  if (lt.host === undefined) return undefined;
  const { locust: _ignored, ...rest } = lt;
  return {
    ...rest,
    engine,
    host: lt.host,
    waitTime,
    requests,
    spawnRate: lt.spawnRate ?? lt.users, // default: every user starts in the first second
    ...(locust ? { locust } : {}),
  };
}

function locustConfig(
  l: NonNullable<Parsed['loadTest']['locust']>,
  how: { implied: boolean; origin: string | undefined },
  issues: Issues,
): LocustEngineConfig {
  const workerTarget = l.workers?.target
    ? kubernetesRef(l.workers.target, 'loadTest.locust.workers.target', issues)
    : undefined;
  const workers = l.workers ? { ...l.workers, target: workerTarget } : undefined;
  const headless = l.locustfile
    ? { locustfile: l.locustfile, locustfileOrigin: how.origin, command: l.command, implied: how.implied }
    : {};
  return { url: l.url, username: l.username, password: l.password, ...headless, ...(workers ? { workers } : {}) };
}

function resolveRequests(list: Parsed['loadTest']['requests'], issues: Issues): RequestSpec[] {
  const names = new Set<string>();
  return list.map((r, i) => {
    const name = r.name ?? `${r.method} ${r.path}`;
    if (names.has(name)) {
      issues.add(
        `loadTest.requests[${i}].name`,
        `${show(name)} is used by two requests; names key the statistics and must be unique`,
      );
    }
    names.add(name);
    const status = r.expect?.status;
    const expectStatus = status === undefined ? undefined : Array.isArray(status) ? status : [status];
    return {
      name,
      method: r.method,
      path: r.path,
      weight: r.weight,
      headers: r.headers,
      ...(r.body !== undefined ? { body: r.body } : {}),
      ...(expectStatus ? { expectStatus } : {}),
    };
  });
}

/**
 * A target names its request by `name`, or by `method` + `endpoint` (LPA's form). An LPA file has
 * no `requests`: there each target's method + endpoint becomes a request of weight 1.
 */
function resolveTargets(list: Parsed['targets'], loadTest: LoadTestConfig | undefined, issues: Issues): TargetSpec[] {
  const out: TargetSpec[] = [];
  list.forEach((t, i) => {
    const path = `targets[${i}]`;
    // A production target: its query is its value; checkSignals has checked its fields.
    if (t.query !== undefined) {
      if (t.name === undefined) return;
      const { target, tolerance, query } = t;
      out.push({ label: 'query', request: t.name, type: { kind: 'query' }, target, tolerance, query });
      return;
    }
    if (t.type === undefined) return void issues.add(`${path}.type`, `is required: ${TARGET_TYPES_HELP}`);
    if (loadTest) resolveProbeTarget(t, t.type, path, loadTest, issues, out);
  });
  return out;
}

function resolveProbeTarget(
  t: Parsed['targets'][number],
  typeText: string,
  path: string,
  loadTest: LoadTestConfig,
  issues: Issues,
  out: TargetSpec[],
): void {
  const namesFromElsewhere = Boolean(loadTest.script) || loadTest.engine === 'locust'; // the script or the locustfile
  const declared = loadTest.requests.length > 0;
  const type = parseTargetType(typeText); // the schema has checked it parses
  const percentile = type?.kind === 'percentile' ? type.percentile : undefined;
  if (
    percentile !== undefined &&
    loadTest.engine === 'locust' &&
    !(LOCUST_PERCENTILES as readonly number[]).includes(percentile)
  ) {
    issues.add(
      `${path}.type`,
      `${show(t.type)}: the Locust engine reports only ${LOCUST_PERCENTILES.map((p) => `p${p}`).join(', ')}`,
    );
  }
  if (type?.kind === 'failureRatio' && t.target > 1)
    issues.add(`${path}.target`, `${show(t.target)} is above the maximum 1`);
  let request: string | undefined;
  if (t.name !== undefined) {
    const known = loadTest.requests.some((r) => r.name === t.name);
    request = known || namesFromElsewhere ? t.name : undefined;
    const names = loadTest.requests.map((r) => JSON.stringify(r.name)).join(', ') || 'none';
    if (!request) issues.add(`${path}.name`, `${show(t.name)} matches no request of the load test; known: ${names}`);
  } else if (t.endpoint === undefined) {
    issues.add(`${path}.endpoint`, 'is required (or name the request)');
  } else {
    const match = loadTest.requests.find((r) => r.method === t.method && r.path === t.endpoint);
    const name = `${t.method} ${t.endpoint}`;
    if (match) request = match.name;
    else if (namesFromElsewhere) request = name;
    else if (declared && !loadTest.derivedRequests) {
      const names = loadTest.requests.map((r) => JSON.stringify(r.name)).join(', ');
      issues.add(path, `${t.method} ${t.endpoint} matches no request of the load test; known: ${names}`);
    } else {
      loadTest.derivedRequests = true;
      loadTest.requests.push({ name, method: t.method, path: t.endpoint, weight: 1, headers: {} });
      request = name;
    }
  }
  if (type && request !== undefined)
    out.push({ label: typeText, request, type, target: t.target, tolerance: t.tolerance });
}

function stateConfig(
  s: v.InferOutput<typeof StateSchema>,
  target: TargetRef | undefined,
  issues: Issues,
): StateConfig | undefined {
  switch (s.store) {
    case 'file':
      return { store: 'file', path: s.path ?? defaultStatePath(target) };
    case 'configmap':
      if (target && isAwsTarget(target)) {
        const kind = target.kind;
        issues.add('state.store', `"configmap" needs a Kubernetes target; use file or dynamodb with an ${kind} target`);
      }
      // No workload to put it beside: a webhook's ConfigMap (its state in a cluster) is named in full.
      if (target?.kind === 'http') {
        for (const key of ['name', 'namespace'] as const) {
          if (s[key] === undefined)
            issues.add(
              `state.${key}`,
              'is required with store "configmap" and an http target (no workload to put it beside)',
            );
        }
      }
      return { store: 'configmap', name: s.name, namespace: s.namespace };
    case 'dynamodb':
      return { store: 'dynamodb', table: s.table, region: s.region, endpoint: s.endpoint };
  }
}
