// A run's metrics (src/report/metrics.ts): the names, labels and base units of what a run pushes, PUT
// for a success and POST for anything else, the text format's escaping, and the group's path.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from '../../../src/decide/decide.ts';
import type { TargetSpec } from '../../../src/config/types.ts';
import {
  exposition,
  failureKind,
  groupingPath,
  pushMethodFor,
  runFamilies,
  type RunOutcome,
} from '../../../src/report/metrics.ts';
import { productionOnly } from '../../../src/model/observations.ts';
import { observe, policy, REQ, record } from '../decide/fixtures.ts';

const TARGETS: TargetSpec[] = [
  { label: 'mean', request: REQ, type: { kind: 'mean' }, target: 7, tolerance: 0 },
  { label: 'p95', request: REQ, type: { kind: 'percentile', percentile: 95 }, target: 50, tolerance: 0 },
  { label: 'failureRatio', request: REQ, type: { kind: 'failureRatio' }, target: 0.05, tolerance: 0 },
  { label: 'rps', request: REQ, type: { kind: 'rps' }, target: 20, tolerance: 0 },
];
const NOW = Date.parse('2026-12-01T12:00:00Z');

function outcome(exitCode: number, extra: { mean?: number | null; kinds?: Record<string, number> } = {}): RunOutcome {
  const failuresByKind = Object.fromEntries(
    Object.entries(extra.kinds ?? {}).map(([k, count]) => [k, { count, sample: k }]),
  );
  const failures = Object.values(extra.kinds ?? {}).reduce((a, b) => a + b, 0);
  const observations = observe(extra.mean === undefined ? 12.4 : extra.mean, { failures, failuresByKind });
  const p = policy({ targets: TARGETS, replicas: { min: 1, max: 4 } });
  const decision = decide({
    targetKey: 'k',
    status: { replicas: 2, paused: false },
    record: record(1, 2),
    observations,
    policy: p,
    now: NOW,
  });
  return {
    exitCode,
    startedAt: NOW - 6_500,
    endedAt: NOW,
    version: '0.1.0',
    decided: { decision, observations, replicas: p.replicas, targets: TARGETS },
  };
}

