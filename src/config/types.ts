// The validated, typed configuration. Everything past config/ trusts these types.
// Durations are milliseconds; latency targets are milliseconds.

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export interface KubernetesTargetRef {
  kind: string; // Deployment, StatefulSet, ReplicaSet, or any kind with a /scale subresource
  apiVersion: string;
  name: string;
  namespace: string;
}
export interface HttpTargetRef {
  kind: 'http';
  url: string;
  headers: Record<string, string>;
}
export type TargetRef = KubernetesTargetRef | HttpTargetRef;

export interface RequestSpec {
  name: string; // statistics key; default `METHOD path`
  method: HttpMethod;
  path: string;
  weight: number;
  headers: Record<string, string>;
  body?: string;
  expectStatus?: number[]; // default: 2xx and 3xx succeed
}

export interface LocustEngineConfig {
  url: string;
  username?: string;
  password?: string;
  /** Wait for ceil(users / usersPerWorker) ready workers; scale the worker Deployment first if `target` is set. */
  workers?: { target?: KubernetesTargetRef; usersPerWorker: number; readyTimeoutMs: number };
}

export interface LoadTestConfig {
  engine: 'local' | 'locust';
  host: string;
  users: number;
  spawnRate: number; // users started per second
  durationMs: number;
  warmupMs: number; // excluded from the statistics
  waitTime: { minMs: number; maxMs: number }; // think time between one user's requests
  timeoutMs: number; // per request; a timeout is a failure
  headers: Record<string, string>;
  requests: RequestSpec[];
  /** True when `requests` were made from the targets (an LPA file lists none). */
  derivedRequests?: boolean;
  script?: string; // path of a scenario module, loaded at run time
  locust?: LocustEngineConfig;
}

/** `pNN` types carry the percentile; every latency type is in milliseconds. */
export type TargetType =
  | { kind: 'mean' | 'median' | 'min' | 'max' }
  | { kind: 'percentile'; percentile: number }
  | { kind: 'failureRatio' }
  | { kind: 'rps' }; // a floor: breached when observed < target

export interface TargetSpec {
  label: string; // as the user wrote the type: mean, p95, failureRatio …
  request: string; // the RequestSpec.name it reads
  type: TargetType;
  target: number;
  tolerance: number; // a breach counts only beyond target × (1 + tolerance)
}

export interface ScaleUpPolicy {
  mode: 'step' | 'proportional';
  step: number;
  maxStep: number; // proportional: at most this many replicas added in one run
}

export interface DecayPolicy {
  replicas: number;
  unchangedRuns: number; // calm runs before a decay
  maxFailureRatio: number; // a run with more failures is not calm and never lowers the count
  maxLoad?: number; // a run with any observed/target above this ratio is not calm
}

export type StateConfig =
  | { store: 'file'; path: string }
  | { store: 'configmap'; name?: string; namespace?: string }
  | { store: 'dynamodb'; table: string; region?: string; endpoint?: string };

export interface ScalerConfig {
  target: TargetRef;
  replicas: { min: number; max: number };
  loadTest: LoadTestConfig;
  targets: TargetSpec[];
  scaleUp: ScaleUpPolicy;
  decay: DecayPolicy;
  onProbeFailure: 'hold' | 'scaleUp';
  stabilization: { downscaleWindowMs: number }; // 0: off
  settle: { timeoutMs: number }; // 0: off
  state: StateConfig;
  historyLimit: number;
  /** Where the config came from, for messages. */
  source: string;
}

export function isHttpTarget(t: TargetRef): t is HttpTargetRef {
  return t.kind === 'http';
}

/** For records, Events and logs: an http target by origin and path only (its query may carry a token). */
export function describeTarget(t: TargetRef): string {
  if (!isHttpTarget(t)) return `${t.kind} ${t.namespace}/${t.name}`;
  const url = new URL(t.url);
  return `http ${url.origin}${url.pathname}`;
}
