// Raw (merged) configuration → typed ScalerConfig, or a ConfigError listing every problem.
import { ConfigError } from '../errors.ts';
import { Fields, isObject, show, type Raw } from './fields.ts';
import { parseTargetType, TARGET_TYPES_HELP } from './target-type.ts';
import { LOCUST_PERCENTILES } from '../loadtest/locust-stats.ts';
import { defaultStatePath } from '../model/target-key.ts';
import type {
  HttpMethod, KubernetesTargetRef, LoadTestConfig, LocustEngineConfig, RequestSpec, ScalerConfig,
  StateConfig, TargetRef, TargetSpec,
} from './types.ts';

const METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const TOP_KEYS = ['target', 'replicas', 'loadTest', 'targets', 'scaleUp', 'decay', 'onProbeFailure', 'stabilization', 'settle', 'state', 'history'] as const;

export interface ValidateOptions {
  source: string;
  origins?: Map<string, string>;
  /** `loadtest` needs no scale target. */
  requireTarget: boolean;
  /** Picks the default state store: configmap in a cluster, dynamodb in Lambda, else a file. */
  environment: 'cluster' | 'lambda' | 'local';
}

export function validateConfig(raw: unknown, options: ValidateOptions): ScalerConfig {
  const f = new Fields(options.origins);
  const root = isObject(raw) ? raw : (f.fail('', `the configuration is ${show(raw)}, expected a YAML mapping`), {});
  f.known(root, '', TOP_KEYS);

  const target = readTarget(f, root['target'], options.requireTarget);
  const replicas = readReplicas(f, root['replicas']);
  const loadTest = readLoadTest(f, root['loadTest']);
  const targets = readTargets(f, root['targets'], loadTest);
  const scaleUp = readScaleUp(f, root['scaleUp']);
  const decay = readDecay(f, root['decay']);
  const onProbeFailure = f.oneOf(root['onProbeFailure'], 'onProbeFailure', ['hold', 'scaleUp'] as const, 'hold');
  const stabilization = f.object(root['stabilization'], 'stabilization') ?? {};
  f.known(stabilization, 'stabilization', ['downscaleWindow']);
  const settle = f.object(root['settle'], 'settle') ?? {};
  f.known(settle, 'settle', ['timeout']);
  const history = f.object(root['history'], 'history') ?? {};
  f.known(history, 'history', ['limit']);
  const state = readState(f, root['state'], target, options.environment);

  const config: ScalerConfig = {
    target: target ?? { kind: 'http', url: 'http://127.0.0.1/', headers: {} },
    replicas: replicas!,
    loadTest: loadTest!,
    targets,
    scaleUp: scaleUp!,
    decay: decay!,
    onProbeFailure: onProbeFailure!,
    stabilization: { downscaleWindowMs: f.durationMs(stabilization['downscaleWindow'], 'stabilization.downscaleWindow', 0)! },
    settle: { timeoutMs: f.durationMs(settle['timeout'], 'settle.timeout', 5 * 60_000)! }, // 5m
    state: state!,
    historyLimit: f.number(history['limit'], 'history.limit', { int: true, min: 1, max: 1000 }, 50)!,
    source: options.source,
  };
  if (f.issues.length > 0) throw new ConfigError(f.issues, options.source);
  return config;
}

function readTarget(f: Fields, value: unknown, required: boolean): TargetRef | undefined {
  const raw = f.object(value, 'target', required);
  if (!raw) return undefined;
  if (raw['kind'] === 'http') {
    f.known(raw, 'target', ['kind', 'url', 'headers']);
    const url = f.url(raw['url'], 'target.url');
    return url === undefined ? undefined : { kind: 'http', url, headers: f.stringMap(raw['headers'], 'target.headers') };
  }
  return readKubernetesRef(f, raw, 'target');
}

