// A real Locust master and workers (from PyPI, test/harness/locust/install.sh) on 127.0.0.1.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';
import { request } from 'undici';

const INSTALL = fileURLToPath(new URL('./locust/install.sh', import.meta.url));

export interface LocustCluster {
  url: string; // the master's web UI / API
  workers: ChildProcess[];
  killWorker(index: number): void;
  stop(): Promise<void>;
}

export function locustBin(): string {
  const dir = execFileSync('bash', [INSTALL], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  })
    .trim()
    .split('\n')
    .at(-1)!;
  return join(dir, 'locust');
}

const live = new Set<ChildProcess>();
process.on('exit', () => live.forEach((p) => p.kill('SIGKILL')));

function start(bin: string, args: string[]): ChildProcess {
  const child = spawn(bin, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let tail = '';
  child.stderr!.on('data', (c: Buffer) => (tail = (tail + c.toString()).slice(-4000)));
  Object.assign(child, { tail: () => tail });
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

export async function startLocust(options: { locustfile: string; workers: number }): Promise<LocustCluster> {
  const bin = locustBin();
  const [web, bind] = await Promise.all([freePort(), freePort()]);
  const master = start(bin, [
    '-f',
    options.locustfile,
    '--master',
    '--web-host',
    '127.0.0.1',
    '--web-port',
    String(web),
    '--master-bind-host',
    '127.0.0.1',
    '--master-bind-port',
    String(bind),
    '--loglevel',
    'WARNING',
  ]);
  const workers = Array.from({ length: options.workers }, () =>
    start(bin, [
      '-f',
      options.locustfile,
      '--worker',
      '--master-host',
      '127.0.0.1',
      '--master-port',
      String(bind),
      '--loglevel',
      'WARNING',
    ]),
  );
  const url = `http://127.0.0.1:${web}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await request(`${url}/stats/requests`).then(
      async (r) => {
        const body = (await r.body.json()) as { workers?: { state: string }[] };
        return (body.workers ?? []).filter((w) => w.state === 'ready').length;
      },
      () => -1,
    );
    if (ready >= options.workers) break;
    if (Date.now() > deadline || master.exitCode !== null) {
      const log = (master as ChildProcess & { tail: () => string }).tail();
      await stopAll([master, ...workers]);
      throw new Error(`Locust master did not report ${options.workers} ready workers within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    workers,
    killWorker: (i) => workers[i]!.kill('SIGKILL'),
    stop: () => stopAll([...workers, master]),
  };
}

async function stopAll(procs: ChildProcess[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
          setTimeout(() => p.kill('SIGKILL'), 5000).unref();
        }),
    ),
  );
}
