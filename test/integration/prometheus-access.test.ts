// Reaching Prometheus as production does, through the bundle: TLS with a custom CA and basic auth (the
// server's own web config), a bearer token checked by a proxy in front (as kube-rbac-proxy or an
// oauth2-proxy would), secrets that never reach any output; `validate` finding a query's typo on the
// server; the load signal read at zero replicas; a hanging server bounded by the run's signal.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE, messages, runBundle } from '../helpers/cli.ts';
import { startProductionService, type ProductionService } from '../helpers/production-service.ts';
import { startScaleServer, type ScaleServer } from '../helpers/scale-server.ts';
import { hanging, type TestServer } from '../helpers/servers.ts';
import { freePort } from '../harness/ports.ts';
import { single, startPrometheus, type PrometheusServer } from '../harness/prometheus.ts';

const PASSWORD = 'scaler-test-password';
// bcrypt (cost 4) of PASSWORD, as Prometheus's web config wants it (made with golang.org/x/crypto/bcrypt).
const BCRYPT = '$2a$04$km3JzJiPpA592lqx8rwxV./bD9sOfyAXgDekcX77Kb6WhfGFJ7wkq';
const TOKEN = 'tok-6f1e2d9c';
const RATE = 'sum(rate(http_requests_total[5s]))';