export function readKubernetesRef(f: Fields, raw: Raw, path: string): KubernetesTargetRef | undefined {
  f.known(raw, path, ['kind', 'apiVersion', 'name', 'namespace']);
  const kind = f.string(raw['kind'], `${path}.kind`);
  const name = f.string(raw['name'], `${path}.name`);
  const namespace = f.string(raw['namespace'], `${path}.namespace`, 'default');
  const apiVersion = f.string(raw['apiVersion'], `${path}.apiVersion`, defaultApiVersion(kind));
  if (name !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) f.fail(`${path}.name`, `${show(name)} is not a Kubernetes object name`);
  if (!kind || !name || !namespace || !apiVersion) return undefined;
  return { kind, apiVersion, name, namespace };
}

function defaultApiVersion(kind: string | undefined): string | undefined {
  return kind === 'Deployment' || kind === 'StatefulSet' || kind === 'ReplicaSet' ? 'apps/v1' : undefined;
}

function readReplicas(f: Fields, value: unknown): ScalerConfig['replicas'] | undefined {
  const raw = f.object(value, 'replicas') ?? {};
  f.known(raw, 'replicas', ['min', 'max']);
  // Defaults are the Custom Pod Autoscaler's (min 1, max 10), so LPA users see the same bounds.
  const min = f.number(raw['min'], 'replicas.min', { int: true, min: 0 }, 1);
  const max = f.number(raw['max'], 'replicas.max', { int: true, min: 1 }, 10);
  if (min !== undefined && max !== undefined && min > max) f.fail('replicas', `min ${min} is greater than max ${max}`);
  return min === undefined || max === undefined ? undefined : { min, max };
}

const LOADTEST_KEYS = ['engine', 'host', 'users', 'spawnRate', 'duration', 'warmup', 'waitTime', 'timeout', 'headers', 'requests', 'script', 'locust'] as const;

function readLoadTest(f: Fields, value: unknown): LoadTestConfig | undefined {
  const raw = f.object(value, 'loadTest') ?? {};
  f.known(raw, 'loadTest', LOADTEST_KEYS);
  const engine = f.oneOf(raw['engine'], 'loadTest.engine', ['local', 'locust'] as const, 'local');
  const host = raw['host'] === undefined
    ? f.fail('loadTest.host', 'is required: the base URL of the service to measure, e.g. http://fibonacci:5000 (or set locustHost / SCALER_HOST)')
    : f.url(raw['host'], 'loadTest.host');
  const users = f.number(raw['users'], 'loadTest.users', { int: true, min: 1, max: 100_000 }, 10);
  const spawnRate = f.number(raw['spawnRate'], 'loadTest.spawnRate', { above: 0 }, users ?? 1); // default: every user starts in the first second
  const durationMs = f.durationMs(raw['duration'], 'loadTest.duration', 20_000, { above: 0 }); // LPA's locustRunTime default: 20
  const warmupMs = f.durationMs(raw['warmup'], 'loadTest.warmup', 0);
  const timeoutMs = f.durationMs(raw['timeout'], 'loadTest.timeout', 10_000, { above: 0 });
  const waitTime = readWaitTime(f, raw['waitTime']);
  const headers = f.stringMap(raw['headers'], 'loadTest.headers');
  const requests = readRequests(f, raw['requests']);
  const script = raw['script'] === undefined ? undefined : f.string(raw['script'], 'loadTest.script');
  const locust = readLocust(f, raw['locust'], engine);
  if (durationMs !== undefined && warmupMs !== undefined && warmupMs >= durationMs) {
    f.fail('loadTest.warmup', `${warmupMs} ms leaves nothing of the ${durationMs} ms duration to measure`);
  }
  if (host === undefined || users === undefined || spawnRate === undefined || durationMs === undefined || warmupMs === undefined || timeoutMs === undefined || !waitTime || !engine) return undefined;
  return { engine, host, users, spawnRate, durationMs, warmupMs, waitTime, timeoutMs, headers, requests, ...(script ? { script } : {}), ...(locust ? { locust } : {}) };
}

