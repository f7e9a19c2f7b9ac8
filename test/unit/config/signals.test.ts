// The production signals' configuration (DESIGN §9): production targets beside probe targets, the
// probe-less mode (no loadTest), the load query, the server's credentials; each problem named.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { load as loadYaml } from 'js-yaml';
import { hasProductionLoadQuery, productionQueries } from '../../../src/config/signals.ts';
import { hasProbe, type ScalerConfig } from '../../../src/config/types.ts';
import { validateConfig } from '../../../src/config/validate.ts';
import { ConfigError } from '../../../src/errors.ts';

const P95 = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m]))) * 1000';
const RATE = 'sum(rate(http_requests_total[1m]))';
const target = { kind: 'http', url: 'http://127.0.0.1:5001/replicas' };
const prometheus = { url: 'http://prometheus:9090' };
const probe = { host: 'http://127.0.0.1:5000', requests: [{ method: 'GET', path: '/x' }] };
const opts = { source: 'test.yaml', requireTarget: true as const, environment: 'local' as const };

function issuesOf(raw: unknown): string[] {
  try {
    validateConfig(raw, opts);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected the configuration to be rejected');
}

describe('production targets and the load signal', () => {
  it('mix with probe targets, in their order; a production target reads no request', () => {
    const c = validateConfig(
      {
        target,
        loadTest: probe,
        targets: [
          { name: 'p95-prod', query: P95, target: 250, tolerance: 0.1 },
          { method: 'GET', endpoint: '/x', type: 'p95', target: 100 },
        ],
        signals: { prometheus, rate: { query: RATE } },
      },
      opts,
    );
    assert.deepEqual(c.targets[0], {
      label: 'query',
      request: 'p95-prod',
      type: { kind: 'query' },
      target: 250,
      tolerance: 0.1,
      query: P95,
    });
    assert.equal(c.targets[1]!.request, 'GET /x');
    assert.deepEqual(
      c.loadTest?.requests.map((r) => r.name),
      ['GET /x'],
    );
    assert.equal(c.signals.prometheus?.maxAge, 120_000);
    assert.deepEqual(
      productionQueries(c).map((q) => [q.kind, q.name, q.path]),
      [
        ['target', 'p95-prod', 'targets[0].query'],
        ['rate', 'rate', 'signals.rate.query'],
      ],
    );
    assert.equal(hasProductionLoadQuery(c), true);
  });

  it('probe-less: only production targets and no loadTest → no load test at all', () => {
    const c: ScalerConfig = validateConfig(
      { target, targets: [{ name: 'p95-prod', query: P95, target: 250 }], signals: { prometheus } },
      opts,
    );
    assert.equal(hasProbe(c), false);
    assert.equal(c.loadTest, undefined);
    assert.equal(hasProductionLoadQuery(c), false);
  });

  it('credentials: a bearer token from a file or the environment, basic auth with a password from either', () => {
    const c = validateConfig(
      {
        target,
        targets: [{ name: 'p95-prod', query: P95, target: 250 }],
        signals: {
          prometheus: { ...prometheus, auth: { basic: { username: 'u', password: { env: 'PROM_PASSWORD' } } } },
        },
      },
      opts,
    );
    assert.deepEqual(c.signals.prometheus?.auth, { basic: { username: 'u', password: { env: 'PROM_PASSWORD' } } });
  });
});

describe('production signals: each problem named', () => {
  const cases: { name: string; raw: Record<string, unknown>; issues: string[] }[] = [
    {
      name: 'a query without a server',
      raw: { target, targets: [{ name: 'p', query: P95, target: 1 }], signals: { rate: { query: RATE } } },
      issues: [
        'signals.rate: reads Prometheus: set signals.prometheus.url too',
        'targets[0].query: reads Prometheus: set signals.prometheus.url too',
      ],
    },
    {
      name: 'a production target without a name, or with a probe statistic',
      raw: {
        target,
        signals: { prometheus },
        targets: [
          { query: P95, target: 1 },
          { name: 'p', query: P95, type: 'p95', endpoint: '/x', target: 1 },
        ],
      },
      issues: [
        'targets[0].name: is required for a production target: it names the query in records and Events',
        "targets[1].type: names a statistic of the load test; a production target's value is its query's",
        'targets[1].endpoint: names a probe request; a production target has none',
      ],
    },
    {
      name: 'two production targets of one name',
      raw: {
        target,
        signals: { prometheus },
        targets: [
          { name: 'p', query: P95, target: 1 },
          { name: 'p', query: RATE, target: 1 },
        ],
      },
      issues: ['targets: two production targets are named "p"; names must be unique'],
    },
    {
      name: 'a load test that no target reads (every target a production query)',
      raw: { target, loadTest: probe, signals: { prometheus }, targets: [{ name: 'p', query: P95, target: 1 }] },
      issues: [
        'loadTest: is set, but every target is a production query and none reads the load test: remove loadTest ' +
          '(no synthetic load is then sent) or add a probe target',
      ],
    },
    {
      name: 'a probe target without a type',
      raw: { target, loadTest: probe, targets: [{ method: 'GET', endpoint: '/x', target: 1 }] },
      issues: ['targets[0].type: is required: mean, median, min, max, pNN (e.g. p95, p99.9), failureRatio, rps'],
    },
    {
      name: 'credentials: both kinds, a secret with two sources or none, basic auth twice',
      raw: {
        target,
        targets: [{ name: 'p', query: P95, target: 1 }],
        signals: {
          prometheus: {
            url: 'http://u:pw@prometheus:9090',
            auth: { bearer: { file: '/t', env: 'T' }, basic: { username: 'u', password: {} } },
          },
        },
      },
      issues: [
        'signals.prometheus.auth: has both bearer and basic: choose one',
        'signals.prometheus.auth.bearer: needs exactly one of file (e.g. a mounted Secret) and env (an environment variable)',
        'signals.prometheus.auth.basic.password: needs exactly one of file (e.g. a mounted Secret) and env (an environment variable)',
        'signals.prometheus.auth.basic: and credentials in signals.prometheus.url: choose one',
      ],
    },
    {
      name: 'an unknown key, a bad duration, a URL that is none',
      raw: {
        target,
        targets: [{ name: 'p', query: P95, target: 1 }],
        signals: { prometheus: { url: 'prometheus:9090', maxAge: 'soon', tlss: {} } },
      },
      issues: [
        'signals.prometheus.tlss: unknown key (did you mean "tls"?); expected one of url, headers, tls, auth, maxAge',
        'signals.prometheus.url: "prometheus:9090" is not an http(s) URL',
        'signals.prometheus.maxAge: "soon" is not a duration; expected e.g. 500ms, 5s, 2m or a number of seconds',
        'targets[0].query: reads Prometheus: set signals.prometheus.url too',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(issuesOf(c.raw), c.issues));
  }
});

describe("README's Production signals section", () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Production signals'), readme.indexOf('## Fleets'));
  const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('its configuration loads, beside a probe, as written', () => {
    const raw = loadYaml(blocks[0]!) as Record<string, unknown>;
    const c = validateConfig({ target, loadTest: { host: 'http://shop:8080' }, ...raw }, opts);
    assert.deepEqual(
      c.targets.map((t) => t.request),
      ['GET /checkout', 'p95-prod', 'errors-prod'],
    );
    assert.equal(c.signals.prometheus?.auth?.bearer?.file, '/var/run/secrets/prometheus/token');
  });

  it('the equivalent of the KEDA ScaledObject loads as written (probe-less)', () => {
    const raw = loadYaml(blocks.at(-1)!) as Record<string, unknown>;
    const c = validateConfig(raw, opts);
    assert.equal(c.loadTest, undefined);
    assert.equal(hasProductionLoadQuery(c), true);
  });
});