let dir: string;
let service: ProductionService;
let secured: PrometheusServer; // TLS + basic auth
let plain: PrometheusServer;
let bearer: { url: string; seen: string[]; close: () => Promise<void> };
let hang: TestServer;
const scales: ScaleServer[] = [];
let n = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-prometheus-access-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'].concat([
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]),
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  service = await startProductionService();
  service.traffic({ rps: 40, latencyMs: 30 });
  const tls = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  [secured, plain] = await Promise.all([
    startPrometheus({
      scrape: [service.address],
      tls,
      basicAuth: { user: 'scaler', bcrypt: BCRYPT, password: PASSWORD },
    }),
    startPrometheus({ scrape: [service.address] }),
  ]);
  bearer = await bearerProxy(plain.url);
  hang = await hanging();
  for (const p of [secured, plain]) await p.waitFor(RATE, (a) => (single(a) ?? 0) > 5);
});
after(async () => {
  await Promise.all([service?.close(), bearer?.close(), hang?.close(), ...scales.map((s) => s.close())]);
  await Promise.all([secured?.stop(), plain?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => void n++);

/** A proxy that lets through only `Authorization: Bearer TOKEN`, answering 401 otherwise. */
async function bearerProxy(upstream: string): Promise<typeof bearer> {
  const seen: string[] = [];
  const up = new URL(upstream);
  const server: Server = createServer((req, res) => {
    seen.push(req.headers.authorization ?? '');
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end('Unauthorized');
    const out = httpRequest(
      { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.socket?.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

async function scaleServer(replicas: number): Promise<ScaleServer> {
  const s = await startScaleServer(replicas);
  scales.push(s);
  return s;
}

/** A probe-less configuration (one production target), or with a probe and `min`. */
function config(scale: ScaleServer, prometheus: string, extra = '', targets?: string, timeout = '1s'): string {
  const path = join(dir, `scaler-${n}.yaml`);
  writeFileSync(
    path,
    `target: { kind: http, url: ${scale.url} }
targets:
${targets ?? `  - { name: rate-floor, query: '${RATE}', target: 1000 }`}
signals:
  prometheus: ${prometheus}
  rate: { query: '${RATE}' }
api: { timeout: ${timeout} }
state: { store: file, path: ${statePath()} }
${extra}`,
  );
  return path;
}
const statePath = (): string => join(dir, `state-${n}.json`);

interface Record {
  reason: string;
  applied: number;
  message: string;
  production?: {
    targets: { [k: string]: { value: number | null; unmeasured?: string } };
    rate?: { value: number | null };
  };
}

async function run(
  path: string,
  env: { [k: string]: string } = {},
): Promise<{ code: number | null; record?: Record; out: string }> {
  const r = await runBundle(['run', '-c', path, '-o', 'json', '--verbose'], { env, timeoutMs: 30_000 });
  const record = r.stdout.trim() ? (JSON.parse(r.stdout) as Record) : undefined;
  return { code: r.code, record, out: `${r.stdout}\n${r.stderr}` };
}

function noSecret(out: string): void {
  for (const secret of [PASSWORD, TOKEN, Buffer.from(`scaler:${PASSWORD}`).toString('base64')])
    assert.ok(!out.includes(secret), `a secret in the output:\n${out}`);
}

describe('reaching Prometheus: TLS, basic auth, a bearer token', () => {
  it('TLS with a custom CA and basic auth, the password from the environment: measured; the password in no output', async () => {
    const scale = await scaleServer(2);
    const prometheus = `{ url: '${secured.url}', tls: { ca: ${join(dir, 'cert.pem')} }, auth: { basic: { username: scaler, password: { env: PROM_PASSWORD } } } }`;
    const { code, record, out } = await run(config(scale, prometheus), { PROM_PASSWORD: PASSWORD });
    assert.equal(code, 0, out);
    assert.equal(record!.reason, 'WithinTargets', record!.message);
    assert.ok(record!.production!.rate!.value! > 5, out);
    noSecret(out);
  });

  it('the password from a file: measured; a wrong one: unmeasured, HTTP 401 and a hint (exit 1, hold)', async () => {
    const scale = await scaleServer(2);
    const file = join(dir, `password-${n}`);
    writeFileSync(file, `${PASSWORD}\n`);
    const auth = (f: string): string =>
      `{ url: '${secured.url}', tls: { ca: ${join(dir, 'cert.pem')} }, auth: { basic: { username: scaler, password: { file: ${f} } } } }`;
    const ok = await run(config(scale, auth(file)));
    assert.equal(ok.code, 0, ok.out);
    writeFileSync(file, 'not-the-password\n');
    const refused = await run(config(scale, auth(file)));
    assert.equal(refused.code, 1, refused.out);
    assert.equal(refused.record!.reason, 'ProbeFailed');
    assert.match(
      refused.record!.message,
      /it answered HTTP 401: Unauthorized \(check signals\.prometheus\.auth and headers\)/,
    );
    assert.deepEqual(scale.writes, []);
  });

  it("without the custom CA: the server's certificate is not trusted — unmeasured, and said", async () => {
    const scale = await scaleServer(2);
    const prometheus = `{ url: '${secured.url}', auth: { basic: { username: scaler, password: { env: PROM_PASSWORD } } } }`;
    const { code, record, out } = await run(config(scale, prometheus), { PROM_PASSWORD: PASSWORD });
    assert.equal(code, 1, out);
    assert.match(record!.message, /the server's TLS certificate is self-signed and not trusted/);
    noSecret(out);
  });

  it('a bearer token from a file is sent as Authorization: Bearer, and never printed', async () => {
    const scale = await scaleServer(2);
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`);
    const { code, record, out } = await run(
      config(scale, `{ url: '${bearer.url}', auth: { bearer: { file: ${file} } } }`),
    );
    assert.equal(code, 0, out);
    assert.ok(record!.production!.rate!.value! > 5);
    assert.ok(bearer.seen.length > 0 && bearer.seen.every((h) => h === `Bearer ${TOKEN}`), bearer.seen.join(', '));
    noSecret(out);
  });

  it('a token variable that is not set: exit 2 naming the field, nothing sent or written', async () => {
    const scale = await scaleServer(2);
    const before = bearer.seen.length;
    const { code, out } = await run(config(scale, `{ url: '${bearer.url}', auth: { bearer: { env: PROM_TOKEN } } }`));
    assert.equal(code, 2, out);
    assert.match(
      messages(out),
      /signals\.prometheus\.auth\.bearer\.env: the environment variable PROM_TOKEN is not set/,
    );
    assert.equal(bearer.seen.length, before, 'nothing sent to Prometheus');
    assert.deepEqual(scale.writes, []);
    assert.ok(!existsSync(statePath()), 'no state written');
  });
});

describe('validate checks each query on the server', () => {
  const validate = (path: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    runBundle(['validate', '-c', path, '-o', 'text'], { timeoutMs: 20_000 });

  it('a typo: exit 2 naming the field and the parse error', async () => {
    const scale = await scaleServer(2);
    const typo = `  - { name: p95-prod, query: 'histogram_quantile(0.95, sum by (le) (rate(x_bucket[1m]))', target: 250 }`;
    const r = await validate(config(scale, `{ url: '${plain.url}' }`, '', typo));
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /targets\[0\]\.query: histogram_quantile\(0\.95, sum by \(le\) \(rate\(x_bucket\[1m\]\)\): Prometheus at http:\/\/127\.0\.0\.1:\d+: it answered HTTP 400: bad_data: .*parse error: unclosed left parenthesis/,
    );
  });

  it('valid queries: their syntax and their values now', async () => {
    const scale = await scaleServer(2);
    const r = await validate(config(scale, `{ url: '${plain.url}' }`));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /query "rate-floor": syntax valid; now \d+(\.\d+)? \(sampled /);
    assert.match(r.stdout, /query "rate": syntax valid; now /);
  });

  it('a server that cannot be reached: valid, and said that nothing was checked', async () => {
    const scale = await scaleServer(2);
    const r = await validate(config(scale, `{ url: 'http://127.0.0.1:${await freePort()}' }`));
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /query "rate-floor": not checked: Prometheus at http:\/\/127\.0\.0\.1:\d+: connection refused/,
    );
  });
});

describe('the load signal at zero replicas', () => {
  it('is read and recorded, and no load is sent (the service has no replicas)', async () => {
    const scale = await scaleServer(0);
    const before = service.probes();
    const probe = `loadTest: { host: ${service.url}, users: 2, duration: 1s }\nreplicas: { min: 0, max: 4 }\n`;
    const targets = `  - { method: GET, endpoint: /work, type: mean, target: 500 }`;
    const { code, record, out } = await run(config(scale, `{ url: '${plain.url}' }`, probe, targets));
    assert.equal(code, 0, out);
    assert.ok(record!.production!.rate!.value! > 5, `the rate at 0 replicas: ${out}`);
    assert.equal(service.probes(), before, 'no load sent at 0 replicas');
  });

  it('a rate above zero at 0 replicas brings the target to one replica', async () => {
    const scale = await scaleServer(0);
    const probe = `loadTest: { host: ${service.url}, users: 2, duration: 1s }\nreplicas: { min: 0, max: 4 }\n`;
    const targets = `  - { method: GET, endpoint: /work, type: mean, target: 500 }`;
    const { record, out } = await run(config(scale, `{ url: '${plain.url}' }`, probe, targets));
    assert.equal(record!.applied, 1, out);
    assert.deepEqual(scale.writes, [1]);
  });
});

describe('a hanging Prometheus', () => {
  it('is bounded by the run: SIGTERM while every query hangs — exit 143 at once, nothing written', async () => {
    const scale = await scaleServer(2);
    const path = config(scale, `{ url: '${hang.url}' }`, '', undefined, '20s');
    const child = spawn(process.execPath, [BUNDLE, 'run', '-c', path, '-o', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise((r) => setTimeout(r, 1500));
    const sentAt = Date.now();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timer);
    assert.equal(code, 143, stderr);
    assert.ok(Date.now() - sentAt < 3000, `took ${Date.now() - sentAt} ms to stop`);
    assert.ok(!existsSync(statePath()), 'no state file');
    assert.deepEqual(scale.writes, []);
  });

  it('is bounded by api.timeout: unmeasured after about a second, a probe failure without a probe', async () => {
    const scale = await scaleServer(2);
    const started = Date.now();
    const { code, record, out } = await run(config(scale, `{ url: '${hang.url}' }`));
    assert.equal(code, 1, out);
    assert.match(record!.message, /no answer within 1 s/);
    assert.ok(Date.now() - started < 8000, `${Date.now() - started} ms`);
  });
});