function readWaitTime(f: Fields, value: unknown): LoadTestConfig['waitTime'] | undefined {
  if (value === undefined || value === null) return { minMs: 0, maxMs: 0 };
  if (!isObject(value)) {
    const ms = f.durationMs(value, 'loadTest.waitTime');
    return ms === undefined ? undefined : { minMs: ms, maxMs: ms };
  }
  f.known(value, 'loadTest.waitTime', ['min', 'max']);
  const minMs = f.durationMs(value['min'], 'loadTest.waitTime.min', 0);
  const maxMs = f.durationMs(value['max'], 'loadTest.waitTime.max', minMs);
  if (minMs !== undefined && maxMs !== undefined && minMs > maxMs) return f.fail('loadTest.waitTime', `min ${minMs} ms is greater than max ${maxMs} ms`);
  return minMs === undefined || maxMs === undefined ? undefined : { minMs, maxMs };
}

function readRequests(f: Fields, value: unknown): RequestSpec[] {
  const list = f.list(value, 'loadTest.requests') ?? [];
  const out: RequestSpec[] = [];
  const names = new Set<string>();
  list.forEach((item, i) => {
    const path = `loadTest.requests[${i}]`;
    const raw = f.object(item, path, true);
    if (!raw) return;
    f.known(raw, path, ['name', 'method', 'path', 'weight', 'headers', 'body', 'expect']);
    const method = readMethod(f, raw['method'], `${path}.method`);
    const reqPath = f.string(raw['path'], `${path}.path`);
    if (reqPath !== undefined && !reqPath.startsWith('/')) f.fail(`${path}.path`, `${show(reqPath)} must start with /`);
    const weight = f.number(raw['weight'], `${path}.weight`, { above: 0 }, 1);
    const headers = f.stringMap(raw['headers'], `${path}.headers`);
    const body = raw['body'] === undefined ? undefined : typeof raw['body'] === 'string' ? raw['body'] : JSON.stringify(raw['body']);
    const expect = f.object(raw['expect'], `${path}.expect`);
    let expectStatus: number[] | undefined;
    if (expect) {
      f.known(expect, `${path}.expect`, ['status']);
      const codes = Array.isArray(expect['status']) ? expect['status'] : [expect['status']];
      expectStatus = codes.map((c, j) => f.number(c, `${path}.expect.status${Array.isArray(expect['status']) ? `[${j}]` : ''}`, { int: true, min: 100, max: 599 }) ?? 0);
    }
    if (!method || reqPath === undefined || weight === undefined) return;
    const name = f.string(raw['name'], `${path}.name`, `${method} ${reqPath}`)!;
    if (names.has(name)) f.fail(`${path}.name`, `${show(name)} is used by two requests; names key the statistics and must be unique`);
    names.add(name);
    out.push({ name, method, path: reqPath, weight, headers, ...(body !== undefined ? { body } : {}), ...(expectStatus ? { expectStatus } : {}) });
  });
  return out;
}

function readMethod(f: Fields, value: unknown, path: string): HttpMethod | undefined {
  const upper = typeof value === 'string' ? value.toUpperCase() : value;
  return f.oneOf(upper, path, METHODS, 'GET');
}

function readLocust(f: Fields, value: unknown, engine: string | undefined): LocustEngineConfig | undefined {
  const raw = f.object(value, 'loadTest.locust');
  if (!raw) {
    if (engine === 'locust') f.fail('loadTest.locust', 'is required when loadTest.engine is locust (at least loadTest.locust.url, the master\'s web UI)');
    return undefined;
  }
  f.known(raw, 'loadTest.locust', ['url', 'username', 'password', 'workers']);
  const url = f.url(raw['url'], 'loadTest.locust.url');
  const username = raw['username'] === undefined ? undefined : f.string(raw['username'], 'loadTest.locust.username');
  const password = raw['password'] === undefined ? undefined : f.string(raw['password'], 'loadTest.locust.password');
  const workersRaw = f.object(raw['workers'], 'loadTest.locust.workers');
  let workers: LocustEngineConfig['workers'];
  if (workersRaw) {
    f.known(workersRaw, 'loadTest.locust.workers', ['target', 'usersPerWorker', 'readyTimeout']);
    const targetRaw = f.object(workersRaw['target'], 'loadTest.locust.workers.target');
    const target = targetRaw ? readKubernetesRef(f, targetRaw, 'loadTest.locust.workers.target') : undefined;
    const usersPerWorker = f.number(workersRaw['usersPerWorker'], 'loadTest.locust.workers.usersPerWorker', { int: true, min: 1 });
    const readyTimeoutMs = f.durationMs(workersRaw['readyTimeout'], 'loadTest.locust.workers.readyTimeout', 60_000);
    if (usersPerWorker !== undefined && readyTimeoutMs !== undefined) workers = { ...(target ? { target } : {}), usersPerWorker, readyTimeoutMs };
  }
  if (url === undefined) return undefined;
  return { url, ...(username ? { username } : {}), ...(password ? { password } : {}), ...(workers ? { workers } : {}) };
}

