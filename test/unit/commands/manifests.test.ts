// `manifests`: the least-privilege RBAC of a fleet, generated from its configurations (pure), and the
// command that prints it; jobs/fleet/rbac.yaml is exactly what the command prints for jobs/fleet/members/.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { runCli } from '../../../src/cli.ts';
import { fleetManifests, renderManifests, type ManifestObject } from '../../../src/commands/manifests.ts';
import { validateConfig } from '../../../src/config/validate.ts';
import { ConfigError } from '../../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'scaler-manifests-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OPTIONS = { serviceAccount: 'latency-scaler', namespace: 'scalers' };

function member(target: Record<string, unknown>, extra: Record<string, unknown> = {}, source = 'fleet.yaml') {
  const raw = {
    target,
    loadTest: { host: 'http://svc:8080', requests: [{ method: 'GET', path: '/x' }] },
    targets: [{ method: 'GET', endpoint: '/x', type: 'mean', target: 7 }],
    state: { store: 'configmap' },
    ...extra,
  };
  return { source, config: validateConfig(raw, { source, requireTarget: true, environment: 'local' }) };
}
const deploy = (name: string, namespace: string) => ({ kind: 'Deployment', name, namespace });
const objects = (members: ReturnType<typeof member>[]) =>
  fleetManifests(members, OPTIONS).documents.map((d) => d.object);
const role = (objs: ManifestObject[], ns: string) =>
  objs.find((o) => o.kind === 'Role' && o.metadata.namespace === ns)!;

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv,
    env: {},
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    isTTY: false,
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

describe('fleetManifests', () => {
  it("one Role per namespace naming exactly its targets, their /scale and state ConfigMaps; bound to the Job's ServiceAccount", () => {
    const objs = objects([
      member(deploy('web', 'shop')),
      member(deploy('cart', 'shop')),
      member({ kind: 'StatefulSet', name: 'search', namespace: 'catalog' }),
    ]);
    assert.deepEqual(
      objs.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
      [
        'Role catalog/latency-scaler.scalers',
        'RoleBinding catalog/latency-scaler.scalers',
        'ConfigMap catalog/latency-scaler-statefulset-search',
        'Role shop/latency-scaler.scalers',
        'RoleBinding shop/latency-scaler.scalers',
        'ConfigMap shop/latency-scaler-deployment-cart',
        'ConfigMap shop/latency-scaler-deployment-web',
      ],
    );
    assert.deepEqual(role(objs, 'shop').rules, [
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['cart', 'web'], verbs: ['get'] },
      {
        apiGroups: ['apps'],
        resources: ['deployments/scale'],
        resourceNames: ['cart', 'web'],
        verbs: ['get', 'patch'],
      },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['latency-scaler-deployment-cart', 'latency-scaler-deployment-web'],
        verbs: ['get', 'update'],
      },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'list'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['list'] },
      { apiGroups: ['keda.sh'], resources: ['scaledobjects'], verbs: ['list'] },
    ]);
    assert.deepEqual(role(objs, 'catalog').rules![0]!.resources, ['statefulsets']);
    const binding = objs.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'shop')!;
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'latency-scaler.scalers',
    });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'latency-scaler', namespace: 'scalers' }]);
    const cm = objs.find((o) => o.kind === 'ConfigMap')!;
    assert.equal(Object.keys(cm).join(), 'apiVersion,kind,metadata', 'created empty: no data the scaler would lose');
  });

  it('never a wildcard; the same output whatever the order of the documents', () => {
    const a = [member(deploy('b', 'x')), member(deploy('a', 'y')), member(deploy('a', 'x'))];
    const text = renderManifests(fleetManifests(a, OPTIONS));
    assert.equal(renderManifests(fleetManifests([...a].reverse(), OPTIONS)), text);
    assert.ok(!text.includes('*'), text);
    for (const r of objects(a).flatMap((o) => o.rules ?? []))
      assert.ok(r.resourceNames || ['create,list', 'list'].includes(r.verbs.join()), JSON.stringify(r));
  });

  it('state.name and state.namespace: the ConfigMap rule and object where the store will look', () => {
    const objs = objects([
      member(deploy('web', 'shop'), { state: { store: 'configmap', name: 'web-state', namespace: 'ops' } }),
    ]);
    assert.deepEqual(role(objs, 'ops').rules, [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['web-state'], verbs: ['get', 'update'] },
    ]);
    assert.ok(!role(objs, 'shop').rules!.some((r) => r.resources.includes('configmaps')));
    assert.ok(
      objs.some((o) => o.kind === 'ConfigMap' && o.metadata.namespace === 'ops' && o.metadata.name === 'web-state'),
    );
  });

  it('another kind: lowercase(kind)+s, with a comment above the rule saying to check it', () => {
    const m = fleetManifests(
      [member({ kind: 'Rollout', apiVersion: 'argoproj.io/v1alpha1', name: 'web', namespace: 'shop' })],
      OPTIONS,
    );
    assert.deepEqual(m.documents[0]!.object.rules![1]!.resources, ['rollouts/scale']);
    const text = renderManifests(m);
    assert.match(text, /# "rollouts" is lowercase\(kind\)\+s for Rollout \(argoproj\.io\/v1alpha1\): check it/);
  });

  it('http targets need no RBAC (a comment line says so); the state of others in a file or DynamoDB no ConfigMap', () => {
    const m = fleetManifests(
      [
        member({ kind: 'http', url: 'http://hooks:8080/replicas' }, { state: { store: 'file' } }, 'hooks.yaml'),
        member(deploy('web', 'shop'), { state: { store: 'dynamodb', table: 't' } }, 'web.yaml'),
      ],
      OPTIONS,
    );
    assert.deepEqual(
      m.documents.map((d) => d.object.kind),
      ['Role', 'RoleBinding'],
    );
    assert.ok(m.header.some((l) => /^http targets need no RBAC .*: hooks\.yaml$/.test(l)));
    assert.ok(m.header.some((l) => /DynamoDB .*: web\.yaml$/.test(l)));
  });

  it('the Locust workers Deployment is scaled too: it is named like a target', () => {
    const objs = objects([
      member(deploy('web', 'shop'), {
        loadTest: {
          host: 'http://svc:8080',
          engine: 'locust',
          locust: {
            url: 'http://locust:8089',
            workers: { target: deploy('locust-worker', 'load'), usersPerWorker: 5 },
          },
          requests: [{ method: 'GET', path: '/x' }],
        },
      }),
    ]);
    assert.deepEqual(role(objs, 'load').rules![1], {
      apiGroups: ['apps'],
      resources: ['deployments/scale'],
      resourceNames: ['locust-worker'],
      verbs: ['get', 'patch'],
    });
  });

  it('the rendered YAML reads back as the objects, lines within 120 columns even for a long list of names', () => {
    const many = Array.from({ length: 30 }, (_, i) => member(deploy(`service-number-${i}`, 'shop')));
    const m = fleetManifests(many, OPTIONS);
    const text = renderManifests(m);
    assert.deepEqual(
      loadAll(text),
      m.documents.map((d) => d.object),
    );
    for (const line of text.split('\n')) assert.ok(line.length <= 120, line);
  });

  it('a name that is no Kubernetes name is refused (exit 2 at the command line)', () => {
    assert.throws(
      () => fleetManifests([], { ...OPTIONS, namespace: 'Not_A_Namespace' }),
      (e) => e instanceof ConfigError && /--namespace: "Not_A_Namespace" is not a Kubernetes name/.test(e.message),
    );
  });
});

