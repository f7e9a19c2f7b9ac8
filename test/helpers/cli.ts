// Runs the built bundle, as an operator or a CronJob would.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BUNDLE = fileURLToPath(new URL('../../dist/scale.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runBundle(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; script?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env['PATH'], HOME: process.env['HOME'], ...options.env };
    const child = spawn(process.execPath, [options.script ?? BUNDLE, ...args], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The messages of stderr: JSON log lines decoded to their `msg`, other lines as they are. */
export function messages(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => {
      try {
        return (JSON.parse(line) as { msg?: string }).msg ?? line;
      } catch {
        return line;
      }
    })
    .join('\n');
}