function readTargets(f: Fields, value: unknown, loadTest: LoadTestConfig | undefined): TargetSpec[] {
  const list = f.list(value, 'targets');
  if (!list || list.length === 0) {
    f.fail('targets', 'is required: at least one latency target, e.g. [{ method: GET, endpoint: /, type: mean, target: 100 }]');
    return [];
  }
  const out: TargetSpec[] = [];
  list.forEach((item, i) => {
    const path = `targets[${i}]`;
    const raw = f.object(item, path, true);
    if (!raw) return;
    f.known(raw, path, ['name', 'method', 'endpoint', 'type', 'target', 'tolerance']);
    const typeText = f.string(raw['type'], `${path}.type`);
    const type = typeText === undefined ? undefined : parseTargetType(typeText);
    if (typeText !== undefined && !type) f.fail(`${path}.type`, `${show(typeText)} is not one of ${TARGET_TYPES_HELP}`);
    if (type?.kind === 'percentile' && loadTest?.engine === 'locust' && !(LOCUST_PERCENTILES as readonly number[]).includes(type.percentile)) {
      f.fail(`${path}.type`, `${show(typeText)}: the Locust engine reports only ${LOCUST_PERCENTILES.map((p) => `p${p}`).join(', ')}`);
    }
    const limits = type?.kind === 'failureRatio' ? { min: 0, max: 1 } : { min: 0 };
    const target = f.number(raw['target'], `${path}.target`, limits);
    const tolerance = f.number(raw['tolerance'], `${path}.tolerance`, { min: 0 }, 0);
    const request = resolveRequest(f, raw, path, loadTest);
    if (!type || typeText === undefined || target === undefined || tolerance === undefined || request === undefined) return;
    out.push({ label: typeText, request, type, target, tolerance });
  });
  return out;
}

/**
 * A target names its request by `name`, or by `method` + `endpoint` (LPA's form). An LPA file
 * has no `requests`: there each target's method + endpoint becomes a request of weight 1.
 */
function resolveRequest(f: Fields, raw: Raw, path: string, loadTest: LoadTestConfig | undefined): string | undefined {
  if (!loadTest) return undefined;
  if (raw['name'] !== undefined) {
    const name = f.string(raw['name'], `${path}.name`);
    if (name === undefined) return undefined;
    if (loadTest.requests.some((r) => r.name === name) || loadTest.script || loadTest.engine === 'locust') return name;
    return f.fail(`${path}.name`, `${show(name)} matches no request of the load test; known: ${loadTest.requests.map((r) => JSON.stringify(r.name)).join(', ') || 'none'}`);
  }
  const method = readMethod(f, raw['method'], `${path}.method`);
  const endpoint = f.string(raw['endpoint'], `${path}.endpoint`);
  if (!method || endpoint === undefined) return undefined;
  if (!endpoint.startsWith('/')) return f.fail(`${path}.endpoint`, `${show(endpoint)} must start with /`);
  const match = loadTest.requests.find((r) => r.method === method && r.path === endpoint);
  if (match) return match.name;
  const name = `${method} ${endpoint}`;
  if (loadTest.script || loadTest.engine === 'locust') return name; // names come from the script or the locustfile
  if (loadTest.requests.length > 0 && !loadTest.derivedRequests) {
    return f.fail(path, `${method} ${endpoint} matches no request of the load test; known: ${loadTest.requests.map((r) => JSON.stringify(r.name)).join(', ')}`);
  }
  loadTest.derivedRequests = true;
  loadTest.requests.push({ name, method, path: endpoint, weight: 1, headers: {} });
  return name;
}

