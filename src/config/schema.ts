// The configuration (`scaler.yaml`), defined once: each field's type, default, rule and description.
// The TypeScript types are inferred from it, the JSON Schema for editors is emitted from it
// (json-schema.ts), and README's reference is checked against it. Rules between fields (min ≤ max,
// targets naming a request) are in rules.ts. Durations come out in milliseconds.
import * as v from 'valibot';
import {
  duration,
  flag,
  integer,
  list,
  number,
  object,
  oneOf,
  says,
  section,
  show,
  stringMap,
  text,
  url,
} from './fields.ts';
import { parseTargetType, TARGET_TYPES_HELP } from './target-type.ts';

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof METHODS)[number];

/** Methods are case-insensitive in the file, upper case in the config. */
const method = (description: string) =>
  v.nullish(
    v.pipe(
      v.unknown(),
      v.transform((m) => (typeof m === 'string' ? m.toUpperCase() : m)),
      oneOf(METHODS, { description }),
    ),
    'GET',
  );

const KUBE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const kubernetesRef = (what: string) => ({
  kind: text({
    description: `${what}: any kind with a /scale subresource (Deployment, StatefulSet, a custom resource)`,
  }),
  apiVersion: v.optional(
    text({ description: 'apps/v1 for Deployment, StatefulSet and ReplicaSet; required for other kinds' }),
  ),
  name: text({ description: "the object's name", pattern: KUBE_NAME, patternRule: 'is not a Kubernetes object name' }),
  namespace: v.optional(
    text({
      description:
        'default, as kubectl: the pod\'s own namespace in a cluster, the kubeconfig context\'s outside, else "default"',
    }),
  ),
});

export const HttpTargetSchema = object({
  kind: v.pipe(v.literal('http'), v.description('http: a webhook that holds a replica count')),
  url: url({
    description:
      'GET → {"replicas": n, "readyReplicas"?: m, "paused"?: bool}; PUT {"replicas": n, "expectedReplicas": current}',
  }),
  headers: v.nullish(stringMap({ description: 'sent with every call to the webhook (e.g. authorization)' }), {}),
});

export const KubernetesTargetSchema = object({
  ...kubernetesRef('what to scale'),
  allowOtherAutoscalers: v.nullish(
    flag({
      description:
        'scale even when an HPA or a KEDA ScaledObject also scales this workload (they will undo each other)',
    }),
    false,
  ),
});

// ECS names: letters, digits, hyphens and underscores, up to 255; a cluster may be given by its ARN.
const ECS_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const ECS_CLUSTER = /^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9_-]{1,255})$/;

/** Where an AWS target's calls go, and whether another autoscaler may share it. */
const awsPlace = (others: string) => ({
  region: v.optional(text({ description: "the AWS region; default: the AWS SDK's (AWS_REGION, which Lambda sets)" })),
  endpoint: v.optional(
    url({ description: "another endpoint for all of this target's AWS calls (an emulator); default: AWS's" }),
  ),
  allowOtherAutoscalers: v.nullish(
    flag({ description: `scale even when ${others} (they will undo each other)` }),
    false,
  ),
});

export const EcsServiceTargetSchema = object({
  kind: v.pipe(v.literal('ecs-service'), v.description("ecs-service: an Amazon ECS service's desiredCount")),
  cluster: text({
    description: "the ECS service's cluster: its name or ARN",
    pattern: ECS_CLUSTER,
    patternRule: 'is not an ECS cluster name (letters, digits, - and _, up to 255) or cluster ARN',
  }),
  service: text({
    description: "the ECS service's name",
    pattern: ECS_NAME,
    patternRule: 'is not an ECS service name (letters, digits, - and _, up to 255)',
  }),
  ...awsPlace('Application Auto Scaling has scaling policies on this service'),
});

export const AutoScalingGroupTargetSchema = object({
  kind: v.pipe(
    v.literal('autoscaling-group'),
    v.description("autoscaling-group: an EC2 Auto Scaling group's desired capacity"),
  ),
  name: text({
    description: "the Auto Scaling group's name",
    pattern: /^.{1,255}$/,
    patternRule: 'is not an Auto Scaling group name (one line, up to 255 characters)',
  }),
  ...awsPlace('the group has scaling policies, or is tagged for the Kubernetes Cluster Autoscaler'),
});

