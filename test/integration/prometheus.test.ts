// Production signals from a real Prometheus (test/harness/prometheus.ts), scraping every second a
// loopback service that exports a request counter and a latency histogram, through the bundle: a
// production breach scales up; the probe-less mode sends no request to the service; every outage of
// the signal — with the fault proxy in front of Prometheus, and with queries of the odd shapes —
// holds or lets the probe decide, never goes down, and says why (DESIGN §9).
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messages, runBundle, type CliResult } from '../helpers/cli.ts';
import { startProductionService, type ProductionService } from '../helpers/production-service.ts';
import { startScaleServer, type ScaleServer } from '../helpers/scale-server.ts';
import { startFaultProxy, type FaultProxy } from '../harness/faults.ts';
import { single, startPrometheus, type PrometheusServer } from '../harness/prometheus.ts';

const P95 =
  'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{instance="SVC"}[5s]))) * 1000';
const RATE = 'sum(rate(http_requests_total{instance="SVC"}[5s]))';

let dir: string;
let service: ProductionService;
/** A second exporter, scraped by the same Prometheus, whose death one test shows. */
let doomed: ProductionService;
let prometheus: PrometheusServer;
let proxy: FaultProxy;
const scales: ScaleServer[] = [];
let n = 0;

const p95 = (): string => P95.replace('SVC', service.address);
const rate = (): string => RATE.replace('SVC', service.address);