function readScaleUp(f: Fields, value: unknown): ScalerConfig['scaleUp'] | undefined {
  const raw = f.object(value, 'scaleUp') ?? {};
  if (raw['tolerance'] !== undefined) {
    // Accepted by 0.1 and never read: say so rather than let a setting do nothing.
    f.fail('scaleUp.tolerance', 'is no longer a setting (it never had an effect); use targets[].tolerance, the band around each target');
  }
  f.known(raw, 'scaleUp', ['mode', 'step', 'maxStep', 'tolerance']);
  const mode = f.oneOf(raw['mode'], 'scaleUp.mode', ['step', 'proportional'] as const, 'step');
  const step = f.number(raw['step'], 'scaleUp.step', { int: true, min: 1 }, 1);
  const maxStep = f.number(raw['maxStep'], 'scaleUp.maxStep', { int: true, min: 1 }, Number.MAX_SAFE_INTEGER);
  return mode && step !== undefined && maxStep !== undefined ? { mode, step, maxStep } : undefined;
}

function readDecay(f: Fields, value: unknown): ScalerConfig['decay'] | undefined {
  const raw = f.object(value, 'decay') ?? {};
  f.known(raw, 'decay', ['replicas', 'unchangedRuns', 'maxLoad', 'maxFailureRatio']);
  const replicas = f.number(raw['replicas'], 'decay.replicas', { int: true, min: 0 }, 1);
  const unchangedRuns = f.number(raw['unchangedRuns'], 'decay.unchangedRuns', { int: true, min: 1 }, 3);
  const maxLoad = raw['maxLoad'] === undefined ? undefined : f.number(raw['maxLoad'], 'decay.maxLoad', { above: 0 });
  // Failures above this share of requests never lower the replica count (DESIGN §4.11).
  const maxFailureRatio = f.number(raw['maxFailureRatio'], 'decay.maxFailureRatio', { min: 0, max: 1 }, 0.01);
  if (replicas === undefined || unchangedRuns === undefined || maxFailureRatio === undefined) return undefined;
  return { replicas, unchangedRuns, maxFailureRatio, ...(maxLoad !== undefined ? { maxLoad } : {}) };
}

function readState(f: Fields, value: unknown, target: TargetRef | undefined, environment: ValidateOptions['environment']): StateConfig | undefined {
  const raw = f.object(value, 'state') ?? {};
  const inCluster = environment === 'cluster' && target !== undefined && target.kind !== 'http';
  const fallback = inCluster ? 'configmap' : environment === 'lambda' ? 'dynamodb' : 'file';
  const store = f.oneOf(raw['store'], 'state.store', ['file', 'configmap', 'dynamodb'] as const, fallback);
  switch (store) {
    case 'file':
      f.known(raw, 'state', ['store', 'path']);
      return { store, path: f.string(raw['path'], 'state.path', defaultStatePath(target))! };
    case 'configmap': {
      f.known(raw, 'state', ['store', 'name', 'namespace']);
      if (target?.kind === 'http') f.fail('state.store', '"configmap" needs a Kubernetes target; use file or dynamodb with an http target');
      const name = raw['name'] === undefined ? undefined : f.string(raw['name'], 'state.name');
      const namespace = raw['namespace'] === undefined ? undefined : f.string(raw['namespace'], 'state.namespace');
      return { store, ...(name ? { name } : {}), ...(namespace ? { namespace } : {}) };
    }
    case 'dynamodb': {
      f.known(raw, 'state', ['store', 'table', 'region', 'endpoint']);
      const table = f.string(raw['table'], 'state.table');
      const region = raw['region'] === undefined ? undefined : f.string(raw['region'], 'state.region');
      const endpoint = raw['endpoint'] === undefined ? undefined : f.url(raw['endpoint'], 'state.endpoint');
      return table ? { store, table, ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}) } : undefined;
    }
    default:
      return undefined;
  }
}

