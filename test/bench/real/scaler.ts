// The real scaler in the real closed-loop benchmark: a scaler.yaml generated around a policy fragment,
// and one `node dist/scale.js run -c scaler.yaml -o json` per run (the bundle as shipped).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { policyYaml, type PolicyFragment } from '../../../examples/demo/policy.ts';
import { shippedEnv } from '../lib/startup.ts';

export const BUNDLE = fileURLToPath(new URL('../../../dist/scale.js', import.meta.url));
const SHIPPED_NODE_OPTIONS = '--max-semi-space-size=16'; // as the Dockerfile, CronJob and SAM template start it

export interface ScalerSetup {
  scaleUrl: string;
  serviceUrl: string;
  statePath: string;
  maxReplicas: number;
  users: number;
  duration: string;
  waitTime: string;
  timeout: string;
  targetMs: number;
  /** Seconds of wall time one run stands for 60 s of (policy durations are scaled by runSeconds/60). */
  runSeconds: number;
}

/**
 * scaler.yaml: the benchmark's target, bounds, probe and state, the SLO as the default `targets` (one
 * mean target, as LPA's file has), then the fragment's keys (its `targets` replace the default),
 * written as JSON flow values with the time-based durations compressed.
 */
export function scalerYaml(setup: ScalerSetup, policy: PolicyFragment): string {
  const slo = { targets: [{ method: 'GET', endpoint: '/work', type: 'mean', target: setup.targetMs }] };
  return [
    `target: { kind: http, url: "${setup.scaleUrl}" }`,
    `replicas: { min: 1, max: ${setup.maxReplicas} }`,
    'loadTest:',
    `  host: "${setup.serviceUrl}"`,
    `  users: ${setup.users}`,
    `  duration: ${setup.duration}`,
    `  waitTime: ${setup.waitTime}`,
    `  timeout: ${setup.timeout}`,
    '  requests: [{ method: GET, path: /work }]',
    `state: { store: file, path: ${JSON.stringify(setup.statePath)} }`,
    ...policyYaml(policy, setup.runSeconds, slo),
    '',
  ].join('\n');
}

/** What the benchmark reads of the decision record. */
export interface ScalerRecord {
  action?: string;
  reason?: string;
  message?: string;
  current?: number;
  applied?: number;
  observations?: { aggregated?: { count: number; failures: number; mean: number } };
}

export interface ScalerRun {
  code: number | null;
  record?: ScalerRecord;
  stderr: string;
  ms: number;
}

/** One run of the bundle; killed (SIGKILL) after `limitMs` or when `signal` aborts. */
export function runScaler(config: string, limitMs: number, signal: AbortSignal): Promise<ScalerRun> {
  const env: Record<string, string | undefined> = { ...process.env, ...shippedEnv, NODE_OPTIONS: SHIPPED_NODE_OPTIONS };
  // Settings from the environment would override the generated file (SCALER_*, LPA's variables).
  for (const k of Object.keys(env))
    if (/^(SCALER_|locust|evaluationConfigFilePath$|KUBECONFIG$)/.test(k)) delete env[k];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE, 'run', '-c', config, '-o', 'json', '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
      signal,
      killSignal: 'SIGKILL',
      timeout: limitMs,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += String(c)));
    child.stderr.on('data', (c: Buffer) => (err += String(c)));
    child.on('error', () => undefined); // an abort or a timeout: 'close' follows with the signal
    child.on('close', (code) => {
      const run: ScalerRun = { code, stderr: err.trim(), ms: performance.now() - started };
      try {
        run.record = JSON.parse(out) as ScalerRecord;
      } catch {
        // no record: the run failed before deciding (stderr says why)
      }
      resolve(run);
    });
  });
}