/** `name{labels} value` lines → a map from `name{labels}` to the value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-z_]+(?:\{.*\})?) (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('the metrics of a run that decided (exit 0)', () => {
  const text = exposition(runFamilies(outcome(0)));
  const s = samples(text);

  it('is PUT: it replaces the whole group, so nothing of an earlier run lingers', () => {
    assert.equal(pushMethodFor(outcome(0)), 'PUT');
  });

  it('carries the replicas, the bounds, the calm count and the action with its reason code', () => {
    assert.equal(s.get('latency_scaler_current_replicas'), 2);
    assert.equal(s.get('latency_scaler_desired_replicas'), 3);
    assert.equal(s.get('latency_scaler_applied_replicas'), 3);
    assert.equal(s.get('latency_scaler_min_replicas'), 1);
    assert.equal(s.get('latency_scaler_max_replicas'), 4);
    assert.equal(s.get('latency_scaler_calm_runs'), 0);
    assert.equal(s.get('latency_scaler_last_action{action="up",reason="TargetBreached"}'), 1);
  });

  it('gives each target its value and limit in base units, one metric name per unit', () => {
    const t = (name: string, target: string) => s.get(`latency_scaler_target_${name}{target="${REQ} ${target}"}`);
    assert.equal(t('observed_seconds', 'mean'), 0.0124);
    assert.equal(t('limit_seconds', 'mean'), 0.007);
    assert.ok(Math.abs(t('observed_seconds', 'p95')! - 0.0186) < 1e-12);
    assert.equal(t('limit_seconds', 'p95'), 0.05);
    assert.equal(t('observed_ratio', 'failureRatio'), 0);
    assert.equal(t('limit_ratio', 'failureRatio'), 0.05);
    assert.equal(t('observed_requests_per_second', 'rps'), 50);
    assert.equal(t('limit_requests_per_second', 'rps'), 20);
    assert.equal(t('breached', 'mean'), 1);
    assert.equal(t('breached', 'p95'), 0);
  });

  it('sets the success timestamp (seconds), the exit code and the duration; no failure timestamp', () => {
    assert.equal(s.get('latency_scaler_last_success_timestamp_seconds'), NOW / 1000);
    assert.equal(s.get('latency_scaler_last_run_exit_code'), 0);
    assert.equal(s.get('latency_scaler_last_run_duration_seconds'), 6.5);
    assert.equal(s.has('latency_scaler_last_failure_timestamp_seconds'), false);
    assert.equal(s.get('latency_scaler_build_info{version="0.1.0"}'), 1);
  });

  it('counts the load test requests and its failures by kind', () => {
    const t = exposition(runFamilies(outcome(0, { kinds: { 'HTTP 503': 3, timeout: 2 } })));
    const m = samples(t);
    assert.equal(m.get('latency_scaler_loadtest_requests'), 100);
    assert.equal(m.get('latency_scaler_loadtest_failures{kind="HTTP 503"}'), 3);
    assert.equal(m.get('latency_scaler_loadtest_failures{kind="timeout"}'), 2);
    assert.equal(m.get('latency_scaler_loadtest_failures{kind="connection refused"}'), 0, 'a known kind at 0');
  });

  it('nothing failed: the failures have series at 0, so an alert sees 0, not "no data"', () => {
    const m = samples(exposition(runFamilies(outcome(0, { kinds: {} }))));
    const failures = [...m].filter(([name]) => name.startsWith('latency_scaler_loadtest_failures{'));
    assert.ok(failures.length >= 5, `failure series: ${failures.map(([n]) => n).join(', ')}`);
    assert.ok(failures.every(([, value]) => value === 0));
    assert.equal(m.get('latency_scaler_loadtest_failures{kind="timeout"}'), 0);
  });

  it('each family once, with HELP and TYPE gauge before its samples, and no timestamps', () => {
    const names = [...text.matchAll(/^# TYPE (\S+) gauge$/gm)].map((m) => m[1]);
    assert.equal(new Set(names).size, names.length);
    assert.equal([...text.matchAll(/^# HELP /gm)].length, names.length);
    const sampleLine = /^[a-z_]+(\{[^}]*\})? [-+0-9.eENaIf]+$/; // a name, labels, a value: no timestamp after it
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) assert.match(line, sampleLine);
    assert.ok(names.every((n) => n?.startsWith('latency_scaler_')));
    assert.ok(!names.some((n) => n?.endsWith('_total')), 'no counters: nothing accumulates in a Pushgateway');
  });

  it('a target that measured nothing has its limit but no observed value', () => {
    const m = samples(exposition(runFamilies(outcome(0, { mean: null }))));
    assert.equal(m.has(`latency_scaler_target_observed_seconds{target="${REQ} mean"}`), false);
    assert.equal(m.get(`latency_scaler_target_limit_seconds{target="${REQ} mean"}`), 0.007);
  });
});

describe('two targets on one statistic', () => {
  it('give one series (the first target), not a duplicate the Pushgateway would refuse', () => {
    const o = outcome(0);
    const twice = [TARGETS[0]!, { ...TARGETS[0]!, target: 9 }];
    const evaluations = [o.decided!.decision.evaluations[0]!, o.decided!.decision.evaluations[0]!];
    const decided = { ...o.decided!, targets: twice, decision: { ...o.decided!.decision, evaluations } };
    const text = exposition(runFamilies({ ...o, decided }));
    assert.equal([...text.matchAll(/^latency_scaler_target_limit_seconds\{/gm)].length, 1);
    assert.equal(samples(text).get(`latency_scaler_target_limit_seconds{target="${REQ} mean"}`), 0.007);
  });
});

describe('the metrics of a run that did not decide', () => {
  it('a failure (exit 1) is POST: its failure timestamp and exit code, nothing of its decision', () => {
    const failed = outcome(1);
    assert.equal(pushMethodFor(failed), 'POST');
    const s = samples(exposition(runFamilies(failed)));
    assert.equal(s.get('latency_scaler_last_failure_timestamp_seconds'), NOW / 1000);
    assert.equal(s.get('latency_scaler_last_run_exit_code'), 1);
    assert.equal(s.has('latency_scaler_last_success_timestamp_seconds'), false);
    assert.equal(s.has('latency_scaler_applied_replicas'), false);
    assert.ok(![...s.keys()].some((k) => k.includes('target_')), 'the last success keeps its values');
  });

  it('an interruption and an error before any decision are failures too', () => {
    for (const exitCode of [2, 124, 130, 143]) {
      const s = samples(exposition(runFamilies({ ...outcome(exitCode), decided: undefined })));
      assert.equal(s.get('latency_scaler_last_failure_timestamp_seconds'), NOW / 1000, `exit ${exitCode}`);
    }
  });

  it('a conflict (exit 3) is POST and no failure: another run decided', () => {
    const conflict = { ...outcome(3), decided: undefined };
    assert.equal(pushMethodFor(conflict), 'POST');
    const s = samples(exposition(runFamilies(conflict)));
    assert.equal(s.get('latency_scaler_last_run_exit_code'), 3);
    assert.equal(s.has('latency_scaler_last_failure_timestamp_seconds'), false);
    assert.equal(s.has('latency_scaler_last_success_timestamp_seconds'), false);
  });
});

describe('the text format', () => {
  it('escapes label values (backslash, quote, newline) and help text; writes NaN and infinities', () => {
    const text = exposition([
      {
        name: 'x',
        help: 'a \\ b\nc',
        samples: [
          { labels: { target: 'GET /a?q="1"\\2\n' }, value: NaN },
          { labels: { target: 'b' }, value: Infinity },
          { value: -Infinity },
        ],
      },
    ]);
    assert.equal(
      text,
      '# HELP x a \\\\ b\\nc\n# TYPE x gauge\nx{target="GET /a?q=\\"1\\"\\\\2\\n"} NaN\nx{target="b"} +Inf\nx -Inf\n',
    );
  });

  it('leaves out a family with no samples', () => {
    assert.equal(exposition([{ name: 'x', help: 'h', samples: [] }]), '');
  });
});

describe("the group's path", () => {
  it('a plain target key as it is', () => {
    assert.equal(
      groupingPath('latency-scaler', { scale_target: 'default.deployment.fibonacci' }),
      '/metrics/job/latency-scaler/scale_target/default.deployment.fibonacci',
    );
  });

  it('anything not plainly safe in a path segment base64url-encoded, as the Pushgateway reads it', () => {
    assert.equal(
      groupingPath('j', { a: 'x/y' }),
      `/metrics/job/j/a@base64/${Buffer.from('x/y').toString('base64url')}`,
    );
    assert.equal(groupingPath('j', { a: '..' }), '/metrics/job/j/a@base64/Li4');
    assert.equal(groupingPath('j', { a: '' }), '/metrics/job/j/a@base64/=');
  });
});

describe('failure kinds as label values', () => {
  it("keeps the engines' own words, codes and error classes", () => {
    for (const k of ['HTTP 503', 'timeout', 'connection refused', 'protocol error', 'EPROTO', 'TypeError'])
      assert.equal(failureKind(k), k);
  });

  it("reduces a Locust error's text to its status or a word, else other (bounded cardinality)", () => {
    const text = "HTTPError('503 Server Error: Service Unavailable for url: http://svc/x?id=123')";
    assert.equal(failureKind(text), 'HTTP 503');
    assert.equal(failureKind("ConnectionRefusedError(111, 'Connection refused')"), 'connection refused');
    assert.equal(failureKind('ReadTimeout(...)'), 'timeout');
    assert.equal(failureKind('user 42 saw something odd at /x/42'), 'other');
  });
});

describe('production signals in the metrics', () => {
  it("a production target's value and limit as they are (the query's own unit); no load-test series without a probe", () => {
    const prod: TargetSpec = {
      label: 'query',
      request: 'p95-prod',
      type: { kind: 'query' },
      target: 250,
      tolerance: 0,
      query: 'histogram_quantile(0.95, sum by (le) (rate(x_bucket[1m]))) * 1000',
    };
    const production = { server: 'http://p:9090', targets: { 'p95-prod': { query: prod.query!, value: 312.5 } } };
    const observations = productionOnly(production, '2026-12-01T12:00:00Z');
    const p = policy({ targets: [prod], replicas: { min: 1, max: 4 } });
    const decision = decide({
      targetKey: 'k',
      status: { replicas: 2, paused: false },
      record: null,
      observations,
      policy: p,
      now: NOW,
    });
    const run: RunOutcome = {
      exitCode: 0,
      startedAt: NOW - 1_000,
      endedAt: NOW,
      version: '0.1.0',
      decided: { decision, observations, replicas: p.replicas, targets: [prod] },
    };
    const s = samples(exposition(runFamilies(run)));
    assert.equal(s.get('latency_scaler_target_observed_value{target="p95-prod"}'), 312.5);
    assert.equal(s.get('latency_scaler_target_limit_value{target="p95-prod"}'), 250);
    assert.equal(s.get('latency_scaler_target_breached{target="p95-prod"}'), 1);
    assert.equal([...s.keys()].filter((k) => k.startsWith('latency_scaler_loadtest_')).length, 0);
  });
});