/** Waits until Prometheus sees the production p95 on the given side of 250 ms. */
async function productionP95(side: 'above' | 'below'): Promise<void> {
  await prometheus.waitFor(p95(), (a) => {
    const v = single(a);
    return v !== undefined && (side === 'above' ? v > 400 : v < 100);
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-prometheus-'));
  service = await startProductionService();
  service.traffic({ rps: 40, latencyMs: 30 }); // p95 ≈ 49 ms: within 250
  doomed = await startProductionService();
  doomed.traffic({ rps: 20, latencyMs: 30 });
  prometheus = await startPrometheus({ scrape: [service.address, doomed.address] });
  proxy = await startFaultProxy({ upstream: prometheus.url });
  await productionP95('below');
});
after(async () => {
  await Promise.all([proxy?.close(), service?.close(), doomed?.close(), ...scales.map((s) => s.close())]);
  await prometheus?.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  n++;
  proxy.clear();
});

async function scaleServer(replicas: number): Promise<ScaleServer> {
  const s = await startScaleServer(replicas);
  scales.push(s);
  return s;
}

interface Setup {
  scale: ScaleServer;
  /** The probe's mean limit in ms (the service answers in about 2 ms); none: the probe-less mode. */
  probe?: number;
  p95?: string;
  rate?: string;
  url?: string;
  extra?: string;
}

function config(s: Setup): string {
  const path = join(dir, `scaler-${n}.yaml`);
  const probe =
    s.probe === undefined
      ? ''
      : `loadTest:
  host: ${service.url}
  users: 2
  duration: 1s
  waitTime: 20ms
  requests: [{ method: GET, path: /work }]
`;
  writeFileSync(
    path,
    `target: { kind: http, url: ${s.scale.url} }
replicas: { min: 1, max: 6 }
${probe}targets:
${s.probe === undefined ? '' : `  - { method: GET, endpoint: /work, type: mean, target: ${s.probe} }\n`}  - { name: p95-prod, query: '${s.p95 ?? p95()}', target: 250 }
signals:
  prometheus: { url: '${s.url ?? proxy.url}' }
  rate: { query: '${s.rate ?? rate()}' }
decay: { unchangedRuns: 1 }
api: { timeout: 1s }
state: { store: file, path: ${join(dir, `state-${n}.json`)} }
${s.extra ?? ''}`,
  );
  return path;
}

interface Evaluation {
  target: string;
  value: number | null;
  breached: boolean;
  production?: boolean;
  text: string;
}
interface Reading {
  query: string;
  value: number | null;
  at?: string;
  ageMs?: number;
  unmeasured?: string;
}
interface Record {
  action: string;
  reason: string;
  message: string;
  current: number;
  applied: number;
  probeFailed: boolean;
  evaluations: Evaluation[];
  observations?: { requests: object };
  production?: { server: string; targets: { [name: string]: Reading }; rate?: Reading };
}

async function run(path: string, args: string[] = []): Promise<{ r: CliResult; record: Record }> {
  const r = await runBundle(['run', '-c', path, '-o', 'json', ...args], { timeoutMs: 30_000 });
  assert.ok(r.stdout.trim() !== '', `a decision record on stdout (exit ${r.code}): ${r.stderr}`);
  return { r, record: JSON.parse(r.stdout) as Record };
}

describe('production signals from Prometheus', () => {
  it('a production-latency breach scales up while the probe is within; the record keeps each value', async () => {
    service.traffic({ rps: 40, latencyMs: 300 }); // p95 ≈ 488 ms
    await productionP95('above');
    try {
      const scale = await scaleServer(2);
      const { r, record } = await run(config({ scale, probe: 500 }));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(record.action, 'up');
      assert.equal(record.reason, 'TargetBreached');
      assert.deepEqual(scale.writes, [3]);
      assert.match(record.message, /p95-prod 4\d\d(\.\d+)? > 250/);
      const [probe, production] = record.evaluations;
      assert.equal(probe!.breached, false, probe!.text);
      assert.equal(production!.production, true);
      const reading = record.production!.targets['p95-prod']!;
      assert.equal(reading.query, p95());
      assert.ok(reading.value! > 400 && reading.value! < 500, `${reading.value}`);
      assert.ok(Math.abs(Date.parse(reading.at!) - Date.now()) < 30_000, `sampled at ${reading.at}`);
      assert.ok(reading.ageMs! >= 0 && reading.ageMs! < 5_000, `newest sample ${reading.ageMs} ms old`);
      const load = record.production!.rate!;
      assert.ok(load.value! > 20, `the production rate, about 40 req/s: ${load.value}`);
      assert.equal(record.production!.server, proxy.url);
    } finally {
      service.traffic({ rps: 40, latencyMs: 30 });
      await productionP95('below');
    }
  });

  it('probe and production both within: a calm run; and the next, a decay', async () => {
    const scale = await scaleServer(3);
    const path = config({ scale, probe: 500 });
    const first = await run(path);
    assert.equal(first.r.code, 0, first.r.stderr);
    assert.equal(first.record.reason, 'WithinTargets');
    const second = await run(path);
    assert.equal(second.record.action, 'down', second.record.message);
    assert.deepEqual(scale.writes, [2]);
  });

  it('a probe breach scales up while production is within', async () => {
    const scale = await scaleServer(2);
    service.answerAfter(40);
    try {
      const { r, record } = await run(config({ scale, probe: 10 }));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(record.action, 'up');
      assert.match(record.message, /GET \/work mean \d+(\.\d+)? ms > 10 ms/);
    } finally {
      service.answerAfter(2);
    }
  });
});

describe('the probe-less mode: only production targets', () => {
  it('sends no request to the service: within, a calm hold; breached, a scale-up', async () => {
    const before = service.probes();
    const scale = await scaleServer(2);
    const path = config({ scale });
    const calm = await run(path);
    assert.equal(calm.r.code, 0, calm.r.stderr);
    assert.equal(calm.record.reason, 'WithinTargets');
    assert.equal(calm.record.observations, undefined, 'no load test statistics');
    service.traffic({ rps: 40, latencyMs: 300 });
    try {
      await productionP95('above');
      const up = await run(path);
      assert.equal(up.r.code, 0, up.r.stderr);
      assert.equal(up.record.action, 'up');
      assert.deepEqual(scale.writes, [3]);
    } finally {
      service.traffic({ rps: 40, latencyMs: 30 });
      await productionP95('below');
    }
    assert.equal(service.probes(), before, 'not one request reached the service');
  });
});

interface Outage {
  name: string;
  /** The fault at the proxy, or the production query that gives the odd shape. */
  fault?: () => Promise<void> | void;
  p95?: () => string;
  /** What the warning and the decision say of the cause. */
  cause: RegExp;
}

const error422 = JSON.stringify({
  status: 'error',
  errorType: 'execution',
  error: 'query processing would load too many samples into memory',
});

const OUTAGES: Outage[] = [
  { name: 'refused', fault: () => proxy.refuse(true), cause: /connection refused/ },
  {
    name: 'hanging',
    fault: () => proxy.inject({ fault: { kind: 'hang' }, times: Infinity }),
    cause: /no answer within 1 s/,
  },
  {
    name: 'HTTP 503',
    fault: () => proxy.inject({ fault: { kind: 'status', status: 503, body: 'overloaded' }, times: Infinity }),
    cause: /it answered HTTP 503: overloaded/,
  },
  {
    name: 'status: error (HTTP 422)',
    fault: () =>
      proxy.inject({
        fault: { kind: 'status', status: 422, headers: { 'content-type': 'application/json' }, body: error422 },
        times: Infinity,
      }),
    cause: /HTTP 422: execution: query processing would load too many samples into memory/,
  },
  {
    name: 'an answer too old (a cache in front of Prometheus)',
    fault: () =>
      proxy.inject({
        path: /\/api\/v1\/query$/,
        body: (b) => !b.includes('timestamp'),
        fault: {
          kind: 'status',
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            status: 'success',
            data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000 - 600, '42'] }] },
          }),
        },
        times: Infinity,
      }),
    cause: /the answer is 60\d s old, beyond signals\.prometheus\.maxAge 2m/,
  },
  { name: 'an empty vector', p95: () => 'sum(rate(no_such_metric_total[5s]))', cause: /no series/ },
  { name: 'NaN', p95: () => 'vector(0) / vector(0)', cause: /NaN/ },
  { name: '+Inf', p95: () => 'vector(1) / vector(0)', cause: /\+Inf/ },
  {
    name: 'several series where one was expected',
    p95: () => `rate(http_request_duration_seconds_bucket{instance="${service.address}"}[5s])`,
    cause: /10 series where one was expected/,
  },
];

