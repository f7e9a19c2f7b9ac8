// The validated, typed configuration. Everything past config/ trusts these types. They are the
// schema's (schema.ts) output, with what the rules between fields resolve (rules.ts): the target's
// defaults, the requests each target reads, the parsed target types. Durations are milliseconds.
import type * as v from 'valibot';
import type { ConfigSchema, HttpMethod, LoadTestSchema } from './schema.ts';
import type { TargetType } from './target-type.ts';

export type { HttpMethod } from './schema.ts';
export type { TargetType } from './target-type.ts';

type Parsed = v.InferOutput<typeof ConfigSchema>;
type ParsedLoadTest = v.InferOutput<typeof LoadTestSchema>;

export interface KubernetesTargetRef {
  kind: string; // Deployment, StatefulSet, ReplicaSet, or any kind with a /scale subresource
  apiVersion: string;
  name: string;
  namespace: string;
  /** Where the namespace came from, for the record and `validate`: `kubeconfig context "dev"`, … */
  namespaceFrom?: string;
  /** Scale even when another autoscaler (HPA, KEDA) names this workload. */
  allowOtherAutoscalers?: boolean;
}
export interface HttpTargetRef {
  kind: 'http';
  url: string;
  headers: Record<string, string>;
}
/** Where an AWS target's calls go: the SDK's region and endpoint unless set. */
interface AwsPlace {
  region?: string | undefined;
  /** Another endpoint for every call of this target (an emulator). */
  endpoint?: string | undefined;
  /** Scale even when another autoscaler (scaling policies) scales this resource. */
  allowOtherAutoscalers?: boolean;
}
/** An ECS service's desiredCount. `cluster`: a name or an ARN. */
export interface EcsServiceTargetRef extends AwsPlace {
  kind: 'ecs-service';
  cluster: string;
  service: string;
}
/** An EC2 Auto Scaling group's desired capacity. */
export interface AutoScalingGroupTargetRef extends AwsPlace {
  kind: 'autoscaling-group';
  name: string;
}
export type AwsTargetRef = EcsServiceTargetRef | AutoScalingGroupTargetRef;
export type TargetRef = KubernetesTargetRef | HttpTargetRef | AwsTargetRef;
export const AWS_KINDS = ['ecs-service', 'autoscaling-group'] as const;

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
  /** Headless: run this locustfile as a subprocess (LPA's way). */
  locustfile?: string | undefined;
  /** Where `locustfile` came from, for messages (`environment locustFilePath`). */
  locustfileOrigin?: string | undefined;
  /** The locust command; default `locust` on PATH. */
  command?: string | undefined;
  /** True when the engine was chosen because a locustfile was given (no `engine` set). */
  implied?: boolean;
  /** Or: drive a running master over its web API. */
  url?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** Wait for ceil(users / usersPerWorker) ready workers; scale the worker Deployment first if `target` is set. */
  workers?: { target?: KubernetesTargetRef | undefined; usersPerWorker: number; readyTimeout: number } | undefined;
}

export interface LoadTestConfig extends Omit<
  ParsedLoadTest,
  'engine' | 'host' | 'spawnRate' | 'waitTime' | 'requests' | 'locust'
> {
  engine: 'local' | 'locust';
  host: string;
  spawnRate: number; // users started per second
  waitTime: { min: number; max: number }; // think time between one user's requests, ms
  requests: RequestSpec[];
  /** True when `requests` were made from the targets (an LPA file lists none). */
  derivedRequests?: boolean;
  locust?: LocustEngineConfig | undefined;
}

export interface TargetSpec {
  label: string; // as the user wrote the type: mean, p95, failureRatio …
  request: string; // the RequestSpec.name it reads
  type: TargetType;
  target: number;
  tolerance: number; // a breach counts only beyond target × (1 + tolerance)
  /** A production target (type `query`): its value is this PromQL query's, read from signals.prometheus. */
  query?: string;
}

export type StateConfig =
  | { store: 'file'; path: string }
  | { store: 'configmap'; name?: string | undefined; namespace?: string | undefined }
  | { store: 'dynamodb'; table: string; region?: string | undefined; endpoint?: string | undefined };

export interface ScalerConfig extends Omit<Parsed, 'target' | 'loadTest' | 'targets' | 'state'> {
  target: TargetRef;
  /** None in the probe-less mode (every target a production query): no synthetic load is sent. */
  loadTest?: LoadTestConfig | undefined;
  targets: TargetSpec[];
  state: StateConfig;
  /** Where the config came from, for messages. */
  source: string;
}

/** What `loadtest` needs: the same configuration, with no scale target required. */
export type LoadTestOnlyConfig = Omit<ScalerConfig, 'target' | 'loadTest'> & {
  target?: TargetRef;
  loadTest: LoadTestConfig;
};

/** A configuration that sends a probe (a load test): all but the probe-less mode. */
export function hasProbe<C extends { loadTest?: LoadTestConfig | undefined }>(
  config: C,
): config is C & { loadTest: LoadTestConfig } {
  return config.loadTest !== undefined;
}

export type ScaleUpPolicy = ScalerConfig['scaleUp'];
export type DecayPolicy = ScalerConfig['decay'];

export function isHttpTarget(t: TargetRef): t is HttpTargetRef {
  return t.kind === 'http';
}

export function isAwsTarget(t: TargetRef): t is AwsTargetRef {
  return (AWS_KINDS as readonly string[]).includes(t.kind);
}

export function isKubernetesTarget(t: TargetRef): t is KubernetesTargetRef {
  return !isHttpTarget(t) && !isAwsTarget(t);
}

/** For records, Events and logs: an http target by origin and path only (its query may carry a token). */
export function describeTarget(t: TargetRef): string {
  if (isAwsTarget(t)) {
    const region = t.region ? ` (${t.region})` : '';
    return t.kind === 'ecs-service'
      ? `ecs-service ${t.cluster}/${t.service}${region}`
      : `autoscaling-group ${t.name}${region}`;
  }
  if (!isHttpTarget(t)) return `${t.kind} ${t.namespace}/${t.name}`;
  const url = new URL(t.url);
  return `http ${url.origin}${url.pathname}`;
}
