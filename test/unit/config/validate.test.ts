import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../../src/config/validate.ts';
import { ConfigError } from '../../../src/errors.ts';

const base = () => ({
  target: { kind: 'http', url: 'http://127.0.0.1:5001/replicas' },
  loadTest: {
    host: 'http://127.0.0.1:5000',
    users: 10,
    duration: '5s',
    requests: [{ method: 'GET', path: '/fibonacci?n=10' }],
  },
  targets: [{ method: 'GET', endpoint: '/fibonacci?n=10', type: 'mean', target: 7 }],
});
const opts = { source: 'test.yaml', requireTarget: true, environment: 'local' as const };

function issuesOf(raw: unknown): string[] {
  try {
    validateConfig(raw, opts);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected the configuration to be rejected');
}

describe('validateConfig accepts', () => {
  it('the DESIGN example with defaults filled in', () => {
    const c = validateConfig(base(), opts);
    assert.equal(c.loadTest.duration, 5000);
    assert.equal(c.loadTest.spawnRate, 10); // defaults to users: all start in the first second
    assert.deepEqual(c.replicas, { min: 1, max: 10 }); // CPA's defaults
    assert.deepEqual(c.decay, { mode: 'lpa', replicas: 1, unchangedRuns: 3, maxFailureRatio: 0.01 });
    assert.equal(c.targets[0]!.request, 'GET /fibonacci?n=10');
    assert.equal(c.targets[0]!.tolerance, 0);
    assert.equal(c.state.store, 'file');
  });

  it('an LPA evaluation config plus a host: requests are made from the targets', () => {
    const c = validateConfig(
      {
        target: { kind: 'http', url: 'http://127.0.0.1:1/r' },
        loadTest: { host: 'http://fibonacci:5000' },
        targets: [
          { method: 'GET', endpoint: '/fibonacci?n=10', type: 'mean', target: 7 },
          { method: 'GET', endpoint: '/fibonacci?n=20', type: 'max', target: 70 },
        ],
        decay: { replicas: 1, unchangedRuns: 3 },
      },
      opts,
    );
    assert.deepEqual(
      c.loadTest.requests.map((r) => r.name),
      ['GET /fibonacci?n=10', 'GET /fibonacci?n=20'],
    );
    assert.equal(c.loadTest.duration, 20_000); // LPA's locustRunTime default
  });

  const typeCases: [string, unknown][] = [
    ['mean', { kind: 'mean' }],
    ['median', { kind: 'median' }],
    ['min', { kind: 'min' }],
    ['max', { kind: 'max' }],
    ['p95', { kind: 'percentile', percentile: 95 }],
    ['p99.9', { kind: 'percentile', percentile: 99.9 }],
    ['failureRatio', { kind: 'failureRatio' }],
    ['rps', { kind: 'rps' }],
  ];
  for (const [text, type] of typeCases) {
    it(`target type ${text}`, () => {
      const raw = base();
      raw.targets[0]!.type = text;
      if (text === 'failureRatio') raw.targets[0]!.target = 0.01;
      assert.deepEqual(validateConfig(raw, opts).targets[0]!.type, type);
    });
  }

  const durations: [unknown, number][] = [
    ['500ms', 500],
    ['5s', 5000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    [20, 20_000],
    ['20', 20_000],
  ];
  for (const [text, ms] of durations) {
    it(`duration ${JSON.stringify(text)} = ${ms} ms`, () => {
      const raw = base();
      (raw.loadTest as Record<string, unknown>)['duration'] = text;
      assert.equal(validateConfig(raw, opts).loadTest.duration, ms);
    });
  }

  it('a Kubernetes target with apiVersion defaulted for Deployment', () => {
    const raw = { ...base(), target: { kind: 'Deployment', name: 'fibonacci' } };
    const c = validateConfig(raw, opts);
    assert.deepEqual(c.target, {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      name: 'fibonacci',
      namespace: 'default',
      namespaceFrom: 'the default namespace',
    });
  });

  it('a Kubernetes target keeps its state in a ConfigMap by default, in a cluster and by hand alike', () => {
    const raw = { ...base(), target: { kind: 'Deployment', name: 'fibonacci' } };
    assert.equal(validateConfig(raw, { ...opts, environment: 'cluster' }).state.store, 'configmap');
    assert.equal(validateConfig(raw, { ...opts, environment: 'local' }).state.store, 'configmap');
    const lambda = { ...raw, state: { table: 'scaler' } };
    assert.equal(validateConfig(lambda, { ...opts, environment: 'lambda' }).state.store, 'dynamodb');
    assert.equal(validateConfig(base(), { ...opts, environment: 'cluster' }).state.store, 'file', 'a webhook: a file');
  });

  it('a webhook in a ConfigMap names it in full', () => {
    const raw = { ...base(), state: { store: 'configmap', name: 'hooks-state', namespace: 'ops' } };
    assert.deepEqual(validateConfig(raw, opts).state, { store: 'configmap', name: 'hooks-state', namespace: 'ops' });
  });

  it('an ECS service and an Auto Scaling group, with only the fields given; in Lambda their state is DynamoDB', () => {
    const ecs = { kind: 'ecs-service', cluster: 'shop', service: 'web', region: 'eu-west-1' };
    const lambda = { ...opts, environment: 'lambda' as const };
    const c = validateConfig({ ...base(), target: ecs, state: { table: 't' } }, lambda);
    assert.deepEqual(c.target, ecs);
    assert.equal(c.state.store, 'dynamodb');
    const arn = 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop';
    assert.equal(
      (validateConfig({ ...base(), target: { ...ecs, cluster: arn } }, opts).target as never)['cluster'],
      arn,
    );
    const group = { kind: 'autoscaling-group', name: 'api blue', allowOtherAutoscalers: true };
    assert.deepEqual(validateConfig({ ...base(), target: group }, opts).target, group);
    // Not in a cluster's namespace: no namespace is filled in, in a cluster either.
    assert.deepEqual(validateConfig({ ...base(), target: ecs }, { ...opts, environment: 'cluster' }).target, ecs);
  });
});

describe('validateConfig rejects, naming field, value and rule', () => {
  type Mutate = (raw: Record<string, any>) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  const cases: [string, Mutate, RegExp][] = [
    [
      'unknown top-level key, with a suggestion',
      (r) => {
        r['decya'] = {};
      },
      /decya: unknown key \(did you mean "decay"\?\)/,
    ],
    [
      'unknown nested key',
      (r) => {
        r['loadTest'].user = 5;
      },
      /loadTest\.user: unknown key \(did you mean "users"\?\)/,
    ],
    [
      'wrong type for users',
      (r) => {
        r['loadTest'].users = 'ten';
      },
      /loadTest\.users: "ten" is not an integer/,
    ],
    [
      'negative users',
      (r) => {
        r['loadTest'].users = -1;
      },
      /loadTest\.users: -1 is below the minimum 1/,
    ],
    [
      'fractional users',
      (r) => {
        r['loadTest'].users = 1.5;
      },
      /loadTest\.users: 1\.5 is not an integer/,
    ],
    [
      'zero spawn rate',
      (r) => {
        r['loadTest'].spawnRate = 0;
      },
      /loadTest\.spawnRate: 0 must be greater than 0/,
    ],
    [
      'min > max',
      (r) => {
        r['replicas'] = { min: 5, max: 2 };
      },
      /replicas: min 5 is greater than max 2/,
    ],
    [
      'min 0 without a production load query',
      (r) => {
        r['replicas'] = { min: 0, max: 2 };
      },
      /replicas\.min: 0 needs a way to see demand at zero replicas/,
    ],
    [
      'negative min',
      (r) => {
        r['replicas'] = { min: -1 };
      },
      /replicas\.min: -1 is below the minimum 0/,
    ],
    [
      'unknown target type',
      (r) => {
        r['targets'][0].type = 'avg';
      },
      /targets\[0\]\.type: "avg" is not one of mean, median, min, max, pNN/,
    ],
    [
      'p100 is no percentile',
      (r) => {
        r['targets'][0].type = 'p100';
      },
      /targets\[0\]\.type: "p100" is not one of/,
    ],
    [
      'a target that matches no request',
      (r) => {
        r['targets'][0].endpoint = '/other';
      },
      /targets\[0\]: GET \/other matches no request of the load test; known: "GET \/fibonacci\?n=10"/,
    ],
    [
      'a target naming no request',
      (r) => {
        r['targets'][0] = { name: 'login', type: 'mean', target: 5 };
      },
      /targets\[0\]\.name: "login" matches no request/,
    ],
    [
      'missing host',
      (r) => {
        delete r['loadTest'].host;
      },
      /loadTest\.host: is required/,
    ],
    [
      'host that is not a URL',
      (r) => {
        r['loadTest'].host = 'fibonacci:5000:x';
      },
      /loadTest\.host: "fibonacci:5000:x" is not (a URL|an http\(s\) URL)/,
    ],
    [
      'bad duration',
      (r) => {
        r['loadTest'].duration = '5 parsecs';
      },
      /loadTest\.duration: "5 parsecs" is not a duration; expected e\.g\. 500ms, 5s, 2m/,
    ],
    [
      'zero duration',
      (r) => {
        r['loadTest'].duration = 0;
      },
      /loadTest\.duration: 0 must be longer than 0 ms/,
    ],
    [
      'warm-up longer than the run',
      (r) => {
        r['loadTest'].warmup = '10s';
      },
      /loadTest\.warmup: 10000 ms leaves nothing of the 5000 ms duration/,
    ],
    [
      'wait time min > max',
      (r) => {
        r['loadTest'].waitTime = { min: '2s', max: '1s' };
      },
      /loadTest\.waitTime: min 2000 ms is greater than max 1000 ms/,
    ],
    [
      'no targets',
      (r) => {
        r['targets'] = [];
      },
      /targets: is required: at least one latency target/,
    ],
    [
      'targets not a list',
      (r) => {
        r['targets'] = { a: 1 };
      },
      /targets: an object is not a list/,
    ],
    [
      'failureRatio above 1',
      (r) => {
        r['targets'][0].type = 'failureRatio';
        r['targets'][0].target = 5;
      },
      /targets\[0\]\.target: 5 is above the maximum 1/,
    ],
    [
      'negative target',
      (r) => {
        r['targets'][0].target = -7;
      },
      /targets\[0\]\.target: -7 is below the minimum 0/,
    ],
    [
      'bad method',
      (r) => {
        r['loadTest'].requests[0].method = 'FETCH';
      },
      /loadTest\.requests\[0\]\.method: "FETCH" is not one of GET, HEAD/,
    ],
    [
      'path without slash',
      (r) => {
        r['loadTest'].requests[0].path = 'fib';
      },
      /loadTest\.requests\[0\]\.path: "fib" must start with \//,
    ],
    [
      'duplicate request names',
      (r) => {
        r['loadTest'].requests.push({ method: 'GET', path: '/fibonacci?n=10' });
      },
      /loadTest\.requests\[1\]\.name: "GET \/fibonacci\?n=10" is used by two requests/,
    ],
    [
      'decay unchangedRuns 0',
      (r) => {
        r['decay'] = { unchangedRuns: 0 };
      },
      /decay\.unchangedRuns: 0 is below the minimum 1/,
    ],
    [
      'maxFailureRatio above 1',
      (r) => {
        r['decay'] = { maxFailureRatio: 1.5 };
      },
      /decay\.maxFailureRatio: 1\.5 is above the maximum 1/,
    ],
    [
      'scaleUp.tolerance, which never had an effect',
      (r) => {
        r['scaleUp'] = { tolerance: 0.1 };
      },
      /scaleUp\.tolerance: is no longer a setting \(it never had an effect\); use targets\[\]\.tolerance/,
    ],
    [
      'unknown state store',
      (r) => {
        r['state'] = { store: 'redis' };
      },
      /state\.store: "redis" is not one of file, configmap, dynamodb/,
    ],
    [
      'configmap with an http target, unnamed',
      (r) => {
        r['state'] = { store: 'configmap' };
      },
      /state\.name: is required with store "configmap" and an http target \(no workload to put it beside\)/,
    ],
    [
      'dynamodb without a table',
      (r) => {
        r['state'] = { store: 'dynamodb' };
      },
      /state\.table: is required/,
    ],
    [
      'missing target',
      (r) => {
        delete r['target'];
      },
      /target: is required/,
    ],
    [
      'http target without url',
      (r) => {
        r['target'] = { kind: 'http' };
      },
      /target\.url: is required/,
    ],
    [
      'Kubernetes target without name',
      (r) => {
        r['target'] = { kind: 'Deployment' };
      },
      /target\.name: is required/,
    ],
    [
      'custom kind without apiVersion',
      (r) => {
        r['target'] = { kind: 'Rollout', name: 'x' };
      },
      /target\.apiVersion: is required/,
    ],
    [
      'invalid object name',
      (r) => {
        r['target'] = { kind: 'Deployment', name: 'Fib_App' };
      },
      /target\.name: "Fib_App" is not a Kubernetes object name/,
    ],
    [
      'locust engine without url',
      (r) => {
        r['loadTest'].engine = 'locust';
      },
      /loadTest\.locust: is required when loadTest\.engine is locust/,
    ],
    ['a document that is a list', () => [1, 2], /the configuration is a list, expected a YAML mapping/],
    [
      'an ECS service name with a slash',
      (r) => {
        r['target'] = { kind: 'ecs-service', cluster: 'shop', service: 'web/blue' };
      },
      /target\.service: "web\/blue" is not an ECS service name \(letters, digits, - and _, up to 255\)/,
    ],
    [
      'an ECS target without its cluster',
      (r) => {
        r['target'] = { kind: 'ecs-service', service: 'web' };
      },
      /target\.cluster: /,
    ],
    [
      'a Kubernetes field on an ECS target',
      (r) => {
        r['target'] = { kind: 'ecs-service', cluster: 'shop', service: 'web', namespace: 'shop' };
      },
      /target\.namespace: unknown key; expected one of kind, cluster, service, region, endpoint, allowOtherAutoscalers/,
    ],
    [
      'an Auto Scaling group name past 255 characters',
      (r) => {
        r['target'] = { kind: 'autoscaling-group', name: 'g'.repeat(256) };
      },
      /target\.name: "g+" is not an Auto Scaling group name \(one line, up to 255 characters\)/,
    ],
    [
      'a ConfigMap store for an AWS target',
      (r) => {
        r['target'] = { kind: 'autoscaling-group', name: 'api' };
        r['state'] = { store: 'configmap' };
      },
      /state\.store: "configmap" needs a Kubernetes target; use file or dynamodb with an autoscaling-group target/,
    ],
  ];
  for (const [name, mutate, expected] of cases) {
    it(name, () => {
      const raw: Record<string, any> = base(); // eslint-disable-line @typescript-eslint/no-explicit-any
      const replaced = mutate(raw);
      const issues = issuesOf(replaced ?? raw);
      assert.ok(
        issues.some((i) => expected.test(i)),
        `no issue matched ${expected}:\n${issues.join('\n')}`,
      );
    });
  }

  it('reports every problem at once', () => {
    const raw: Record<string, any> = base(); // eslint-disable-line @typescript-eslint/no-explicit-any
    raw['loadTest'].users = -1;
    raw['targets'][0].type = 'avg';
    raw['replicas'] = { min: 3, max: 1 };
    assert.equal(issuesOf(raw).length, 3);
  });
});
