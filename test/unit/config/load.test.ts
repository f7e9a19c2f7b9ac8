import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextNamespace, loadConfig, parseSet } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'scaler-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// The Locust Pod Autoscaler's own example, byte for byte.
const LPA_EVALUATION_CONFIG = `targets:
  - method: "GET"
    endpoint: "/fibonacci?n=10"
    type: "mean"
    target: 7
decay: 
  replicas: 1
  unchangedRuns: 3
`;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs an LPA evaluation_config.yaml with LPA environment variables unchanged', async () => {
    const path = file('evaluation_config.yaml', LPA_EVALUATION_CONFIG);
    const config = await loadConfig({
      env: {
        evaluationConfigFilePath: path,
        locustHost: 'http://fibonacci:5000',
        locustUsers: '10',
        locustHatchRate: '5',
        locustRunTime: '5',
        SCALER_TARGET_URL: 'http://127.0.0.1:9/replicas',
      },
    });
    assert.equal(config.loadTest?.host, 'http://fibonacci:5000');
    assert.equal(config.loadTest?.users, 10);
    assert.equal(config.loadTest?.spawnRate, 5);
    assert.equal(config.loadTest?.duration, 5000);
    assert.deepEqual(
      config.loadTest?.requests.map((r) => `${r.method} ${r.path}`),
      ['GET /fibonacci?n=10'],
    );
    assert.deepEqual(config.decay, { mode: 'lpa', replicas: 1, unchangedRuns: 3, maxFailureRatio: 0.01 });
    assert.equal(config.target.kind, 'http'); // a url alone implies the http target
  });

  it('precedence: file < LPA env < SCALER_* env < flags < overrides', async () => {
    const path = file(
      'p.yaml',
      `${LPA_EVALUATION_CONFIG}loadTest: { host: http://a:1, users: 1 }\ntarget: { kind: http, url: http://127.0.0.1:9/r }\n`,
    );
    const env = { locustUsers: '2', SCALER_USERS: '3' };
    assert.equal((await loadConfig({ configPath: path, env: { locustUsers: '2' } })).loadTest?.users, 2);
    assert.equal((await loadConfig({ configPath: path, env })).loadTest?.users, 3);
    assert.equal((await loadConfig({ configPath: path, env, flags: { users: '4' } })).loadTest?.users, 4);
    assert.equal(
      (await loadConfig({ configPath: path, env, flags: { users: '4' }, overrides: { 'loadTest.users': 5 } })).loadTest
        ?.users,
      5,
    );
  });

  it('names the environment variable a bad value came from', async () => {
    const path = file(
      'env.yaml',
      `${LPA_EVALUATION_CONFIG}loadTest: { host: http://a:1 }\ntarget: { kind: http, url: http://127.0.0.1:9/r }\n`,
    );
    const err = await rejection(loadConfig({ configPath: path, env: { locustUsers: 'lots' } }));
    assert.match(err.message, /loadTest\.users \(from environment locustUsers\): "lots" is not an integer/);
  });

  it('metrics.pushgateway: none by default; from the file, SCALER_PUSHGATEWAY, --pushgateway or --set', async () => {
    const target = 'target: { kind: http, url: http://127.0.0.1:9/r }';
    const base = `${LPA_EVALUATION_CONFIG}loadTest: { host: http://a:1 }\n${target}\n`;
    const plain = file('metrics-none.yaml', base);
    const path = file('metrics.yaml', `${base}metrics: { pushgateway: http://file:9091/ }\n`);
    const env = { SCALER_PUSHGATEWAY: 'http://env:9091' };
    const pushgateway = async (sources: Parameters<typeof loadConfig>[0]) =>
      (await loadConfig(sources)).metrics.pushgateway;
    assert.equal(await pushgateway({ configPath: plain, env: {} }), undefined);
    assert.equal(await pushgateway({ configPath: path, env: {} }), 'http://file:9091');
    assert.equal(await pushgateway({ configPath: path, env }), 'http://env:9091');
    assert.equal(
      await pushgateway({ configPath: path, env, flags: { pushgateway: 'http://flag:9091' } }),
      'http://flag:9091',
    );
    const overrides = { 'metrics.pushgateway': 'http://set:9091' };
    assert.equal(await pushgateway({ configPath: path, env, overrides }), 'http://set:9091');
    const err = await rejection(loadConfig({ configPath: path, env: { SCALER_PUSHGATEWAY: 'pushgateway:9091' } }));
    assert.match(
      err.message,
      /metrics\.pushgateway \(from environment SCALER_PUSHGATEWAY\): "pushgateway:9091" is not/,
    );
  });

  it('inline YAML from SCALER_CONFIG_YAML (the Lambda form)', async () => {
    const config = await loadConfig({
      env: {
        SCALER_CONFIG_YAML: `${LPA_EVALUATION_CONFIG}loadTest: { host: http://a:1 }\ntarget: { kind: http, url: http://127.0.0.1:9/r }\n`,
      },
    });
    assert.equal(config.source, 'environment SCALER_CONFIG_YAML');
  });

  it('malformed YAML names the file, line and column', async () => {
    const path = file('bad.yaml', 'targets:\n  - method: GET\n   endpoint: [\n');
    const err = await rejection(loadConfig({ configPath: path, env: {} }));
    assert.match(err.message, /bad\.yaml.*malformed YAML at line \d+, column \d+/);
  });

  it('a YAML document that is not a mapping', async () => {
    const err = await rejection(loadConfig({ configPath: file('scalar.yaml', 'just a string\n'), env: {} }));
    assert.match(err.message, /the document is "just a string", expected a YAML mapping/);
  });

  it('a missing file', async () => {
    const err = await rejection(loadConfig({ configPath: join(dir, 'nope.yaml'), env: {} }));
    assert.match(err.message, /--config: cannot read ".*nope\.yaml": no such file/);
  });

  it('an unreadable file', async () => {
    const path = file('locked.yaml', LPA_EVALUATION_CONFIG);
    chmodSync(path, 0o000);
    // root reads anything: then a directory stands in for the unreadable file
    const target = process.getuid?.() === 0 ? dir : path;
    const err = await rejection(loadConfig({ configPath: target, env: {} }));
    assert.match(err.message, /--config: cannot read .*: (permission denied|is a directory)/);
  });

  it('no configuration at all', async () => {
    const err = await rejection(loadConfig({ env: {} }));
    assert.match(err.message, /no configuration given: pass --config/);
  });

  it('a setting path through __proto__, constructor or prototype is refused, and nothing is polluted', async () => {
    const path = file(
      'proto.yaml',
      `target: { kind: http, url: http://127.0.0.1:1/r }\nloadTest: { host: http://127.0.0.1:2 }\ntargets: [{ method: GET, endpoint: /, type: mean, target: 5 }]\n`,
    );
    for (const key of ['__proto__.polluted', 'loadTest.__proto__.polluted', 'constructor.prototype.polluted', 'a..b']) {
      const err = await rejection(loadConfig({ configPath: path, env: {}, overrides: { [key]: 'yes' } }));
      assert.match(err.message, /which is no setting|has an empty segment/);
    }
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('a YAML key __proto__ or constructor anywhere in the document is refused, naming where', async () => {
    const path = file(
      'proto-yaml.yaml',
      `target: { kind: http, url: http://127.0.0.1:1/r }\nloadTest:\n  host: http://127.0.0.1:2\n  headers: { __proto__: { polluted: yes } }\ntargets: [{ method: GET, endpoint: /, type: mean, target: 5 }]\n`,
    );
    const err = await rejection(loadConfig({ configPath: path, env: {} }));
    assert.match(
      err.message,
      /loadTest\.headers\.__proto__: is not a setting \(a key that could reach an object's prototype\)/,
    );
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('a setting path reaches a list item that exists: targets[0].target or targets.0.target; no other', async () => {
    const path = file(
      'items.yaml',
      `target: { kind: http, url: http://127.0.0.1:1/r }\nloadTest: { host: http://127.0.0.1:2 }\ntargets: [{ method: GET, endpoint: /, type: mean, target: 5 }]\n`,
    );
    for (const key of ['targets[0].target', 'targets.0.target']) {
      const config = await loadConfig({ configPath: path, env: {}, overrides: { [key]: 300 } });
      assert.equal(config.targets[0]!.target, 300, key);
    }
    const cases: [string, RegExp][] = [
      ['targets[1].target', /override targets\[1\]\.target: reaches no item: targets has one, targets\[0\]/],
      ['targets[x].target', /override targets\[x\]\.target: has "\[x\]", which is no list index/],
      ['loadTest[0]', /override loadTest\[0\]: indexes loadTest, which is no list here/],
      ['targets.method', /names "method" inside the list targets; expected an index, e.g. targets\[0\]/],
    ];
    for (const [key, expected] of cases) {
      const err = await rejection(loadConfig({ configPath: path, env: {}, overrides: { [key]: 1 } }));
      assert.match(err.message, expected, key);
    }
    const err = await rejection(loadConfig({ configPath: path, env: {}, overrides: { 'targets[0].target': -1 } }));
    assert.match(err.message, /targets\[0\]\.target \(from override targets\[0\]\.target\)/);
  });

  it('parseSet reads values as YAML scalars', () => {
    assert.deepEqual(parseSet('loadTest.users=20'), ['loadTest.users', 20]);
    assert.deepEqual(parseSet('loadTest.host=http://x:1'), ['loadTest.host', 'http://x:1']);
    assert.throws(() => parseSet('users'), /--set: "users" is not path=value/);
  });
});

describe("the target namespace by kubectl's rule, outside a pod", () => {
  it("the current context's namespace: KUBECONFIG's files in order, ~/.kube/config without it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'scaler-kubeconfig-'));
    try {
      const first = join(dir, 'clusters.yaml');
      const second = join(dir, 'contexts.yaml');
      writeFileSync(first, 'apiVersion: v1\nkind: Config\nclusters: []\n');
      writeFileSync(
        second,
        'current-context: dev\ncontexts:\n  - name: dev\n    context: { cluster: c, namespace: shop }\n',
      );
      assert.deepEqual(contextNamespace({ KUBECONFIG: `${first}:${second}` }), {
        namespace: 'shop',
        from: `kubeconfig context "dev" (${second})`,
      });
      mkdirSync(join(dir, '.kube'));
      writeFileSync(join(dir, '.kube', 'config'), readFileSync(second, 'utf8').replace('shop', 'home'));
      assert.equal(contextNamespace({ HOME: dir })?.namespace, 'home');
      assert.equal(contextNamespace({ KUBECONFIG: first }), undefined, 'no current context: default stays');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
