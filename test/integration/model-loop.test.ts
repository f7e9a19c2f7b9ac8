// The recommended policy (the model, examples/recommended-policy.yaml) through the bundle, run after run
// against loopback services, where round 1 of the model failed (issue: the model, round 2): production
// that grows ×1.3 a run (it froze, NotScalable, and took replicas away while production failed), a
// database that slows every answer from 5 to 40 ms at 20 replicas (it ran them to max), and a target
// below the service's own time (it chased it a step a run). Each run is `node dist/scale.js run`.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { policyYaml, readPolicy } from '../../examples/demo/policy.ts';
import { runScaler, type ScalerRun } from '../bench/real/scaler.ts';
import { startRealService } from '../bench/real/service.ts';
import { startScaleServer, startService } from '../helpers/scale-server.ts';

const RECOMMENDED = fileURLToPath(new URL('../../examples/recommended-policy.yaml', import.meta.url));
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A scaler.yaml: the webhook target, a file store, the probe, one mean target and the recommended policy. */
function config(o: { scaleUrl: string; host: string; targetMs: number; max: number; users: number }): string {
  const dir = mkdtempSync(join(tmpdir(), 'latency-scaler-model-loop-'));
  dirs.push(dir);
  const slo = { targets: [{ method: 'GET', endpoint: '/work', type: 'mean', target: o.targetMs }] };
  const file = join(dir, 'scaler.yaml');
  writeFileSync(
    file,
    [
      `target: { kind: http, url: "${o.scaleUrl}" }`,
      `replicas: { min: 1, max: ${o.max} }`,
      `loadTest: { host: "${o.host}", users: ${o.users}, duration: 1s, waitTime: 0s, timeout: 2s, ` +
        `requests: [{ method: GET, path: /work }] }`,
      `state: { store: file, path: ${JSON.stringify(join(dir, 'state.json'))} }`,
      // One run stands for a minute: the policy's durations (settle.timeout) are compressed alike.
      ...policyYaml(readPolicy('model', RECOMMENDED), 2, slo),
      '',
    ].join('\n'),
  );
  return file;
}

async function bundle(file: string): Promise<ScalerRun> {
  const run = await runScaler(file, 30_000, AbortSignal.timeout(60_000));
  assert.ok(run.record, `the run decided: exit ${run.code}, ${run.stderr}`);
  return run;
}

const said = (runs: ScalerRun[]): string => runs.map((r) => `${r.record?.reason}: ${r.record?.message}`).join('\n');

describe('the recommended policy through the bundle, against loopback services', { timeout: 240_000 }, () => {
  it('production growing ×1.3 a run: never frozen, never a replica removed while production fails', async () => {
    // Replicas of one slot, exponential 20 ms (50 requests/s each), 503 after 1 s queued; production
    // 100 → 750 requests/s, ×1.3 a run from run 3 (the launch, or retry storm).
    const service = await startRealService({
      replicas: 3,
      slots: 1,
      serviceMs: 20,
      queueTimeoutMs: 1000,
      readyAfter: 0,
      seed: 7,
    });
    try {
      const file = config({ scaleUrl: service.scaleUrl, host: service.url, targetMs: 60, max: 40, users: 2 });
      const runs: ScalerRun[] = [];
      let inBreach = 0;
      let removedWhileFailing = 0;
      for (let run = 0; run < 16; run++) {
        const lambda = Math.round(Math.min(750, 100 * 1.3 ** Math.max(0, run - 3)));
        service.startRun(run, lambda);
        const before = service.spec();
        runs.push(await bundle(file));
        const w = service.endRun();
        const failing = w.count > 0 && w.failures / w.count > 0.01;
        if (failing || w.meanMs > 60) inBreach++;
        if (failing && service.spec() < before) removedWhileFailing += before - service.spec();
      }
      const stops = runs.filter((r) => r.record?.reason === 'NotScalable' || r.record?.reason === 'TargetUnreachable');
      assert.equal(stops.length, 0, said(runs));
      assert.equal(removedWhileFailing, 0, said(runs));
      // 750 requests/s need at least 15 replicas; round 1 froze at 7 (then 5) while 47–62% failed.
      assert.ok(service.spec() >= 15, `${service.spec()} replicas at the end:\n${said(runs)}`);
      // The surge outgrows 3 replicas from run 5 and 750 requests/s are met from run ~13: 8 or 9 runs in
      // breach on this machine, by the timers (a saturated probe reads "at least ×1.5", and the backlog
      // it leaves drains over the next run). Round 1 froze here: 17 of 25.
      assert.ok(inBreach <= 9, `${inBreach} of 16 runs in breach:\n${said(runs)}`);
    } finally {
      await service.close();
    }
  });

  it('a database slows every answer from 5 to 40 ms at ~20 replicas: two test steps at most, then back', async () => {
    const service = await startService(5);
    const scale = await startScaleServer(20);
    try {
      const file = config({ scaleUrl: scale.url, host: service.url, targetMs: 20, max: 100, users: 4 });
      const runs: ScalerRun[] = [];
      for (let run = 0; run < 5; run++) runs.push(await bundle(file));
      // This service queues nothing (every answer its fixed delay): the model learns so, and may step down.
      const before = scale.replicas;
      assert.ok(before <= 21, `${before}:\n${said(runs)}`);
      service.delayMs = 40;
      const writesBefore = scale.writes.length; // the test steps are the writes after the stall began
      const stalled: ScalerRun[] = [];
      for (let run = 0; run < 7; run++) stalled.push(await bundle(file));
      const ups = stalled.filter((r) => r.record?.action === 'up').length;
      assert.ok(ups <= 2, `${ups} scale-ups (round 1: 20→30→45→68→100):\n${said(stalled)}`);
      assert.equal(scale.replicas, before, `back to the count before:\n${said(stalled)}`);
      const steps = Math.ceil(Math.ceil(before * 1.25) * 1.25);
      const during = scale.writes.slice(writesBefore);
      assert.ok(Math.max(...during) <= steps, `never beyond two test steps from ${before}: ${scale.writes.join(' ')}`);
      const reach = stalled.find((r) => r.record?.reason === 'TargetUnreachable');
      assert.match(reach?.record?.message ?? '', /the service itself got slower\) is above the target 20 ms/);
    } finally {
      await Promise.all([service.close(), scale.close()]);
    }
  });

  it('a target below the service time (every answer 120 ms, target 60): one test step, then back to 2', async () => {
    const service = await startService(120);
    const scale = await startScaleServer(2);
    try {
      const file = config({ scaleUrl: scale.url, host: service.url, targetMs: 60, max: 20, users: 2 });
      const runs: ScalerRun[] = [];
      for (let run = 0; run < 6; run++) runs.push(await bundle(file));
      const ups = runs.filter((r) => r.record?.action === 'up').length;
      assert.ok(ups <= 2, `${ups} scale-ups (round 1: a step a run to 8, back to 6):\n${said(runs)}`);
      assert.equal(scale.replicas, 2, said(runs));
      const reach = runs.find((r) => r.record?.reason === 'TargetUnreachable');
      assert.match(reach?.record?.message ?? '', /s₀ 1\d\d(\.\d+)? ms is above the target 60 ms: no count of replicas/);
    } finally {
      await Promise.all([service.close(), scale.close()]);
    }
  });
});
