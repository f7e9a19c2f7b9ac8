// The Locust engine's statistics, as its CSV endpoints write them, through the decision's failure
// summary: a request found by two names (its row and a locustfile's `name=`) still counts once.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv } from '../../../src/loadtest/locust-master.ts';
import { toObservations } from '../../../src/loadtest/locust-stats.ts';
import { evaluateTargets, failureSummary } from '../../../src/decide/evaluate.ts';

// /stats/requests/csv of Locust 2.x: `checkout` is a locustfile's `name=`, /health a bare path.
const REQUESTS_CSV = [
  '"Type","Name","Request Count","Failure Count","Median Response Time","Average Response Time",' +
    '"Min Response Time","Max Response Time","Average Content Size","Requests/s","Failures/s",' +
    '"50%","66%","75%","80%","90%","95%","98%","99%","99.9%","99.99%","100%"',
  '"POST","checkout",60,30,2,11.5,0.4,48.1,12.0,6.0,3.0,2,18,20,21,23,25,37,48,48,48,48',
  '"GET","/health",40,20,1,9.25,0.3,40.2,2.0,4.0,2.0,1,15,17,19,21,24,33,40,40,40,40',
  ',"Aggregated",100,50,2,10.6,0.3,48.1,8.0,10.0,5.0,2,17,19,20,22,25,36,48,48,48,48',
  '',
].join('\r\n');

// /stats/failures/csv: half of each request was refused (python-requests' message, as HttpUser reports it).
const refused = (path: string): string =>
  `ConnectionError(MaxRetryError(""HTTPConnectionPool(host='127.0.0.1', port=8089): Max retries exceeded ` +
  `with url: ${path} (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at ` +
  `0x7f3a2c1b9d10>: Failed to establish a new connection: [Errno 111] Connection refused'))""))`;
const FAILURES_CSV = [
  '"Method","Name","Error","Occurrences"',
  `"POST","checkout","${refused('/checkout')}",30`,
  `"GET","/health","${refused('/health')}",20`,
  '',
].join('\r\n');

const observations = () => toObservations(parseCsv(REQUESTS_CSV), parseCsv(FAILURES_CSV), 0, 10_000);

it('Locust statistics with half the requests refused: each failure counted once, not "unreachable"', () => {
  const summary = failureSummary(observations())!;
  assert.equal(summary.requests, 100);
  assert.equal(summary.failures, 50);
  assert.equal(summary.ratio, 0.5);
  assert.equal(summary.unreachable, false, summary.text);
  const kind = Object.keys(observations().requests['POST checkout']!.failuresByKind)[0]!;
  assert.equal(summary.text, `50% of requests failed (${kind} 50)`);
});

it('every request refused is still "unreachable" (a probe failure)', () => {
  const all = REQUESTS_CSV.replace(',60,30,', ',60,60,').replace(',40,20,', ',40,40,').replace(',100,50,', ',100,100,');
  const failures = FAILURES_CSV.replace(/,30\r\n/, ',60\r\n').replace(/,20\r\n/, ',40\r\n');
  const summary = failureSummary(toObservations(parseCsv(all), parseCsv(failures), 0, 10_000))!;
  assert.equal(summary.failures, 100);
  assert.equal(summary.unreachable, true, summary.text);
});

it('a target still finds a request by its locustfile name and by its row name', () => {
  const targets = ['checkout', 'POST checkout', '/health'].map((request) => ({
    label: 'failureRatio',
    request,
    type: { kind: 'failureRatio' as const },
    target: 0.1,
    tolerance: 0,
  }));
  assert.deepEqual(
    evaluateTargets(targets, observations()).map((e) => e.value),
    [0.5, 0.5, 0.5],
  );
});

it("requests/s over the measured window, not Locust's first-to-last request span (a long think time)", () => {
  // LPA's guide: think time 5-9 s. Ten users each sent one request in the first 29 ms of a 5 s test;
  // Locust's Requests/s divides by those 29 ms (346 req/s).
  const rows = [
    REQUESTS_CSV.split('\r\n')[0],
    '"GET","/",10,0,3,3.1,2.9,3.4,12.0,346.0,0.0,3,3,3,3,3,3,3,3,3,3,3',
    ',"Aggregated",10,0,3,3.1,2.9,3.4,12.0,346.0,0.0,3,3,3,3,3,3,3,3,3,3,3',
    '',
  ].join('\r\n');
  const o = toObservations(parseCsv(rows), [], 0, 5_000);
  assert.equal(o.requests['GET /']!.rps, 2);
  assert.equal(o.aggregated.rps, 2);
});
