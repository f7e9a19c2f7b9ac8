// The bundle run as AWS Lambda runs it: AWS's Runtime Interface Emulator (built from the Go module
// proxy, test/harness/lambda-rie/build.sh) serving the Runtime API, and the Node.js Runtime Interface
// Client (the aws-lambda-ric devDependency, its native client built at npm install) as the runtime
// loading `scale.handler` from dist/. The function's timeout is the emulator's (AWS_LAMBDA_FUNCTION_TIMEOUT):
// the client reads the invocation's deadline from the Runtime API, as in Lambda. 127.0.0.1 only.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtPath } from './built.ts';
import { freePort } from './ports.ts';

const BUILD = fileURLToPath(new URL('./lambda-rie/build.sh', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const RIC = fileURLToPath(new URL('../../node_modules/aws-lambda-ric/index.mjs', import.meta.url));

export interface LambdaRuntime {
  /** Invokes the function with `event`; resolves with the runtime's answer (the result, or the error). */
  invoke(event: unknown): Promise<{ status: number; body: unknown; ms: number }>;
  /** The function's and the emulator's output so far (START/END/REPORT lines, our JSON log lines). */
  output(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => live.forEach((p) => p.kill('SIGKILL')));

export async function startLambdaRuntime(o: { timeoutS: number; env: Record<string, string> }): Promise<LambdaRuntime> {
  const bin = builtPath(BUILD, 'LAMBDA_RIE_BUILD_CHECK_ONLY');
  const rie = join(bin, 'aws-lambda-rie');
  if (!bin || !existsSync(rie)) throw new Error('aws-lambda-rie is not built: run bash test/prepare.sh');
  if (!existsSync(join(DIST, 'scale.js'))) throw new Error('dist/scale.js is missing: npm run build');
  const [port, apiPort] = await Promise.all([freePort(), freePort()]);
  const child = spawn(
    rie,
    [
      '--runtime-interface-emulator-address',
      `127.0.0.1:${port}`,
      '--runtime-api-address',
      `127.0.0.1:${apiPort}`,
      process.execPath,
      RIC,
      'scale.handler',
    ],
    {
      cwd: DIST,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        ...o.env,
        AWS_LAMBDA_FUNCTION_TIMEOUT: String(o.timeoutS),
        AWS_LAMBDA_FUNCTION_NAME: 'latency-scaler',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
        LAMBDA_TASK_ROOT: DIST,
        _HANDLER: 'scale.handler',
      },
    },
  );
  live.add(child);
  child.on('exit', () => live.delete(child));
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}/2015-03-31/functions/function/invocations`;
  // The emulator listens at once; the runtime starts on the first invocation (its cold start).
  const deadline = Date.now() + 10_000;
  while (!/\(rapid\) exec/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`aws-lambda-rie did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    async invoke(event) {
      const started = Date.now();
      const r = await fetch(url, {
        method: 'POST',
        body: JSON.stringify(event),
        signal: AbortSignal.timeout((o.timeoutS + 30) * 1000),
      });
      const text = await r.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // "Task timed out after …": the emulator's own words, not JSON
      }
      return { status: r.status, body, ms: Date.now() - started };
    },
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