const requestSchema = object({
  // one request of the scenario, picked by weight
  name: v.optional(text({ description: 'the statistics key and what targets name; default "METHOD path"' })),
  method: method('the HTTP method'),
  path: text({ description: 'the path, starting with /', pattern: /^\//, patternRule: 'must start with /' }),
  weight: v.nullish(number({ above: 0, description: 'how often this request is picked, relative to the others' }), 1),
  headers: v.nullish(stringMap({ description: 'headers of this request (over loadTest.headers)' }), {}),
  body: v.optional(
    v.pipe(
      v.unknown(),
      v.transform((b) => (b === undefined || typeof b === 'string' ? b : JSON.stringify(b))),
      v.metadata({ jsonSchema: { description: 'the request body: a string, or any YAML value sent as JSON' } }),
    ),
  ),
  expect: v.optional(
    section(
      {
        status: v.optional(
          v.pipe(
            v.union(
              [
                integer({ min: 100, max: 599, description: 'an HTTP status' }),
                v.array(integer({ min: 100, max: 599, description: 'an HTTP status' })),
              ],
              (issue) => `${JSON.stringify(issue.input)} is not a status or a list of statuses (100–599)`,
            ),
            v.description('the statuses that succeed'),
          ),
        ),
      },
      { description: 'what counts as success; default any 2xx or 3xx' },
    ),
  ),
});

const locustSchema = object(
  {
    // the Locust engine: run a locustfile headless (as LPA did), or drive a Locust master over its web API
    locustfile: v.optional(text({ description: "run this locustfile with locust --headless (LPA's locustFilePath)" })),
    command: v.optional(text({ description: 'the locust command (default: locust on PATH)' })),
    url: v.optional(url({ description: "or: the Locust master's web UI, e.g. http://locust-master:8089" })),
    username: v.optional(text({ description: 'basic auth in front of the master (an ingress), if any' })),
    password: v.optional(text({ description: 'basic auth password' })),
    workers: v.optional(
      object(
        {
          target: v.optional(
            object(
              kubernetesRef('the worker Deployment'),
              'the worker Deployment, scaled to the workers needed before each run',
            ),
          ),
          usersPerWorker: integer({
            min: 1,
            description: 'users per worker: ceil(users / usersPerWorker) workers are waited for',
          }),
          readyTimeout: v.nullish(duration({ description: 'how long to wait for the workers' }), '60s'),
        },
        'wait for (and scale) the workers before each run',
      ),
    ),
  },
  'the Locust master to drive (loadTest.engine: locust)',
);

const waitTime = v.nullish(
  v.pipe(
    v.union(
      [
        duration({ description: 'a constant think time' }),
        object({
          min: v.nullish(duration({ description: 'shortest think time' }), '0s'),
          max: v.optional(duration({ description: 'longest think time; default min' })),
        }),
      ],
      (issue) => `${JSON.stringify(issue.input)} is not a duration or { min, max }`,
    ),
    v.description("think time between one user's requests: a duration, or { min, max } (uniform)"),
  ),
  '0s',
);

export const LoadTestSchema = object(
  {
    engine: v.optional(
      oneOf(['local', 'locust'], {
        description:
          'local: the built-in engine; locust: Locust (a locustfile run headless, or a master); ' +
          'default local, or locust with a locustfile',
      }),
    ),
    host: v.optional(url({ description: "the base URL of the service to measure (required; LPA's locustHost)" })),
    users: v.nullish(integer({ min: 1, max: 100_000, description: 'concurrent virtual users (closed model)' }), 10),
    spawnRate: v.optional(
      number({ above: 0, description: 'users started per second; default: all in the first second' }),
    ),
    duration: v.nullish(
      duration({ above: 0, description: "how long the load test runs (LPA's locustRunTime)" }),
      '20s',
    ),
    warmup: v.nullish(duration({ description: 'excluded from the statistics' }), '0s'),
    waitTime,
    timeout: v.nullish(
      duration({ above: 0, description: 'per request; a timeout is a failure and counts at least this long' }),
      '10s',
    ),
    headers: v.nullish(stringMap({ description: 'sent with every request' }), {}),
    requests: v.nullish(
      list(requestSchema, { description: 'the declarative scenario; default: one GET per target' }),
      [],
    ),
    script: v.optional(text({ description: 'a scenario module (JS/TS, locustfile-like), loaded at run time' })),
    locust: v.optional(locustSchema),
  },
  'the load test run before each decision',
);

export const TargetSpecSchema = object(
  {
    name: v.optional(
      text({ description: 'the request to read, by name (or method + endpoint); a production target: its name' }),
    ),
    method: method("the request's method, as LPA names it"),
    endpoint: v.optional(
      text({ description: "the request's path, as LPA names it", pattern: /^\//, patternRule: 'must start with /' }),
    ),
    type: v.optional(
      v.pipe(
        text({ description: `the statistic: ${TARGET_TYPES_HELP} (required but for a production target)` }),
        v.check((t) => parseTargetType(t) !== undefined, says(`is not one of ${TARGET_TYPES_HELP}`)),
      ),
    ),
    query: v.optional(
      text({
        description:
          'a production target: a PromQL query of signals.prometheus, one series, judged against target as it is ' +
          '(e.g. a p95 in ms, an error ratio); no load test reads it',
      }),
    ),
    target: number({
      min: 0,
      description: "the limit: milliseconds for latencies, a ratio for failureRatio, req/s for rps, a query's own unit",
    }),
    tolerance: v.nullish(number({ min: 0, description: 'a breach counts only beyond target × (1 + tolerance)' }), 0),
  },
  'a latency (or failure, or throughput) target',
);

/** A secret's source: a file (a mounted Secret, read each run) or an environment variable; never inline. */
const secretFrom = (what: string) =>
  object(
    {
      file: v.optional(text({ description: `a file holding ${what} (e.g. a mounted Secret), read each run` })),
      env: v.optional(text({ description: `an environment variable holding ${what}` })),
    },
    `${what}: exactly one of file and env`,
  );

const PrometheusSchema = object(
  {
    url: url({
      description:
        "the server's base URL, e.g. http://prometheus:9090 (instant queries go to /api/v1/query; credentials in " +
        'the URL are sent as basic auth, never logged)',
    }),
    headers: v.nullish(
      stringMap({ description: 'sent with every query (e.g. X-Scope-OrgID for Mimir or Cortex); never logged' }),
      {},
    ),
    tls: v.optional(
      object(
        { ca: text({ description: "a PEM file of the CA that signed the server's certificate" }) },
        'TLS to the server (https URLs)',
      ),
    ),
    auth: v.optional(
      object(
        {
          bearer: v.optional(secretFrom('the bearer token')),
          basic: v.optional(
            object(
              { username: text({ description: 'the user name' }), password: secretFrom('the password') },
              'basic auth',
            ),
          ),
        },
        'credentials, never logged: bearer or basic',
      ),
    ),
    maxAge: v.nullish(
      duration({
        above: 0,
        description:
          "a signal whose newest sample is older is unmeasured (a dead exporter's last rate); also the oldest " +
          'answer trusted',
      }),
      '2m',
    ),
  },
  'the Prometheus server (or any server of its HTTP API) the production signals are read from',
);

const stateSchema = v.variant(
  'store',
  [
    object({
      store: v.pipe(
        v.literal('file'),
        v.description(
          'file (a webhook by hand, the demo), configmap (a Kubernetes target, wherever it runs), dynamodb (Lambda)',
        ),
      ),
      path: v.optional(text({ description: 'default .latency-scaler/<target>.json' })),
    }),
    object({
      store: v.pipe(v.literal('configmap'), v.description('a ConfigMap beside the target')),
      name: v.optional(text({ description: 'default latency-scaler-<kind>-<name>; required with a webhook' })),
      namespace: v.optional(text({ description: "default: the target's namespace; required with a webhook" })),
    }),
    object({
      store: v.pipe(v.literal('dynamodb'), v.description('a DynamoDB item')),
      table: text({ description: 'the table (created by latency-scaler state init)' }),
      region: v.optional(text({ description: "default: the AWS SDK's region" })),
      endpoint: v.optional(url({ description: 'another endpoint (DynamoDB Local)' })),
    }),
  ],
  (issue) => `${show(issue.input)} is not one of file, configmap, dynamodb`,
);

/** Every top-level block, with its fields; `target` and `state` are checked by kind (validate.ts). */
export const ConfigSchema = object({
  target: v.optional(v.unknown()),
  replicas: section(
    {
      // The Custom Pod Autoscaler's defaults, so LPA users see the same bounds.
      min: v.nullish(integer({ min: 0, description: 'never fewer replicas' }), 1),
      max: v.nullish(integer({ min: 1, description: 'never more replicas' }), 10),
    },
    { description: 'the bounds' },
  ),
  loadTest: v.nullish(LoadTestSchema, {} as v.InferInput<typeof LoadTestSchema>),
  targets: v.nullish(list(TargetSpecSchema, { description: 'any one breached → scale up' }), []),
  scaleUp: section(
    {
      mode: v.nullish(
        oneOf(['step', 'proportional', 'model'], {
          description:
            'step: +step; proportional: as HPA, ceil(current × observed/target); ' +
            'model: to the count the learned model predicts within model.headroom, in one step',
        }),
        'step',
      ),
      step: v.nullish(integer({ min: 1, description: 'replicas added per breached run' }), 1),
      maxStep: v.nullish(
        integer({ min: 1, description: 'proportional: at most this many added in one run' }),
        Number.MAX_SAFE_INTEGER,
      ),
    },
    { description: 'how a breach scales up' },
  ),
  decay: section(
    {
      mode: v.nullish(
        oneOf(['lpa', 'model'], {
          description:
            "lpa: decay.replicas after unchangedRuns calm runs (LPA's); model: down to the count the learned " +
            'model predicts within model.headroom (at most halving a run), after unchangedRuns calm runs',
        }),
        'lpa',
      ),
      replicas: v.nullish(integer({ min: 0, description: 'replicas removed by a decay (0: never decay)' }), 1),
      unchangedRuns: v.nullish(integer({ min: 1, description: 'calm runs before a decay' }), 3),
      maxFailureRatio: v.nullish(
        number({ min: 0, max: 1, description: 'a run with more failures is not calm and never lowers the count' }),
        0.01,
      ),
      maxLoad: v.optional(number({ above: 0, description: 'a run with any observed/target above this is not calm' })),
    },
    { description: "scaling down after calm runs (LPA's decay)" },
  ),
  model: section(
    {
      headroom: v.nullish(
        number({
          above: 0,
          max: 1,
          description: 'the model sizes so the predicted latency stays within headroom × each latency target',
        }),
        0.85,
      ),
      concurrency: v.nullish(
        integer({
          min: 1,
          description: 'requests one replica serves at once: its worker slots, or its CPU cores for CPU-bound work',
        }),
        1,
      ),
    },
    { description: 'the learned model of scaleUp.mode and decay.mode model (DESIGN §4.12)' },
  ),
  onProbeFailure: v.nullish(oneOf(['hold', 'scaleUp'], { description: 'when nothing could be measured' }), 'hold'),
  stabilization: section(
    {
      downscaleWindow: v.nullish(
        duration({ description: 'scale down only to the highest count needed within this window; 0: off' }),
        '0s',
      ),
    },
    { description: 'HPA-style downscale stabilization' },
  ),
  settle: section(
    {
      timeout: v.nullish(duration({ description: 'how long a change in flight is waited for; 0: off' }), '5m'),
    },
    { description: 'waiting for the previous change to take effect' },
  ),
  state: v.optional(v.unknown()),
  api: section(
    {
      timeout: v.nullish(
        duration({
          above: 0,
          description: 'one call to the Kubernetes API, DynamoDB, the webhook or the Locust master',
        }),
        '10s',
      ),
      retryFor: v.nullish(
        duration({ description: 'how long transient failures (429, 5xx, timeouts) of the Kubernetes API are retried' }),
        '30s',
      ),
      graceAfterSignal: v.nullish(
        duration({
          above: 0,
          description:
            'after SIGTERM or SIGINT, how long a claimed decision has to apply or put the state back; keep it ' +
            "below the pod's terminationGracePeriodSeconds (30 s by default)",
        }),
        '25s',
      ),
    },
    { description: 'time limits of the calls to the target, the state store and the Locust master' },
  ),
  history: section(
    {
      limit: v.nullish(
        integer({ min: 1, max: 1000, description: "decisions kept (also bounded by the store's size)" }),
        50,
      ),
    },
    { description: 'the decisions kept in the state record' },
  ),
  signals: section(
    {
      prometheus: v.optional(PrometheusSchema),
      rate: v.optional(
        object(
          {
            query: text({
              description:
                'PromQL: the production request rate in req/s, one series (e.g. sum(rate(http_requests_total[1m])))',
            }),
          },
          'the production load signal: read each run (at 0 replicas too) and recorded with the decision',
        ),
      ),
    },
    { description: 'production signals read from Prometheus beside the probe (README "Production signals")' },
  ),
  metrics: section(
    {
      pushgateway: v.optional(
        url({
          description:
            "a Prometheus Pushgateway's base URL, e.g. http://pushgateway:9091: each run pushes its outcome there " +
            '(credentials in the URL are sent as basic auth, never logged)',
        }),
      ),
    },
    { description: 'the run\'s metrics, pushed to a Prometheus Pushgateway (README "Monitoring"); default: none' },
  ),
});

export const StateSchema = stateSchema;

/** Every kind of target, each its own object (validate.ts picks one by `kind`). */
export type TargetSchema =
  | typeof HttpTargetSchema
  | typeof KubernetesTargetSchema
  | typeof EcsServiceTargetSchema
  | typeof AutoScalingGroupTargetSchema;
export const TARGET_SCHEMAS = [
  HttpTargetSchema,
  KubernetesTargetSchema,
  EcsServiceTargetSchema,
  AutoScalingGroupTargetSchema,
] as const;