function saysWhy(r: CliResult, record: Record, cause: RegExp, server: string): void {
  const warnings = messages(r.stderr)
    .split('\n')
    .filter((l) => l.includes('production signal "p95-prod"'));
  assert.equal(warnings.length, 1, `one warning for the signal:\n${r.stderr}`);
  assert.match(warnings[0]!, cause);
  assert.ok(warnings[0]!.includes(`Prometheus at ${server}`), warnings[0]);
  assert.ok(warnings[0]!.includes('p95-prod'), warnings[0]);
  assert.match(record.message, cause);
  const reading = record.production!.targets['p95-prod']!;
  assert.equal(reading.value, null);
  assert.match(reading.unmeasured!, cause);
}

describe('an unmeasured production signal never goes down, and says why', () => {
  for (const o of OUTAGES) {
    it(`${o.name}: with a probe, the probe decides — a hold, decay due or not`, async () => {
      const scale = await primed(500);
      await o.fault?.();
      try {
        const { r, record } = await run(config({ scale, probe: 500, ...(o.p95 ? { p95: o.p95() } : {}) }));
        // The probe decided (within): a hold, no probe failure; not calm, so no decay (SignalUnmeasured).
        assert.equal(r.code, 0, r.stderr);
        assert.equal(record.reason, 'SignalUnmeasured', record.message);
        assert.equal(record.action, 'hold', record.message);
        assert.equal(record.applied, 3);
        assert.deepEqual(scale.writes, []);
        saysWhy(r, record, o.cause, proxy.url);
      } finally {
        await proxy.refuse(false);
        proxy.clear();
      }
    });

    it(`${o.name}: with no probe, a probe failure (exit 1), hold`, async () => {
      const scale = await primed(undefined);
      await o.fault?.();
      try {
        const { r, record } = await run(config({ scale, ...(o.p95 ? { p95: o.p95() } : {}) }));
        assert.equal(r.code, 1, r.stderr);
        assert.equal(record.reason, 'ProbeFailed');
        assert.equal(record.applied, 3);
        assert.deepEqual(scale.writes, []);
        saysWhy(r, record, o.cause, proxy.url);
      } finally {
        await proxy.refuse(false);
        proxy.clear();
      }
    });
  }

  it("a dead exporter's last rate: Prometheus still answers it, the signal is unmeasured; the probe decides", async () => {
    const last = `sum(rate(http_requests_total{instance="${doomed.address}"}[30s]))`;
    await prometheus.waitFor(last, (a) => (single(a) ?? 0) > 5);
    await doomed.kill();
    await prometheus.waitFor(`up{instance="${doomed.address}"}`, (a) => single(a) === 0);
    const raw = single(await prometheus.query(last));
    assert.ok(raw !== undefined && raw > 5, `Prometheus still gives the dead exporter's rate: ${raw}`);
    const scale = await primed(500);
    const { r, record } = await run(config({ scale, probe: 500, p95: last }));
    assert.equal(record.action, 'hold', record.message);
    assert.deepEqual(scale.writes, []);
    const cause = new RegExp(
      `no sample of \\{instance="${doomed.address}",__name__="http_requests_total"\\} within ` +
        'signals\\.prometheus\\.maxAge 2m: its exporter is gone or no longer scraped',
    );
    saysWhy(r, record, cause, proxy.url);
    const probeless = await run(config({ scale, p95: last }));
    assert.equal(probeless.r.code, 1, probeless.r.stderr);
    assert.equal(probeless.record.reason, 'ProbeFailed');
    assert.deepEqual(scale.writes, []);
  });

  it('refused, and the probe breached: the probe decides — up', async () => {
    const scale = await scaleServer(2);
    service.answerAfter(40);
    await proxy.refuse(true);
    try {
      const { r, record } = await run(config({ scale, probe: 10 }));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(record.action, 'up');
      assert.match(record.message, /p95-prod: not measured \(Prometheus at .*: connection refused\)/);
    } finally {
      service.answerAfter(2);
      await proxy.refuse(false);
    }
  });
});

