// A real Prometheus for integration tests, on 127.0.0.1 and a free port, its TSDB in a temporary
// directory, scraping the given loopback targets every second. Optionally served over TLS and behind
// basic auth (its own web config, as an operator would set it). The binary comes from
// test/harness/prometheus/build.sh (built once, cached outside the repo); a test never starts that build.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { builtPath } from './built.ts';
import { freePort } from './ports.ts';

export interface PrometheusServer {
  url: string;
  /** An instant query's answer, as the API gives it. */
  query(query: string): Promise<PromAnswer>;
  /** Waits until the query's answer satisfies `ok` (the scrapes have the data a test needs). */
  waitFor(query: string, ok: (answer: PromAnswer) => boolean, timeoutMs?: number): Promise<PromAnswer>;
  stop(): Promise<void>;
}

export interface PromAnswer {
  status: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  error?: string;
}

export interface PrometheusOptions {
  /** host:port of each target of the one job, `service`. */
  scrape: string[];
  /** Serve the API over TLS with this certificate and key (PEM files). */
  tls?: { cert: string; key: string };
  /** Require basic auth: the user and the bcrypt hash of the password (Prometheus's web config). */
  basicAuth?: { user: string; bcrypt: string; password: string };
}

const BUILD = fileURLToPath(new URL('./prometheus/build.sh', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

/** Where build.sh keeps the binary; throws if it is not built (a test must not start the build). */
export function prometheusBinary(): string {
  const bin = builtPath(BUILD, 'PROMETHEUS_BUILD_CHECK_ONLY');
  const binary = join(bin, 'prometheus');
  if (!bin || !existsSync(binary)) {
    throw new Error(
      `Prometheus is not built: run 'bash test/harness/prometheus/build.sh' (npm test does it) — ` +
        `looked for ${bin ? binary : '(build.sh printed nothing)'}`,
    );
  }
  return binary;
}

// A crashed test's Prometheus is killed (and its directory removed) when Node exits.
const live = new Map<ChildProcess, string>();
process.on('exit', () => {
  for (const [child, dir] of live) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = prometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'scaler-prometheus-'));
  const targets = options.scrape.map((t) => `'${t}'`).join(', ');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: service
    static_configs: [{ targets: [${targets}] }]
`,
  );
  const web: string[] = [];
  if (options.tls) web.push(`tls_server_config: { cert_file: ${options.tls.cert}, key_file: ${options.tls.key} }`);
  if (options.basicAuth) web.push(`basic_auth_users: { ${options.basicAuth.user}: '${options.basicAuth.bcrypt}' }`);
  if (web.length) writeFileSync(join(dir, 'web.yml'), `${web.join('\n')}\n`);
  const address = `127.0.0.1:${await freePort()}`;
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=${address}`,
    '--log.level=warn',
    ...(web.length ? [`--web.config.file=${join(dir, 'web.yml')}`] : []),
  ];
  const fd = openSync(join(dir, 'prometheus.log'), 'a'); // nothing to drain; the tail is there on failure
  const child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  live.set(child, dir);
  const url = `${options.tls ? 'https' : 'http'}://${address}`;
  const dispatcher = options.tls ? new Agent({ connect: { ca: readFileSync(options.tls.cert, 'utf8') } }) : undefined;
  const auth = options.basicAuth;
  const headers: Record<string, string> = auth
    ? { authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` }
    : {};
  const get = async (path: string): Promise<{ status: number; text: string }> => {
    const res = await request(`${url}${path}`, { headers, ...(dispatcher ? { dispatcher } : {}) });
    return { status: res.statusCode, text: await res.body.text() };
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
    await dispatcher?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ready(get, child, url);
  } catch (err) {
    const log = readFileSync(join(dir, 'prometheus.log'), 'utf8').slice(-2000);
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }
  const query = async (q: string): Promise<PromAnswer> =>
    JSON.parse((await get(`/api/v1/query?query=${encodeURIComponent(q)}`)).text) as PromAnswer;
  const waitFor = async (q: string, ok: (a: PromAnswer) => boolean, timeoutMs = 20_000): Promise<PromAnswer> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await query(q);
      if (ok(answer)) return answer;
      if (Date.now() > deadline)
        throw new Error(`${q}: not as expected within ${timeoutMs} ms: ${JSON.stringify(answer)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return { url, query, waitFor, stop };
}

async function ready(
  get: (path: string) => Promise<{ status: number }>,
  child: ChildProcess,
  url: string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const up = await get('/-/ready').then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) return;
    if (child.exitCode !== null) throw new Error(`Prometheus exited (${child.exitCode}) before it was ready`);
    if (Date.now() > deadline) throw new Error(`Prometheus at ${url} was not ready within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One value of an instant vector's single series, or undefined. */
export function single(answer: PromAnswer): number | undefined {
  const r = answer.data?.result;
  return r?.length === 1 ? Number(r[0]!.value[1]) : undefined;
}
