// The operator's commands beside `run`, through the bundle: `status` (as `kubectl get hpa`) on the
// file store, `loadtest` with no configuration file, and README's own example on a machine that has
// no Kubernetes cluster configured.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messages, runBundle } from '../helpers/cli.ts';
import { startScaleServer, startService, type CountingService, type ScaleServer } from '../helpers/scale-server.ts';

let dir: string;
let service: CountingService;
let scale: ScaleServer;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-commands-'));
  service = await startService(1);
  scale = await startScaleServer(2);
});
after(async () => {
  await service.close();
  await scale.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('status', () => {
  it('one line per target from the target and the state file; sends no load; JSON on request', async () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    const body = (state: string, limit: number) => `target: { kind: http, url: ${scale.url} }
replicas: { min: 1, max: 6 }
loadTest: { host: ${service.url}, users: 2, duration: 500ms, requests: [{ method: GET, path: /fib }] }
targets: [{ method: GET, endpoint: /fib, type: mean, target: ${limit} }]
decay: { replicas: 1, unchangedRuns: 3 }
state: { store: file, path: ${join(dir, state)} }
`;
    writeFileSync(a, body('a.json', 1000));
    writeFileSync(b, body('b.json', 1000));
    assert.equal((await runBundle(['run', '-c', a, '-o', 'json'])).code, 0);
    const before = service.requests;
    const text = await runBundle(['status', '-c', a, '-c', b, '-o', 'text']);
    assert.equal(text.code, 0, text.stderr);
    const [head, first, second] = text.stdout.trimEnd().split('\n');
    assert.match(head!, /^TARGET\s+REPLICAS\s+TARGETS\s+DECAY IN\s+LAST DECISION\s+AGE\s+LAST SUCCESS\s+PAUSED$/);
    assert.match(
      first!,
      /^http http:\/\/127\.0\.0\.1:\d+\/replicas\s+2\/1\/6\s+mean \d+(\.\d+)? ms\/1000 ms\s+3 runs\s+hold at 2: .*\s+\d+s\s+no$/,
    );
    assert.match(second!, /\s+2\/1\/6\s+-\s+-\s+-\s+-\s+-\s+no$/, 'no state yet for b');
    assert.equal(service.requests, before, 'status sends no load');
    const json = await runBundle(['status', '-c', a, '-o', 'json']);
    const [row] = JSON.parse(json.stdout) as { replicas: number; decayIn: number; targets: string[]; state: string }[];
    assert.deepEqual({ replicas: row!.replicas, decayIn: row!.decayIn }, { replicas: 2, decayIn: 3 });
    assert.match(row!.state, /^file /);
  });
});

describe('loadtest needs no configuration file', () => {
  it('--host and --path (METHOD /path allowed), --users, --duration: the table, or JSON', async () => {
    const before = service.requests;
    const r = await runBundle(
      [
        'loadtest',
        '--host',
        service.url,
        '--path',
        '/a',
        '--path',
        'POST /b',
        '--users',
        '2',
        '--duration',
        '1s',
        '-o',
        'json',
      ],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout) as { requests: Record<string, { count: number }> };
    assert.deepEqual(Object.keys(o.requests).sort(), ['GET /a', 'POST /b']);
    assert.ok(service.requests > before);
    const plain = await runBundle(['loadtest', '--host', service.url, '--duration', '500ms', '-o', 'text'], {
      cwd: dir,
    });
    assert.match(plain.stdout, /^GET \/\s+\d+/m, 'GET / by default');
  });

  it('without --host: exit 2 saying what is required, nothing sent', async () => {
    const before = service.requests;
    const r = await runBundle(['loadtest', '--duration', '1s'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(messages(r.stderr), /loadTest\.host: is required/);
    assert.equal(service.requests, before);
  });
});

describe('no cluster, no clue', () => {
  it("README's `run --config examples/fibonacci/scaler.yaml --dry-run` with no kubeconfig: exit 2, where it looked, the two ways on", async () => {
    const empty = mkdtempSync(join(dir, 'home-'));
    const r = await runBundle(['run', '--config', 'examples/fibonacci/scaler.yaml', '--dry-run'], {
      env: { HOME: empty, KUBECONFIG: '' },
    });
    assert.equal(r.code, 2, r.stderr);
    const text = messages(r.stderr);
    assert.match(
      text,
      /no Kubernetes cluster is configured: looked at KUBECONFIG \(unset\), .*home-\w+\/\.kube\/config \(no such file\)/,
    );
    assert.match(
      text,
      /Set KUBECONFIG to a kubeconfig file, or try it without a cluster: target: \{ kind: http, url: … \} \(a webhook\), or npm run demo/,
    );
    assert.match(text, /Nothing was sent or written\./);
  });
});
