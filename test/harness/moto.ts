// moto in server mode (from PyPI, test/harness/aws/install.sh): AWS's APIs on 127.0.0.1, in memory,
// on a free port; one per test file, stopped after it. Every service answers on the one endpoint.
// MOTO_ECS_SERVICE_RUNNING: moto creates an ECS service with this many tasks running (default 0, a
// service forever starting) and its deployment COMPLETED only if that covers the desired count.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';

const INSTALL = fileURLToPath(new URL('./aws/install.sh', import.meta.url));

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

/** Any credentials work with moto; the SDK still wants some (and a region). */
export const MOTO_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'eu-west-1',
};

/** The venv's bin directory (moto_server, cfn-lint), installed once and cached. */
export function awsToolsBin(): string {
  const out = execFileSync('bash', [INSTALL], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  return out.trim().split('\n').at(-1)!;
}

const live = new Set<ChildProcess>();
process.on('exit', () => live.forEach((p) => p.kill('SIGKILL')));

export async function startMoto(env: Record<string, string> = {}): Promise<Moto> {
  const bin = join(awsToolsBin(), 'moto_server');
  const port = await freePort();
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, PYTHONUNBUFFERED: '1' },
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`${endpoint}/moto-api/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`moto did not start on ${endpoint}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
