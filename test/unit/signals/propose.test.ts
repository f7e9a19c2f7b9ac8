// init --prometheus: the queries proposed from the metric names a workload's series carry.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { proposeSignals, selectorMatchers, workloadMatchers } from '../../../src/signals/propose.ts';

const histogram = (base: string): string[] => [`${base}_bucket`, `${base}_count`, `${base}_sum`];
const SEL = 'job="shop"';

describe('init --prometheus: what it proposes from the metric names', () => {
  it("a Prometheus client's duration histogram: its p95 in ms, and the rate of the requests it timed", () => {
    const names = ['go_goroutines', 'http_requests_total', ...histogram('http_request_duration_seconds')];
    assert.deepEqual(proposeSignals(names, SEL), {
      rate: {
        metric: 'http_request_duration_seconds_count',
        query: 'sum(rate(http_request_duration_seconds_count{job="shop"}[1m]))',
      },
      latency: {
        metric: 'http_request_duration_seconds_bucket',
        query:
          'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="shop"}[1m]))) * 1000',
      },
    });
  });

  it('the HTTP server histogram before any other timed thing; milliseconds need no factor', () => {
    const spring = [...histogram('jvm_gc_pause_seconds'), ...histogram('http_server_requests_seconds')];
    assert.equal(proposeSignals(spring, SEL)?.latency?.metric, 'http_server_requests_seconds_bucket');
    const otel = proposeSignals(histogram('http_server_duration_milliseconds'), SEL);
    assert.match(otel?.latency?.query ?? '', /\[1m\]\)\)\)$/);
  });

  it('a counter alone: the rate, no latency; a histogram of sizes is no latency', () => {
    const names = ['http_requests_total', ...histogram('http_request_size_bytes')];
    assert.deepEqual(proposeSignals(names, SEL), {
      rate: { metric: 'http_requests_total', query: 'sum(rate(http_requests_total{job="shop"}[1m]))' },
    });
  });

  it('neither a request counter nor a duration histogram: nothing proposed', () => {
    assert.equal(proposeSignals(['go_goroutines', 'process_cpu_seconds_total', 'up'], SEL), undefined);
    assert.equal(proposeSignals(['http_request_duration_seconds_bucket'], SEL), undefined, 'a bucket without _count');
  });

  it("a workload's pods as its controller names them; a selector as written, braces or not", () => {
    const web = { kind: 'Deployment', name: 'web', namespace: 'shop' };
    assert.equal(workloadMatchers(web), 'namespace="shop",pod=~"web-[a-z0-9]+-[a-z0-9]+"');
    assert.equal(workloadMatchers({ ...web, kind: 'StatefulSet', name: 'db' }), 'namespace="shop",pod=~"db-[0-9]+"');
    assert.equal(selectorMatchers('{job="shop"}'), SEL);
    assert.equal(selectorMatchers(` ${SEL} `), SEL);
    assert.equal(selectorMatchers('{ }'), undefined);
  });
});
