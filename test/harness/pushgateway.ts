// A real Prometheus Pushgateway for integration tests, on 127.0.0.1 and a free port, in memory (no
// persistence file). The binary comes from test/harness/pushgateway/build.sh (built once, cached
// outside the repo); a test never starts that build.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtPath } from './built.ts';
import { freePort } from './ports.ts';

export interface Pushgateway {
  url: string;
  /** GET /metrics: what Prometheus would scrape, in the text format. */
  scrape(): Promise<string>;
  stop(): Promise<void>;
}

const BUILD = fileURLToPath(new URL('./pushgateway/build.sh', import.meta.url));
const READY_TIMEOUT_MS = 20_000;

/** Where build.sh keeps the binary; throws if it is not built (a test must not start the build). */
export function pushgatewayBinary(): string {
  const bin = builtPath(BUILD, 'PUSHGATEWAY_BUILD_CHECK_ONLY');
  const binary = join(bin, 'pushgateway');
  if (!bin || !existsSync(binary)) {
    throw new Error(
      `the Pushgateway is not built: run 'bash test/harness/pushgateway/build.sh' (npm test does it) — ` +
        `looked for ${bin ? binary : '(build.sh printed nothing)'}`,
    );
  }
  return binary;
}

// A crashed test's Pushgateway is killed (and its directory removed) when Node exits.
const live = new Map<ChildProcess, string>();
process.on('exit', () => {
  for (const [child, dir] of live) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

export async function startPushgateway(): Promise<Pushgateway> {
  const binary = pushgatewayBinary();
  const dir = mkdtempSync(join(tmpdir(), 'scaler-pushgateway-'));
  const address = `127.0.0.1:${await freePort()}`;
  const fd = openSync(join(dir, 'pushgateway.log'), 'a'); // nothing to drain; the tail is there on failure
  const child = spawn(binary, [`--web.listen-address=${address}`], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  live.set(child, dir);
  const url = `http://${address}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ready(url, child);
  } catch (err) {
    const log = readFileSync(join(dir, 'pushgateway.log'), 'utf8').slice(-2000);
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }
  const scrape = async (): Promise<string> => {
    const res = await fetch(`${url}/metrics`);
    if (!res.ok) throw new Error(`GET ${url}/metrics answered ${res.status}`);
    return res.text();
  };
  return { url, scrape, stop };
}

async function ready(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const up = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    if (child.exitCode !== null) throw new Error(`the Pushgateway exited (${child.exitCode}) before it was ready`);
    if (Date.now() > deadline) throw new Error(`the Pushgateway at ${url} was not ready within 20 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
