// The bundle's entry paths: executed directly, through a symlink, and imported as a module.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
    for (const cmd of ['run', 'validate', 'loadtest', 'state <action>', 'set-replicas <replicas>']) assert.match(r.stdout, new RegExp(`latency-scaler ${cmd}`));
    assert.match(r.stdout, /Exit codes: 0 .* 2 invalid input/s);
  });

  for (const cmd of ['run', 'validate', 'loadtest', 'state', 'set-replicas']) {
    it(`${cmd} --help`, async () => {
      const r = await runBundle([cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /--config/);
    });
  }

  it('validate -o json and the logs never print secrets: headers, passwords, tokens in URLs', async () => {
    const path = join(dir, 'secrets.yaml');
    writeFileSync(path, `target: { kind: http, url: "http://127.0.0.1:9/scale?token=hook-secret-1", headers: { authorization: Bearer target-secret-2 } }
loadTest:
  host: http://user:host-secret-3@127.0.0.1:9
  headers: { x-api-key: header-secret-4 }
  requests: [{ method: GET, path: /, headers: { cookie: session=cookie-secret-5 } }]
  engine: locust
  locust: { url: "http://127.0.0.1:8089", username: admin, password: locust-secret-6 }
targets: [{ name: GET /, type: mean, target: 5 }]
`);
    const r = await runBundle(['validate', '-c', path, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    for (const secret of ['hook-secret-1', 'target-secret-2', 'host-secret-3', 'header-secret-4', 'cookie-secret-5', 'locust-secret-6']) {
      assert.ok(!r.stdout.includes(secret), `${secret} printed`);
    }
    assert.match(r.stdout, /\[redacted\]/);
    const text = await runBundle(['validate', '-c', path, '-o', 'text']);
    assert.ok(!/secret-\d/.test(text.stdout + text.stderr), text.stdout);
    const failed = await runBundle(['run', '-c', path.replace('secrets', 'secrets'), '--engine', 'local', '-o', 'json']);
    assert.ok(!/secret-\d/.test(failed.stdout + failed.stderr), failed.stderr);
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

  it('runs as the Dockerfile ships it: the bundle (and its type marker) alone in a directory', async () => {
    const app = join(dir, 'app');
    mkdirSync(app);
    copyFileSync(BUNDLE, join(app, 'scale.js'));
    copyFileSync(join(dirname(BUNDLE), 'package.json'), join(app, 'package.json'));
    const r = await runBundle(['run', '--help'], { script: join(app, 'scale.js'), cwd: app });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--dry-run/);
  });

  it('importing the bundle exports handler and does not run the CLI', async () => {
    const probe = `const m = await import(${JSON.stringify(pathToFileURL(BUNDLE).href)}); console.log(typeof m.handler);`;
    const r = await runBundle(['--input-type=module', '-e', probe], { script: '--no-warnings' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'function');
    assert.equal(r.stderr, '');
  });
});
