// Every bad input: a one-paragraph message naming field and value, exit code 2, no request
// sent to the service or the scale target, no state written.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messages, runBundle } from '../helpers/cli.ts';
import { startScaleServer, startService, type CountingService, type ScaleServer } from '../helpers/scale-server.ts';

let dir: string;
let service: CountingService;
let scale: ScaleServer;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-bad-'));
  service = await startService();
  scale = await startScaleServer(2);
});
after(async () => {
  await service.close();
  await scale.close();
  rmSync(dir, { recursive: true, force: true });
});

const good = () => `target: { kind: http, url: ${scale.url} }
loadTest:
  host: ${service.url}
  users: 2
  duration: 1s
  requests: [{ method: GET, path: /a }]
targets: [{ method: GET, endpoint: /a, type: mean, target: 5 }]
state: { store: file, path: ${join(dir, 'state.json')} }
`;

interface Case {
  name: string;
  yaml?: (g: string) => string;
  args?: string[];
  env?: Record<string, string>;
  expect: RegExp;
}

const cases: Case[] = [
  {
    name: 'malformed YAML',
    yaml: () => 'targets: [\n  - {method: GET\n',
    expect: /malformed YAML at line \d+, column \d+/,
  },
  {
    name: 'unknown key',
    yaml: (g) => `${g}scaleup: { step: 2 }\n`,
    expect: /scaleup: unknown key \(did you mean "scaleUp"\?\)/,
  },
  {
    name: 'wrong type',
    yaml: (g) => g.replace('users: 2', 'users: [2]'),
    expect: /loadTest\.users: a list is not an integer/,
  },
  {
    name: 'negative users',
    yaml: (g) => g.replace('users: 2', 'users: -3'),
    expect: /loadTest\.users: -3 is below the minimum 1/,
  },
  {
    name: 'min > max',
    yaml: (g) => `${g}replicas: { min: 4, max: 2 }\n`,
    expect: /replicas: min 4 is greater than max 2/,
  },
  {
    name: 'min 0 with no way to see demand at zero',
    yaml: (g) => `${g}replicas: { min: 0, max: 2 }\n`,
    expect: /replicas\.min: 0 needs a way to see demand at zero replicas.*set signals\.rate\.query/s,
  },
  {
    name: 'unknown target type',
    yaml: (g) => g.replace('type: mean', 'type: avg'),
    expect: /targets\[0\]\.type: "avg" is not one of mean, median, min, max, pNN/,
  },
  {
    name: 'a target that matches no request',
    yaml: (g) => g.replace('endpoint: /a', 'endpoint: /b'),
    expect: /targets\[0\]: GET \/b matches no request of the load test/,
  },
  { name: 'missing host', yaml: (g) => g.replace(/^ {2}host: .*\n/m, ''), expect: /loadTest\.host: is required/ },
  {
    name: 'unreadable file',
    args: ['run', '-c', '/nonexistent/scaler.yaml'],
    expect: /--config: cannot read "\/nonexistent\/scaler\.yaml": no such file/,
  },
  { name: 'bad flag', args: ['run', '--users-count', '3'], expect: /Unknown argument: users-count/ },
  {
    name: 'bad flag value',
    args: ['--users', 'many'],
    expect: /loadTest\.users \(from --users\): "many" is not an integer/,
  },
  {
    name: 'bad environment value',
    env: { SCALER_DURATION: 'soon' },
    expect: /loadTest\.duration \(from environment SCALER_DURATION\): "soon" is not a duration/,
  },
  {
    name: 'bad LPA environment value',
    env: { locustHatchRate: '-1' },
    expect: /loadTest\.spawnRate \(from environment locustHatchRate\): "?-1"? must be greater than 0/,
  },
  { name: 'bad --set', args: ['--set', 'loadTest.users'], expect: /--set: "loadTest\.users" is not path=value/ },
  {
    name: 'a grace after a signal of zero',
    args: ['--set', 'api.graceAfterSignal=0'],
    expect: /api\.graceAfterSignal \(from --set api\.graceAfterSignal\): 0 must be longer than 0 ms/,
  },
  {
    name: 'set-replicas with a non-number',
    args: ['set-replicas', 'three'],
    expect: /replicas \(argument\): NaN is not an integer|Invalid values|three/,
  },
  // The command's own arguments are not the configuration: said as what they are.
  {
    name: 'set-replicas outside min..max: an invalid argument, not configuration',
    args: ['set-replicas', '99'],
    expect: /^invalid argument: replicas \(argument\): 99 is outside replicas\.min\.\.max/,
  },
  {
    name: '--parallel 0: an invalid argument',
    args: ['--parallel', '0'],
    expect: /^invalid argument: --parallel: 0 is not a whole number ≥ 1/,
  },
  {
    name: 'init --out onto an existing file: an invalid argument',
    args: ['init', 'deployment/web', '--out', '<dir>/scaler.yaml'],
    expect: /^invalid argument: --out: .*scaler\.yaml exists; pass --force to replace it/,
  },
  { name: 'an unknown command: an invalid command line', args: ['frobnicate'], expect: /^invalid command line: / },
];

describe('bad input changes nothing and exits 2', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const path = join(dir, 'scaler.yaml');
      writeFileSync(path, c.yaml ? c.yaml(good()) : good());
      const runFlag = c.args && ['--users', '--set', '--parallel'].includes(c.args[0]!);
      const given = c.args?.map((a) => a.replace('<dir>', dir));
      const args = given && !runFlag ? given : ['run', '-c', path, ...(given ?? [])];
      if (c.args?.[0] === 'set-replicas') args.push('-c', path);
      const r = await runBundle(args, { env: c.env ?? {} });
      assert.equal(r.code, 2, `exit ${r.code}\n${r.stderr}`);
      assert.match(messages(r.stderr), c.expect);
      assert.match(messages(r.stderr), /Nothing was sent or written/);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one paragraph');
      assert.equal(service.requests, 0, 'no load sent');
      assert.equal(scale.reads + scale.writes.length, 0, 'scale target untouched');
      assert.ok(!existsSync(join(dir, 'state.json')), 'no state written');
    });
  }
});
