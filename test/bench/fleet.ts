// The fleet bench (issue: one CronJob scales many services): 100 autoscalers against 100 loopback
// services (each with its own webhook), in ONE process at the default --parallel, each load test 5 s
// with 2 users — beside the same 100 as separate `node dist/scale.js run` processes. Goals: all 100
// decisions within one 60 s period, peak RSS < 256 MiB (the CronJob's limit), and each decision the
// same as that target's alone. Services answer after 20 ms; even members' target is 10 ms (a breach:
// scale up), odd members' 50 ms (hold). npm run bench:fleet (after a build).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, shippedEnv } from './lib/startup.ts';

const COUNT = Number(process.env['FLEET_COUNT'] ?? 100);
const ALONE_AT_ONCE = 10; // separate processes run together (each one's own load test must stay honest)
const SHIPPED_NODE_OPTIONS = '--max-old-space-size=192 --max-semi-space-size=16'; // as jobs/base/cronjob.yaml

interface Measured {
  wallS: number;
  cpuS: number;
  rssMB: number;
  stdout: string;
}

/** One process under GNU time: wall and CPU seconds, peak RSS. */
function timed(args: string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, bundle, ...args], {
      env: { ...process.env, ...shippedEnv, NODE_OPTIONS: SHIPPED_NODE_OPTIONS },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', () => {
      const [wall, user, sys, rss] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
      resolve({ wallS: wall!, cpuS: user! + sys!, rssMB: rss! / 1024, stdout });
    });
  });
}

const services = spawn(
  process.execPath,
  [fileURLToPath(new URL('./fleet/services.ts', import.meta.url)), String(COUNT)],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
const endpoints = await new Promise<{ service: string; scale: string }[]>((resolve) => {
  let out = '';
  services.stdout!.on('data', (c) => {
    out += c;
    if (out.includes('\n')) resolve((JSON.parse(out) as { services: { service: string; scale: string }[] }).services);
  });
});
const dir = mkdtempSync(join(tmpdir(), 'scaler-fleet-bench-'));
try {
  const member = (i: number, state: string): string => `target: { kind: http, url: ${endpoints[i]!.scale} }
replicas: { min: 1, max: 10 }
loadTest: { host: ${endpoints[i]!.service}, users: 2, duration: 5s, requests: [{ method: GET, path: /work }] }
targets: [{ method: GET, endpoint: /work, type: mean, target: ${i % 2 ? 50 : 10} }]
state: { store: file, path: ${join(dir, state, `${i}.json`)} }
`;
  const fleetDir = join(dir, 'fleet');
  mkdirSync(fleetDir);
  for (let i = 0; i < COUNT; i++)
    writeFileSync(join(fleetDir, `member-${String(i).padStart(3, '0')}.yaml`), member(i, 'fleet-state'));
  const fleet = await timed(['run', '-c', fleetDir, '-o', 'json']);
  const fleetActions = new Map<number, string>();
  for (const line of fleet.stdout.trim().split('\n')) {
    const l = JSON.parse(line) as { source?: string; action?: string; summary?: string };
    if (l.source) fleetActions.set(Number(/member-(\d+)/.exec(l.source)![1]), l.action ?? `error`);
  }
  const summary = (JSON.parse(fleet.stdout.trim().split('\n').at(-1)!) as { summary: string }).summary;

  // The same members alone: the webhooks back at 2 replicas, fresh state.
  await Promise.all(endpoints.map((e) => fetch(e.scale.replace('/replicas', '/reset')).then((r) => r.text())));
  const aloneDir = join(dir, 'alone');
  mkdirSync(aloneDir);
  const alone: Measured[] = [];
  const aloneActions = new Map<number, string>();
  const started = performance.now();
  for (let from = 0; from < COUNT; from += ALONE_AT_ONCE) {
    const batch = Array.from({ length: Math.min(ALONE_AT_ONCE, COUNT - from) }, (_, k) => from + k);
    const runs = await Promise.all(
      batch.map((i) => {
        const path = join(aloneDir, `${i}.yaml`);
        writeFileSync(path, member(i, 'alone-state'));
        return timed(['run', '-c', path, '-o', 'json']);
      }),
    );
    runs.forEach((r, k) => {
      alone.push(r);
      aloneActions.set(batch[k]!, (JSON.parse(r.stdout) as { action: string }).action);
    });
  }
  const aloneWall = (performance.now() - started) / 1000;
  const same = [...Array(COUNT).keys()].filter((i) => fleetActions.get(i) === aloneActions.get(i)).length;
  const cpu = alone.reduce((s, r) => s + r.cpuS, 0);
  const rows = [
    ['', 'wall clock', 'CPU-seconds', 'peak RSS', 'decisions', 'goal'],
    [
      `one process, ${COUNT} autoscalers (default --parallel)`,
      `${fleet.wallS.toFixed(1)} s`,
      fleet.cpuS.toFixed(1),
      `${fleet.rssMB.toFixed(0)} MB`,
      `${fleetActions.size} (${summary.split(':')[0]})`,
      '≤ 60 s, < 256 MB',
    ],
    [
      `${COUNT} separate processes (${ALONE_AT_ONCE} at a time)`,
      `${aloneWall.toFixed(1)} s`,
      cpu.toFixed(1),
      `${Math.max(...alone.map((r) => r.rssMB)).toFixed(0)} MB each`,
      String(aloneActions.size),
      '',
    ],
  ];
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  console.log(`fleet: ${COUNT} loopback services answering in 20 ms, each a 5 s load test with 2 users`);
  for (const r of rows)
    console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  '));
  console.log(`the same action alone and in the fleet: ${same} of ${COUNT}`);
} finally {
  services.stdin!.end();
  rmSync(dir, { recursive: true, force: true });
}
