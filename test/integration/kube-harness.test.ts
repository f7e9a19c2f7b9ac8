// The test cluster harness itself (test/harness/kube.ts), through the client the scaler uses: the
// admin kubeconfig can create a Deployment and read and patch its /scale; the controllers give it pods
// on the fake node; a fresh service-account token authenticates but RBAC forbids it everything.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ApiException, AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { FAKE_NODE, startKube, type KubeCluster } from '../harness/kube.ts';
import { podsOf, settle } from '../helpers/kube-objects.ts';

let kube: KubeCluster;

function client(path: string): AppsV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc.makeApiClient(AppsV1Api);
}

before(async () => {
  const t = performance.now();
  kube = await startKube();
  console.log(`# control plane ready in ${Math.round(performance.now() - t)} ms at ${kube.server}`);
});
after(async () => {
  const dir = kube?.dir;
  await kube?.stop();
  if (dir) assert.equal(existsSync(dir), false, 'stop() removes the directory');
});

it('admin: creates a Deployment, reads and patches its /scale', async () => {
  const apps = client(kube.kubeconfigPath);
  const labels = { app: 'web' };
  await apps.createNamespacedDeployment({
    namespace: 'default',
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'example.invalid/web:1' }] } },
      },
    },
  });
  const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: 'default' });
  assert.equal(scale.spec?.replicas, 2);
  // client-node 2.x sends JSON Patch unless told otherwise.
  const patched = await apps.patchNamespacedDeploymentScale(
    { name: 'web', namespace: 'default', body: { spec: { replicas: 5 } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  assert.equal(patched.spec?.replicas, 5);
  assert.equal((await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })).spec?.replicas, 5);
});

it('the controllers run: a Deployment gets a ReplicaSet and pods, scheduled on the fake node and made Ready', async () => {
  const labels = { app: 'ctl' };
  const body = {
    metadata: { name: 'ctl' },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'example.invalid/ctl:1' }] } },
    },
  };
  assert.equal((await kube.api('POST', '/apis/apps/v1/namespaces/default/deployments', body)).status, 201);
  await settle(kube, { apiVersion: 'apps/v1', kind: 'Deployment' }, 'default', 'ctl');
  const pods = await podsOf(kube, 'default', 'ctl');
  assert.equal(pods.length, 2);
  for (const pod of pods) {
    assert.equal(pod.spec.nodeName, FAKE_NODE);
    assert.equal(pod.status.phase, 'Running');
    assert.equal(pod.metadata.ownerReferences[0].kind, 'ReplicaSet');
  }
});

it('a TokenRequest token for a new ServiceAccount authenticates, and RBAC forbids it to list deployments', async () => {
  const token = await kube.tokenFor('default', 'nobody');
  assert.equal(token.split('.').length, 3, 'a JWT');
  const apps = client(await kube.kubeconfigForToken(token));
  const err = await apps.listNamespacedDeployment({ namespace: 'default' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiException, String(err));
  // 403, not 401: the token is valid, the service account just has no Role.
  assert.equal(err.code, 403);
  assert.match(String(err.body), /system:serviceaccount:default:nobody/);
});

it('stops on abort during start-up and leaves nothing behind', async () => {
  const dirs = (): string[] =>
    readdirSync(tmpdir())
      .filter((d) => d.startsWith('scaler-kube-'))
      .sort();
  const before = dirs();
  const ac = new AbortController();
  const starting = startKube({ signal: ac.signal });
  setTimeout(() => ac.abort(), 500);
  await assert.rejects(starting, { name: 'AbortError' });
  assert.deepEqual(dirs(), before);
});
