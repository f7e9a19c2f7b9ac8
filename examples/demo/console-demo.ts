// The local demo with the console beside it (`npm run demo:console`): the same pool, load and scaler
// runs as `npm run demo` (the recommended policy), and `dist/scale.js serve` over the same scaler.yaml,
// so a newcomer watches the replicas move on the page — and can set them, or pause the target, while
// the runs go on (a run and the page claim the same state: whichever claims first wins, and the other
// says so). Open the address it prints. Ends by itself (or Ctrl-C); leaves no process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runDemo, type DemoResult } from './demo.ts';
import { readPolicy } from './policy.ts';

const BUNDLE = fileURLToPath(new URL('../../dist/scale.js', import.meta.url));
const RECOMMENDED = fileURLToPath(new URL('../recommended-policy.yaml', import.meta.url));

export interface ConsoleDemoOptions {
  phases: { idle: number; load: number; cooldown: number };
  port: number;
  out: (line: string) => void;
  signal?: AbortSignal;
  /** Called with the console's address once it listens. */
  onConsole?: (url: string) => void;
}

/** `serve` over the demo's scaler.yaml, on 127.0.0.1; resolves once it printed its address. */
function startConsole(config: string, env: Record<string, string>, o: ConsoleDemoOptions) {
  const child = spawn(process.execPath, [BUNDLE, 'serve', '-c', config, '--port', String(o.port), '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise<{ stop(): Promise<void> }>((resolve, reject) => {
    let printed = '';
    child.once('exit', (code) => reject(new Error(`the console exited (${code}) before it listened: ${printed}`)));
    child.stdout.on('data', (chunk) => {
      printed += chunk;
      const url = /(http:\/\/\S+)/.exec(printed)?.[1];
      if (!url) return;
      o.onConsole?.(url);
      o.out(`console: ${url} — open it in a browser; the rows and the target's page follow the runs\n`);
      resolve({
        async stop() {
          if (child.exitCode === null) child.kill('SIGINT');
          await exited;
        },
      });
    });
  });
}

export function runConsoleDemo(o: ConsoleDemoOptions): Promise<DemoResult> {
  return runDemo({
    phases: o.phases,
    loadRps: 300,
    targetMs: 20,
    out: o.out,
    ...(o.signal ? { signal: o.signal } : {}),
    policy: readPolicy('recommended', RECOMMENDED),
    beside: (config, env) => startConsole(config, env, o),
  });
}

if (import.meta.main) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  await runConsoleDemo({
    phases: { idle: 6, load: 60, cooldown: 60 },
    port: Number(process.env['CONSOLE_PORT'] ?? 8080),
    out: (l) => console.log(l),
    signal: controller.signal,
  });
}
