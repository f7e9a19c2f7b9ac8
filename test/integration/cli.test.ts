// The bundle's entry paths: executed directly, through a symlink, and imported as a module.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLE, runBundle } from '../helpers/cli.ts';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'scaler-cli-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('dist/scale.js', () => {
  it('--help lists every command and the exit codes', async () => {
    const r = await runBundle(['--help']);
    assert.equal(r.code, 0);
    for (const cmd of ['run', 'validate', 'loadtest', 'state <action>', 'set-replicas <replicas>', 'manifests'])
      assert.match(r.stdout, new RegExp(`latency-scaler ${cmd}`));
    assert.match(r.stdout, /Exit codes: 0 .* 2 invalid input/s);
  });

  for (const cmd of ['run', 'validate', 'loadtest', 'state', 'set-replicas', 'manifests', 'status', 'history']) {
    it(`${cmd} --help`, async () => {
      const r = await runBundle([cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^ {2}-c, --config /m, 'its -c named once');
    });
  }

  it('validate -o json and the logs never print secrets: headers, passwords, tokens in URLs', async () => {
    const path = join(dir, 'secrets.yaml');
    writeFileSync(
      path,
      `target: { kind: http, url: "http://127.0.0.1:9/scale?token=hook-secret-1", headers: { authorization: Bearer target-secret-2 } }
loadTest:
  host: http://user:host-secret-3@127.0.0.1:9
  headers: { x-api-key: header-secret-4 }
  requests: [{ method: GET, path: /, headers: { cookie: session=cookie-secret-5 } }]
  engine: locust
  locust: { url: "http://127.0.0.1:8089", username: admin, password: locust-secret-6 }
targets: [{ name: GET /, type: mean, target: 5 }]
`,
    );
    const r = await runBundle(['validate', '-c', path, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    for (const secret of [
      'hook-secret-1',
      'target-secret-2',
      'host-secret-3',
      'header-secret-4',
      'cookie-secret-5',
      'locust-secret-6',
    ]) {
      assert.ok(!r.stdout.includes(secret), `${secret} printed`);
    }
    assert.match(r.stdout, /\[redacted\]/);
    const text = await runBundle(['validate', '-c', path, '-o', 'text']);
    assert.ok(!/secret-\d/.test(text.stdout + text.stderr), text.stdout);
    const failed = await runBundle([
      'run',
      '-c',
      path.replace('secrets', 'secrets'),
      '--engine',
      'local',
      '-o',
      'json',
    ]);
    assert.ok(!/secret-\d/.test(failed.stdout + failed.stderr), failed.stderr);
  });

  it('manifests prints the RBAC of a fleet from the bundle: jobs/fleet/rbac.yaml for its members', async () => {
    const r = await runBundle(['manifests', '-c', 'jobs/fleet/members/', '--namespace', 'latency-scaler']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, readFileSync('jobs/fleet/rbac.yaml', 'utf8'));
  });

  it('--version prints the package version', async () => {
    const r = await runBundle(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  it('an unknown flag is invalid input (exit 2) naming the flag', async () => {
    const r = await runBundle(['run', '--bogus', '1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown argument: bogus/);
  });

  it('a bad choice is invalid input (exit 2)', async () => {
    const r = await runBundle(['validate', '--output', 'xml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Invalid values:.*output/s);
  });

  it('runs through a symlink (an npm bin, a container entrypoint)', async () => {
    const link = join(dir, 'latency-scaler');
    symlinkSync(BUNDLE, link);
    const r = await runBundle(['--version'], { script: link });
    assert.equal(r.code, 0);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  it('runs as the Dockerfile ships it: its own commands write the code cache as user 65532; read-only, it is read', async () => {
    // The final stage of the Dockerfile, replayed: its ENV, its COPY, and its RUN lines, as its USER.
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const env = Object.fromEntries([...final.matchAll(/(NODE_\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    assert.equal(env['NODE_COMPILE_CACHE'], '/app/.compile-cache');
    const user = /^USER (\d+):(\d+)$/m.exec(final)!;
    // Each RUN with whether it runs as USER (after the USER line) or as root (before it).
    const runs = [...final.matchAll(/^RUN (.+)$/gm)].map((m) => ({
      cmd: m[1]!,
      asUser: m.index! > final.indexOf('\nUSER '),
    }));
    assert.equal(runs.length, 2, runs.map((r) => r.cmd).join(' | '));
    const root = join(dir, 'image');
    const app = join(root, 'app');
    mkdirSync(app, { recursive: true });
    copyFileSync(BUNDLE, join(app, 'scale.js'));
    copyFileSync(join(dirname(BUNDLE), 'package.json'), join(app, 'package.json'));
    const node = join(root, 'node'); // the test's Node, readable by the image's user
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
    chmodSync(root, 0o755);
    chmodSync(dir, 0o755);
    const at = (cmd: string): string => cmd.replaceAll('/app/', `${app}/`).replace(/\bnode /g, `${node} `);
    const shell = (cmd: string, asUser: boolean, extra: Record<string, string> = {}) =>
      spawnSync(
        asUser ? 'setpriv' : 'sh',
        asUser ? [`--reuid=${user[1]}`, `--regid=${user[2]}`, '--clear-groups', 'sh', '-c', at(cmd)] : ['-c', at(cmd)],
        {
          encoding: 'utf8',
          env: { PATH: process.env['PATH'], ...env, NODE_COMPILE_CACHE: `${app}/.compile-cache`, ...extra },
        },
      );
    for (const run of runs) {
      const r = shell(run.cmd, run.asUser);
      assert.equal(r.status, 0, `${run.cmd}: ${r.stderr}`);
    }
    spawnSync('chmod', ['-R', 'a-w', app]); // readOnlyRootFilesystem
    const debug = { NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
    const help = shell(`node /app/scale.js run --help`, true, debug);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /--dry-run/);
    assert.match(help.stderr, /V8 code cache for ESM file:\/\/.*scale\.js was accepted/);
    assert.doesNotMatch(help.stderr, /permission denied|Cannot create/);
    spawnSync('chmod', ['-R', 'u+w', app]);
  });

  it('the locust image stage pins the Locust the tests run, and is not the default image', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const stage = dockerfile.slice(
      dockerfile.indexOf('AS locust'),
      dockerfile.indexOf('\nFROM ', dockerfile.indexOf('AS locust')),
    );
    const pinned = /locust==([\d.]+)/.exec(stage)?.[1];
    const tested = /LOCUST_VERSION="\$\{LOCUST_VERSION:-([\d.]+)\}"/.exec(
      readFileSync('test/harness/locust/install.sh', 'utf8'),
    )?.[1];
    assert.ok(pinned && pinned === tested, `Dockerfile pins ${pinned}, the tests install ${tested}`);
    assert.match(stage, /^USER 65532:65532$/m);
    assert.ok(
      dockerfile.lastIndexOf('\nFROM ') > dockerfile.indexOf('AS locust'),
      'the Node-only image stays the default (last) stage',
    );
    assert.doesNotMatch(dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')), /python|locust/);
  });

  it('importing the bundle exports handler and does not run the CLI', async () => {
    const probe = `const m = await import(${JSON.stringify(pathToFileURL(BUNDLE).href)}); console.log(typeof m.handler);`;
    const r = await runBundle(['--input-type=module', '-e', probe], { script: '--no-warnings' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'function');
    assert.equal(r.stderr, '');
  });
});
