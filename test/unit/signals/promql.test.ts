// What an answer of Prometheus's API means for one signal (a number, or why not), and the age check.
// The answers are the shapes Prometheus 3 gives (see test/integration/prometheus.test.ts for the real thing).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  freshnessOf,
  freshnessQuery,
  redactQuery,
  sampleOf,
  selectorsOf,
  SELECTOR_LABEL,
} from '../../../src/signals/promql.ts';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const T = NOW / 1000; // Prometheus's seconds
const MAX_AGE = 120_000;
const vector = (...values: string[]) => ({
  status: 'success',
  data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { pod: `p${i}` }, value: [T, v] })) },
});

describe('sampleOf: one number, or why not', () => {
  const cases: { name: string; answer: unknown; value?: number; why?: RegExp }[] = [
    { name: 'one series', answer: vector('312.5'), value: 312.5 },
    { name: 'a scalar', answer: { status: 'success', data: { resultType: 'scalar', result: [T, '4'] } }, value: 4 },
    { name: 'an empty vector', answer: vector(), why: /no series: .*or vector\(0\)/ },
    {
      name: 'several series',
      answer: vector('1', '2', '3', '4'),
      why: /^4 series where one was expected .*and 1 more/,
    },
    { name: 'NaN', answer: vector('NaN'), why: /^NaN/ },
    { name: '+Inf', answer: vector('+Inf'), why: /^\+Inf/ },
    { name: '-Inf', answer: vector('-Inf'), why: /^-Inf/ },
    {
      name: 'status: error',
      answer: { status: 'error', errorType: 'execution', error: 'query timed out' },
      why: /^the query failed: execution: query timed out$/,
    },
    {
      name: 'a range vector',
      answer: { status: 'success', data: { resultType: 'matrix', result: [] } },
      why: /range vector/,
    },
    {
      name: 'a string',
      answer: { status: 'success', data: { resultType: 'string', result: [T, 'x'] } },
      why: /"string"/,
    },
    { name: 'no body', answer: null, why: /the query failed/ },
    {
      name: 'an answer older than maxAge (a cache, a stalled server)',
      answer: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [T - 300, '1'] }] } },
      why: /^the answer is 300 s old, beyond signals.prometheus.maxAge 2m$/,
    },
    {
      name: 'an answer from the future (clocks apart)',
      answer: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [T + 300, '1'] }] } },
      why: /ahead of this clock/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = sampleOf(c.answer, NOW, MAX_AGE);
      if (c.value !== undefined) assert.deepEqual(s, { value: c.value, at: NOW });
      else {
        assert.ok('unmeasured' in s, JSON.stringify(s));
        assert.match(s.unmeasured, c.why!);
      }
    });
  }
});

// /api/v1/parse_query's tree of `sum(rate(http_requests_total{job="api"}[1m])) / sum(rate(x[1m] offset 1h))`,
// as Prometheus 3.16 gives it (trimmed of fields the reader ignores).
const AST = {
  type: 'binaryExpr',
  op: '/',
  lhs: {
    type: 'aggregation',
    op: 'sum',
    expr: {
      type: 'call',
      func: { name: 'rate', argTypes: ['matrix'] },
      args: [
        {
          type: 'matrixSelector',
          name: 'http_requests_total',
          offset: 0,
          timestamp: null,
          startOrEnd: null,
          matchers: [
            { name: 'job', type: '=', value: 'api' },
            { name: '__name__', type: '=', value: 'http_requests_total' },
          ],
        },
      ],
    },
  },
  rhs: {
    type: 'aggregation',
    op: 'sum',
    expr: {
      type: 'call',
      func: { name: 'rate' },
      args: [{ type: 'matrixSelector', offset: 3_600_000, matchers: [{ name: '__name__', type: '=', value: 'x' }] }],
    },
  },
};

describe('the age check', () => {
  it('reads the selectors of the query, leaving out those moved in time (offset, @)', () => {
    assert.deepEqual(selectorsOf(AST), [{ text: '{job="api",__name__="http_requests_total"}' }]);
  });

  it('quotes label names that are not identifiers and escapes values', () => {
    const ast = { type: 'vectorSelector', matchers: [{ name: 'http.route', type: '=~', value: 'a"b\\' }] };
    assert.deepEqual(selectorsOf(ast), [{ text: '{"http.route"=~"a\\"b\\\\"}' }]);
  });

  it('one query for the newest sample of every selector, each labelled', () => {
    const q = freshnessQuery([{ text: '{__name__="a"}' }, { text: '{__name__="b"}' }]);
    assert.equal(
      q,
      `label_replace(max(timestamp({__name__="a"})), "${SELECTOR_LABEL}", "0", "", "") or ` +
        `label_replace(max(timestamp({__name__="b"})), "${SELECTOR_LABEL}", "1", "", "")`,
    );
  });

  const selectors = [{ text: '{__name__="a"}' }, { text: '{__name__="b"}' }];
  const newest = (...ages: (number | undefined)[]) => ({
    status: 'success',
    data: {
      resultType: 'vector',
      result: ages.flatMap((age, i) =>
        age === undefined ? [] : [{ metric: { [SELECTOR_LABEL]: String(i) }, value: [T, String(T - age / 1000)] }],
      ),
    },
  });

  it('fresh: the age of the oldest selector’s newest sample', () => {
    assert.deepEqual(freshnessOf(newest(1_000, 3_000), selectors, MAX_AGE), { ageMs: 3_000 });
  });

  it('a selector with no sample within maxAge (its exporter gone, marked stale): unmeasured, naming it', () => {
    const r = freshnessOf(newest(1_000, undefined), selectors, MAX_AGE);
    assert.deepEqual(r, {
      unmeasured:
        'no sample of {__name__="b"} within signals.prometheus.maxAge 2m: its exporter is gone or no longer scraped',
    });
  });

  it('a sample older than maxAge (a server that ignores lookback_delta): unmeasured', () => {
    const r = freshnessOf(newest(1_000, 200_000), selectors, MAX_AGE);
    assert.ok('unmeasured' in r);
    assert.match(r.unmeasured, /newest sample of \{__name__="b"\} is 200 s old, beyond signals.prometheus.maxAge 2m/);
  });
});

describe('redactQuery', () => {
  it('masks the values of secret-looking labels and bounds the length', () => {
    assert.equal(
      redactQuery('sum(rate(x{api_key="abc", token=~"t.*", job="api"}[1m]))'),
      'sum(rate(x{api_key="[redacted]", token=~"[redacted]", job="api"}[1m]))',
    );
    assert.equal(redactQuery(`vector(1)${' + vector(1)'.repeat(40)}`).length, 201);
  });
});
