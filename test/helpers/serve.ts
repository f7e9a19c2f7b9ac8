// `dist/scale.js serve` as a person starts it: a child process, its address read from the line it
// prints; stopped with Ctrl-C (SIGINT), as a person stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { BUNDLE } from './cli.ts';

export interface Served {
  url: string; // as printed: with ?token=… when a token was made
  base: string; // the address without the token
  line: string;
  child: ChildProcess;
  stderr(): string;
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
}

export async function startServe(args: string[], env: Record<string, string | undefined>): Promise<Served> {
  const child = spawn(process.execPath, [BUNDLE, 'serve', '--port', '0', ...args], {
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no address in 20 s: ${stdout}${stderr}`)), 20_000);
    child.stdout!.on('data', (c) => {
      stdout += c;
      if (stdout.includes('\n')) {
        clearTimeout(timer);
        resolve(stdout.split('\n')[0]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stdout}${stderr}`)));
  });
  const url = /(http:\/\/\S+)/.exec(line)![1]!;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    url,
    base: url.replace(/\?token=.*$/, ''),
    line,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