/** A scale target at 3 after one calm run (its state in this test's file): with unchangedRuns 1, a decay is due. */
async function primed(probe: number | undefined): Promise<ScaleServer> {
  const scale = await scaleServer(3);
  const { r, record } = await run(config({ scale, probe }));
  assert.equal(record.reason, 'WithinTargets', `${record.message}\n${r.stderr}`);
  return scale;
}

describe('init --prometheus: the production signals a first scaler.yaml proposes', () => {
  /** `init <webhook> --prometheus …` through the bundle, measuring the service; the file it wrote, if any. */
  async function init(extra: string[], url = prometheus.url): Promise<{ r: CliResult; out: string; file?: string }> {
    const scale = await scaleServer(2);
    const out = join(dir, `init-${n}.yaml`);
    const args = ['init', scale.url, '--host', service.url, '--path', '/work', '--duration', '1s'];
    const r = await runBundle([...args, '--out', out, '--prometheus', url, ...extra]);
    return { r, out, ...(existsSync(out) ? { file: readFileSync(out, 'utf8') } : {}) };
  }
  const selector = (): string => `instance="${service.address}"`;

  it("proposes the rate and the p95 of the workload's series, read now; validate accepts both queries", async () => {
    const { r, out, file = '' } = await init(['--prometheus-selector', `{${selector()}}`]);
    assert.equal(r.code, 0, r.stderr);
    const sel = `{${selector()}}`;
    assert.ok(file.includes(`rate: { query: 'sum(rate(http_request_duration_seconds_count${sel}[1m]))' }`), file);
    const p95 = `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket${sel}[1m]))) * 1000`;
    assert.ok(file.includes(`    query: '${p95}'`), file);
    // Production answers in 30 ms (the histogram's p95 ≈ 49 ms): × 2, rounded up. The rate is production's
    // 40 req/s plus whatever the earlier tests' probes sent within the minute it averages.
    const target = Number(/name: p95-prod\n {4}query: .*\n {4}target: (\d+)/.exec(file)?.[1]);
    assert.ok(target >= 80 && target <= 110, file);
    const rate = Number(/the request rate \(now (\d+(?:\.\d+)?) req\/s\)/.exec(file)?.[1]);
    assert.ok(rate >= 30 && rate <= 400, `the rate read now, production's 40 req/s and the probes': ${rate}\n${file}`);
    assert.match(messages(r.stderr), /proposing the rate of http_request_duration_seconds_count and the p95 of/);
    assert.match(file, /the one init reached \(a port-forward\): in the cluster, set its Service address there/);
    const checked = await runBundle(['validate', '-c', out]);
    assert.equal(checked.code, 0, checked.stderr + checked.stdout);
    assert.match(checked.stdout, /p95-prod/);
  });

  it('a selector no series matches: the file reads no production signal, and init says so', async () => {
    const { r, file } = await init(['--prometheus-selector', 'instance="127.0.0.1:1"']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(file !== undefined && !file.includes('signals:') && !file.includes('p95-prod'), file);
    assert.match(
      messages(r.stderr),
      /no series match \{instance="127\.0\.0\.1:1"\} \(is --prometheus-selector right\?\)/,
    );
  });

  it('Prometheus refused: exit 1 naming it and the cause, no request to the service, nothing written', async () => {
    await proxy.refuse(true);
    try {
      const probes = service.probes();
      const { r, file } = await init(['--prometheus-selector', selector()], proxy.url);
      assert.equal(r.code, 1, r.stderr);
      assert.match(messages(r.stderr), /Prometheus at http:\/\/127\.0\.0\.1:\d+: listing the metric names .*refused/);
      assert.equal(file, undefined);
      assert.equal(service.probes(), probes, 'no baseline was sent');
    } finally {
      await proxy.refuse(false);
    }
  });

  it('bad input: a selector Prometheus cannot parse, a webhook with none, credentials in the URL: exit 2', async () => {
    const bad = await init(['--prometheus-selector', 'instance=']);
    assert.equal(bad.r.code, 2, bad.r.stderr);
    assert.match(messages(bad.r.stderr), /--prometheus-selector: Prometheus at .*: it answered HTTP 400/);
    assert.equal(bad.file, undefined);
    const none = await init([]);
    assert.equal(none.r.code, 2, none.r.stderr);
    assert.match(messages(none.r.stderr), /--prometheus-selector: is required with a webhook target/);
    const secret = await init(['--prometheus-selector', selector()], prometheus.url.replace('//', '//u:hunter2@'));
    assert.equal(secret.r.code, 2, secret.r.stderr);
    assert.match(messages(secret.r.stderr), /--prometheus: carries credentials/);
    assert.doesNotMatch(secret.r.stderr, /hunter2/);
  });
});