describe('latency-scaler manifests', () => {
  it('jobs/fleet/rbac.yaml is what the command prints for jobs/fleet/members/ now', async () => {
    const r = await cli(['manifests', '-c', 'jobs/fleet/members/', '--namespace', 'latency-scaler']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      readFileSync('jobs/fleet/rbac.yaml', 'utf8'),
      r.stdout,
      'regenerate: latency-scaler manifests -c jobs/fleet/members/ --namespace latency-scaler > jobs/fleet/rbac.yaml',
    );
  });

  it('a target without a namespace is in the Job namespace given (--namespace), as in the pod', async () => {
    const file = join(dir, 'plain.yaml');
    writeFileSync(
      file,
      `target: { kind: Deployment, name: web }
loadTest: { host: http://web:8080, requests: [{ method: GET, path: / }] }
targets: [{ method: GET, endpoint: /, type: mean, target: 7 }]
state: { store: configmap }
`,
    );
    const r = await cli(['manifests', '-c', file, '--namespace', 'jobs', '--service-account', 'scaler']);
    assert.equal(r.code, 0, r.stderr);
    const objs = loadAll(r.stdout) as ManifestObject[];
    assert.deepEqual(new Set(objs.map((o) => o.metadata.namespace)), new Set(['jobs']));
    assert.equal(objs.find((o) => o.kind === 'RoleBinding')!.subjects![0]!.name, 'scaler');
  });

  it('a bad document is an error naming its file and index (exit 2), and nothing is printed', async () => {
    const file = join(dir, 'fleet.yaml');
    const good = readFileSync('jobs/fleet/members/catalog.yaml', 'utf8');
    writeFileSync(file, `${good}---\n${good.replace('replicas:', 'replicaz:')}`);
    const r = await cli(['manifests', '-c', file]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /invalid configuration: .*fleet\.yaml#2: replicaz/);
  });
});
