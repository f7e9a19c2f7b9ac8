// The console (`serve`) in a real browser: headless Chromium driven by playwright-core, against the
// bundle serving a fleet of three Deployments on the test control plane (kube-apiserver, the
// Deployment controller, kwok's pods) and a webhook. The console reaches the API server through the
// fault proxy, so a refusing API server is a real 500 on the wire; a second console runs as a service
// account whose Role lacks the scale rights. One of the Deployments is a real Locust master's worker
// Deployment's user. Each page is screenshotted into the test's directory.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startFaultProxy, type FaultProxy } from '../harness/faults.ts';
import { startKube, type KubeCluster } from '../harness/kube.ts';
import { startLocust, type LocustCluster } from '../harness/locust.ts';
import { launchBrowser, type Browser } from '../helpers/browser.ts';
import { runBundle } from '../helpers/cli.ts';
import { create, deployment, manifests, namespace, replicasOf, settle, until } from '../helpers/kube-objects.ts';
import { kustomizeBuild } from '../harness/kustomize.ts';
import { loadAll } from 'js-yaml';
import { TOKEN_ENV } from '../../src/console/security.ts';
import { startScaleServer, type ScaleServer } from '../helpers/scale-server.ts';
import { startServe, type Served } from '../helpers/serve.ts';
import { fast, type TestServer } from '../helpers/servers.ts';

const NS = 'console';
const APPS = { apiVersion: 'apps/v1', kind: 'Deployment' };
const MARKUP = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
type Obj = { apiVersion: string; kind: string; metadata: { name: string } };
const LOCUSTFILE = new URL('../fixtures/locustfile.py', import.meta.url).pathname;

let kube: KubeCluster;
let proxy: FaultProxy;
let service: TestServer;
let hook: ScaleServer;
let locust: LocustCluster;
let browser: Browser;
let served: Served;
let dir: string;
let shots: string;
let env: Record<string, string>;
const dialogs: string[] = [];

/** A member of the fleet: a Deployment in NS, probed against the fast service. */
function member(name: string, extra = '', request = 'GET /'): string {
  return `target: { kind: Deployment, name: ${name}, namespace: ${NS} }
replicas: { min: 1, max: 5 }
loadTest: { host: ${service.url}, users: 2, duration: 1s, requests: [{ name: ${JSON.stringify(request)}, method: GET, path: / }] }
targets: [{ name: ${JSON.stringify(request)}, type: mean, target: 200 }]
state: { store: configmap }
api: { retryFor: 1s }
${extra}`;
}

async function kubeconfigThroughProxy(token: string): Promise<string> {
  const path = join(dir, 'proxy.kubeconfig');
  const cluster = { server: proxy.url, 'certificate-authority': kube.caPath };
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'p',
      clusters: [{ name: 'p', cluster }],
      users: [{ name: 'p', user: { token } }],
      contexts: [{ name: 'p', context: { cluster: 'p', user: 'p' } }],
    }),
  );
  return path;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scaler-console-'));
  shots = join(dir, 'screenshots');
  mkdirSync(shots);
  [kube, service, hook, locust] = await Promise.all([
    startKube(),
    fast(),
    startScaleServer(2),
    startLocust({ locustfile: LOCUSTFILE, workers: 1 }),
  ]);
  hook.readyReplicas = 2;
  const tls = {
    cert: readFileSync(join(kube.dir, 'server.crt')),
    key: readFileSync(join(kube.dir, 'server.key')),
    ca: readFileSync(kube.caPath),
  };
  proxy = await startFaultProxy({ upstream: kube.server, tls });
  await namespace(kube, NS);
  const admin = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'console-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace: NS }],
  };
  await create(kube, [admin as never], '');
  env = { KUBECONFIG: await kubeconfigThroughProxy(await kube.tokenFor(NS, 'operator')) };
  for (const [name, replicas] of [
    ['web', 2],
    ['api', 1],
    ['queue', 1],
    ['locust-worker', 2],
  ] as const)
    await create(kube, [deployment(name, replicas, 'Deployment', '1s')], NS);
  await Promise.all(['web', 'api', 'queue', 'locust-worker'].map((n) => settle(kube, APPS, NS, n)));

  const fleet = join(dir, 'fleet');
  mkdirSync(fleet);
  // The model's decay: it learns (the page shows its numbers) and, scaling up by steps, takes no calibration step.
  writeFileSync(join(fleet, 'web.yaml'), member('web', 'scaleUp: { mode: step }\ndecay: { mode: model }\n'));
  writeFileSync(join(fleet, 'api.yaml'), member('api', '', MARKUP));
  const workers = `{ target: { kind: Deployment, name: locust-worker, namespace: ${NS} }, usersPerWorker: 5 }`;
  writeFileSync(
    join(fleet, 'queue.yaml'),
    member('queue').replace(
      'users: 2,',
      `users: 2, engine: locust, locust: { url: ${locust.url}, workers: ${workers} },`,
    ),
  );
  writeFileSync(
    join(fleet, 'hook.yaml'),
    `target: { kind: http, url: ${hook.url} }
replicas: { min: 1, max: 5 }
loadTest: { host: ${service.url}, users: 2, duration: 1s, requests: [{ method: GET, path: / }] }
targets: [{ method: GET, endpoint: /, type: mean, target: 200 }]
state: { store: file, path: ${join(dir, 'hook-state.json')} }
`,
  );
  // A history to show: two runs of three members (the Locust one is left to the console).
  for (let i = 0; i < 2; i++) {
    const r = await runBundle(
      ['run', '-c', join(fleet, 'web.yaml'), '-c', join(fleet, 'api.yaml'), '-c', join(fleet, 'hook.yaml')],
      {
        env,
        timeoutMs: 60_000,
      },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }
  served = await startServe(['-c', fleet], env);
  browser = await launchBrowser();
  browser.context.on('page', (p) => p.on('dialog', (d) => void (dialogs.push(d.message()), d.dismiss())));
});

after(async () => {
  await browser?.close();
  await served?.stop();
  await Promise.all([locust?.stop(), proxy?.close(), service?.close(), hook?.close()]);
  await kube?.stop();
  for (const name of ['fleet', 'proxy.kubeconfig', 'hook-state.json', 'hook-state.json.versions'])
    rmSync(join(dir, name), { recursive: true, force: true });
  console.log(`screenshots: ${shots}`);
});

async function tab(path = ''): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('dialog', (d) => void (dialogs.push(d.message()), d.dismiss()));
  await page.goto(new URL(path, served.base).href);
  return page;
}

const shot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

async function openTarget(page: Page, name: string): Promise<void> {
  await page.goto(served.base);
  await page.click(`td.name a:text-is("${name}")`);
  await page.waitForSelector('#now');
}

const fact = (page: Page, name: string): Promise<string> => page.locator(`#now [data-fact="${name}"]`).innerText();

const annotations = async (name: string): Promise<Record<string, string>> =>
  (await kube.api('GET', `/apis/apps/v1/namespaces/${NS}/deployments/${name}`)).body.metadata.annotations ?? {};

const configMap = async (name: string) =>
  (await kube.api('GET', `/api/v1/namespaces/${NS}/configmaps/latency-scaler-deployment-${name}`)).body;

describe('the console in a real browser', { timeout: 240_000 }, () => {
  it('the overview: one row per target, the facts of status --wide, refreshed in place', async () => {
    const page = await tab();
    const names = await page.locator('td.name a').allInnerTexts();
    assert.deepEqual(names.sort(), [
      `Deployment ${NS}/api`,
      `Deployment ${NS}/queue`,
      `Deployment ${NS}/web`,
      `http ${new URL(hook.url).origin}/replicas`,
    ]);
    const web = page.locator('tr', { has: page.locator(`a:text-is("Deployment ${NS}/web")`) });
    assert.equal(await web.locator('[data-fact="replicas"]').innerText(), '2/1/5');
    assert.match(await web.innerText(), /hold at 2/);
    assert.match(await web.innerText(), /configmap/);
    // Refreshed without a reload: a change on the API server shows up in the row.
    await kube.api(
      'PATCH',
      `/apis/apps/v1/namespaces/${NS}/deployments/queue/scale`,
      { spec: { replicas: 2 } },
      'application/merge-patch+json',
    );
    const queue = page.locator('tr', { has: page.locator(`a:text-is("Deployment ${NS}/queue")`) });
    await queue.locator('[data-fact="replicas"]', { hasText: '2/1/5' }).waitFor({ timeout: 15_000 });
    assert.match(await page.locator('#live-status').innerText(), /live · updated/);
    await shot(page, 'overview');
    await page.close();
  });

  it("a request name that is markup renders as text: no element, no script, in the row and on the target's page", async () => {
    const page = await tab();
    const row = page.locator('tr', { has: page.locator(`a:text-is("Deployment ${NS}/api")`) });
    assert.ok((await row.innerText()).includes('hold at 1'));
    await openTarget(page, `Deployment ${NS}/api`);
    assert.ok((await page.locator('#decision').innerText()).includes(MARKUP), 'the name shown as it was written');
    assert.ok((await page.locator('#history').innerText()).includes(`${MARKUP} mean`));
    assert.equal(await page.locator('main img').count(), 0, 'no <img> made from the name');
    assert.equal(await page.evaluate('globalThis.pwned'), undefined);
    assert.deepEqual(dialogs, []);
    await shot(page, 'target-markup');
    await page.close();
  });

  it("set replicas through the form: spec.replicas changes on the API server, the page shows the system's ready count", async () => {
    const page = await tab();
    await openTarget(page, `Deployment ${NS}/web`);
    const before = await configMap('web');
    await page.fill('#set-replicas input[name="replicas"]', '3');
    await page.click('#set-replicas button');
    await page.waitForSelector('#flash');
    assert.match(
      await page.locator('#flash').innerText(),
      /manual set 2→3; decay count restarted\. Deployment console\/web now reports 3 desired, \d ready/,
    );
    assert.equal(await replicasOf(kube, APPS, NS, 'web'), 3);
    // What the system reports: the new pod becomes ready (kwok, after 1 s) and the live part shows it.
    await page.locator('#now [data-fact="ready"]', { hasText: '3 of 3' }).waitFor({ timeout: 20_000 });
    assert.equal(await fact(page, 'spec'), '3');
    const after = await configMap('web');
    assert.notEqual(after.metadata.resourceVersion, before.metadata.resourceVersion, 'the claim wrote the state');
    assert.match(await page.locator('#record-json').innerText(), /"reason": "manual set 2→3"/);
    await shot(page, 'target-web');
    await page.close();
  });

  it("the model's numbers, read from the record's model whatever fields it has", async () => {
    const page = await tab();
    await openTarget(page, `Deployment ${NS}/web`);
    const record = JSON.parse((await configMap('web')).data['state.json']);
    assert.ok(record.model && typeof record.model.s0 === 'number', 'the model policy learned s₀ in the runs');
    const s0 = await page.locator('#model tr[data-field="s0"]').innerText();
    assert.match(s0, /s₀, the learned low-load service time \(ms\)\s+[\d.]+/);
    assert.equal(Number(s0.split(/\s+/).at(-1)), Number(record.model.s0.toPrecision(4)));
    assert.ok((await page.locator('#model tr').count()) >= 3);
    await page.close();
  });

  it('pause and resume: the annotation on the Deployment, and the page says so', async () => {
    const page = await tab();
    await openTarget(page, `Deployment ${NS}/web`);
    assert.equal(await fact(page, 'paused'), 'no');
    await page.click('#pause button:text-is("Pause")');
    await page.waitForSelector('#flash');
    assert.match(await page.locator('#flash').innerText(), /paused by hand/);
    assert.equal((await annotations('web'))['latency-scaler.io/paused'], 'true');
    assert.equal(await fact(page, 'paused'), 'yes');
    await page.click('#pause button:text-is("Resume")');
    await page.waitForSelector('#flash');
    assert.match(await page.locator('#flash').innerText(), /resumed by hand/);
    assert.equal((await annotations('web'))['latency-scaler.io/paused'], undefined);
    assert.equal(await fact(page, 'paused'), 'no');
    // The CLI's pause is the same code: the page's live part shows it, and resume takes it off.
    const web = join(dir, 'fleet', 'web.yaml');
    const paused = await runBundle(['pause', '-c', web, '-o', 'text'], { env });
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /Deployment console\/web paused by hand/);
    await page.locator('#now [data-fact="paused"]', { hasText: 'yes' }).waitFor({ timeout: 15_000 });
    assert.equal((await runBundle(['resume', '-c', web], { env })).code, 0);
    assert.equal((await annotations('web'))['latency-scaler.io/paused'], undefined);
    await page.close();
  });

  it("a second tab's stale form loses with a message, and changes nothing", async () => {
    const first = await tab();
    const second = await tab();
    await openTarget(first, `Deployment ${NS}/web`);
    await openTarget(second, `Deployment ${NS}/web`);
    await first.fill('#set-replicas input[name="replicas"]', '4');
    await first.click('#set-replicas button');
    await first.waitForSelector('#flash.ok');
    assert.equal(await replicasOf(kube, APPS, NS, 'web'), 4);
    const version = (await configMap('web')).metadata.resourceVersion;
    // The second tab still shows 3 and the old version; its live part says the page is stale.
    await second.locator('#moved').waitFor({ timeout: 15_000 });
    await second.fill('#set-replicas input[name="replicas"]', '2');
    await second.click('#set-replicas button');
    await second.waitForSelector('#flash.error');
    const said = await second.locator('#flash').innerText();
    assert.match(
      said,
      /changed since it was shown \(version \d+, now \d+\): a run or someone else acted first; nothing changed/,
    );
    assert.equal(await replicasOf(kube, APPS, NS, 'web'), 4, 'the stale form changed no replicas');
    assert.equal((await configMap('web')).metadata.resourceVersion, version, 'nor the state');
    await shot(second, 'stale-tab');
    await Promise.all([first.close(), second.close()]);
  });

  it('a POST without the CSRF token, or from another origin, is refused and changes nothing', async () => {
    const page = await tab();
    await openTarget(page, `Deployment ${NS}/web`);
    const action = new URL((await page.locator('#set-replicas').getAttribute('action'))!, served.base).href;
    const fields = { replicas: '1', seenVersion: '-', seenReplicas: '4' };
    const without = await page.request.post(action, { form: fields, maxRedirects: 0 });
    assert.equal(without.status(), 403);
    assert.match(await without.text(), /no CSRF token/);
    const csrf = await page.locator('#set-replicas input[name="csrf"]').getAttribute('value');
    const foreign = await page.request.post(action, {
      form: { ...fields, csrf: csrf! },
      headers: { origin: 'http://evil.example' },
      maxRedirects: 0,
    });
    assert.equal(foreign.status(), 403);
    assert.match(await foreign.text(), /another origin/);
    const wrong = await page.request.post(action, { form: { ...fields, csrf: 'x'.repeat(32) }, maxRedirects: 0 });
    assert.equal(wrong.status(), 403);
    assert.equal(await replicasOf(kube, APPS, NS, 'web'), 4);
    await page.close();
  });

  it('bad input on the page: a message naming what and why; nothing changed', async () => {
    const page = await tab();
    await openTarget(page, `Deployment ${NS}/web`);
    const version = (await configMap('web')).metadata.resourceVersion;
    const submit = async (value: string, force = false): Promise<string> => {
      await page.fill('#set-replicas input[name="replicas"]', value);
      if (force) await page.check('#set-replicas input[name="force"]');
      await page.click('#set-replicas button');
      await page.waitForSelector('#flash, .confirm');
      return page.locator('#flash, .confirm-text').first().innerText();
    };
    assert.equal(await submit('2.5'), 'replicas: "2.5" is not a whole number ≥ 0. Nothing changed.');
    assert.equal(await submit('-1'), 'replicas: "-1" is not a whole number ≥ 0. Nothing changed.');
    assert.equal(
      await submit('9'),
      'replicas: 9 is outside replicas.min..max (1..5); tick "force" to set it anyway. Nothing changed.',
    );
    await shot(page, 'bad-input');
    // Forced: asked first; confirmed, set.
    assert.match(await submit('6', true), /Set 6 replicas, outside replicas.min..max \(1..5\)/);
    await shot(page, 'confirm');
    assert.equal(await replicasOf(kube, APPS, NS, 'web'), 4, 'asking changed nothing');
    assert.equal((await configMap('web')).metadata.resourceVersion, version);
    await page.click('.confirm button');
    await page.waitForSelector('#flash.ok');
    assert.match(await page.locator('#flash').innerText(), /manual set 4→6 \(forced\)/);
    assert.equal(await replicasOf(kube, APPS, NS, 'web'), 6);
    await page.close();
  });

  it('an API server that refuses, and a target that is gone: the words of the failure; nothing changed', async () => {
    const page = await tab();
    await openTarget(page, `Deployment ${NS}/web`);
    const before = await configMap('web');
    proxy.inject({
      method: 'PATCH',
      path: new RegExp(`/namespaces/${NS}/deployments/web/scale`),
      times: Infinity,
      fault: { kind: 'status', status: 500, body: '{"kind":"Status","message":"etcdserver: request timed out"}' },
    });
    await page.fill('#set-replicas input[name="replicas"]', '5');
    await page.click('#set-replicas button');
    await page.waitForSelector('#flash.error', { timeout: 20_000 });
    const said = await page.locator('#flash').innerText();
    proxy.clear();
    assert.match(
      said,
      /manual set 6→5 failed: patch deployments\/scale web in namespace console failed: the API server answered HTTP 500: etcdserver: request timed out/,
    );
    assert.equal(await replicasOf(kube, APPS, NS, 'web'), 6);
    const record = (cm: { data: Record<string, string> }) => JSON.parse(cm.data['state.json']!);
    const [was, now] = [record(before), record(await configMap('web'))];
    assert.equal(now.lastReplicas, was.lastReplicas, 'the claim was put back');
    assert.deepEqual(now.history, was.history);

    await openTarget(page, `Deployment ${NS}/api`);
    await kube.api('DELETE', `/apis/apps/v1/namespaces/${NS}/deployments/api`);
    await page.fill('#set-replicas input[name="replicas"]', '2');
    await page.click('#set-replicas button');
    await page.waitForSelector('#flash.error');
    assert.match(
      await page.locator('#flash').innerText(),
      /Deployment "api" not found in namespace "console": check target.name/,
    );
    await page.close();
  });

  it('the webhook: set through its PUT, its own ready count shown; its pause is its own', async () => {
    const page = await tab();
    await openTarget(page, `http ${new URL(hook.url).origin}/replicas`);
    assert.match(await page.locator('#pause').innerText(), /keeps its pause itself/);
    await page.fill('#set-replicas input[name="replicas"]', '3');
    await page.click('#set-replicas button');
    await page.waitForSelector('#flash.ok');
    assert.equal(hook.replicas, 3);
    assert.match(await page.locator('#flash').innerText(), /now reports 3 desired, 2 ready/);
    hook.readyReplicas = 3;
    await page.locator('#now [data-fact="ready"]', { hasText: '3 of 3' }).waitFor({ timeout: 15_000 });
    await shot(page, 'target-webhook');
    await page.close();
  });

  it("reset the state: asked first, then cleared; a stale tab's reset loses", async () => {
    const stale = await tab();
    const page = await tab();
    const title = `http ${new URL(hook.url).origin}/replicas`;
    await openTarget(stale, title);
    await openTarget(page, title);
    await page.click('#reset button');
    await page.waitForSelector('.confirm');
    assert.match(await page.locator('.confirm-text').innerText(), /Clear the record in file .*hook-state\.json\?/);
    assert.ok(existsSync(join(dir, 'hook-state.json')), 'asking changed nothing');
    await page.click('.confirm button');
    await page.waitForSelector('#flash.ok');
    assert.match(await page.locator('#flash').innerText(), /hook-state\.json: state cleared/);
    assert.ok(!existsSync(join(dir, 'hook-state.json')));
    assert.match(await page.locator('#record').innerText(), /No record yet/);
    // A run writes a new record; the tab loaded before the reset still carries the old version.
    const r = await runBundle(['run', '-c', join(dir, 'fleet', 'hook.yaml')], { env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    await stale.click('#reset button');
    await stale.click('.confirm button');
    await stale.waitForSelector('#flash.error');
    assert.match(
      await stale.locator('#flash').innerText(),
      /the state in file .* changed since it was shown .*nothing changed/,
    );
    assert.ok(existsSync(join(dir, 'hook-state.json')), "the new run's record is kept");
    await Promise.all([stale.close(), page.close()]);
  });

  it("Locust workers: the master's count beside the Deployment's ready pods, a mismatch flagged, rescaled", async () => {
    const page = await tab();
    await openTarget(page, `Deployment ${NS}/queue`);
    assert.equal(await page.locator('[data-fact="master-workers"]').innerText(), '1 usable (1 ready)');
    assert.equal(await page.locator('[data-fact="worker-pods"]').innerText(), '2 ready of 2');
    assert.match(
      await page.locator('#workers-mismatch').innerText(),
      /the master counts 1 usable worker, the Deployment has 2 ready pods \(1 ready pod the master does not count/,
    );
    await shot(page, 'target-locust');
    await page.fill('#workers input[name="replicas"]', '1');
    await page.click('#workers button');
    await page.waitForSelector('#flash.ok');
    assert.match(
      await page.locator('#flash').innerText(),
      /worker pods 2→1: the Deployment reports .*; the master counts 1 usable/,
    );
    assert.equal(await replicasOf(kube, APPS, NS, 'locust-worker'), 1);
    await until(
      'the mismatch to clear',
      async () => ((await page.locator('#workers-mismatch').count()) === 0 ? true : undefined),
      20_000,
    );
    await page.close();
  });

  it('without the scale rights the form is disabled and a POST refused, the verb and resource named; nothing changed', async () => {
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'reader' },
      rules: [
        { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'], verbs: ['get', 'list'] },
        { apiGroups: [''], resources: ['configmaps', 'events'], verbs: ['get', 'list', 'update'] },
      ],
    };
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: NS }],
    };
    await create(kube, [role as never, binding as never], NS);
    const kubeconfig = kube.kubeconfigForToken(await kube.tokenFor(NS, 'reader'), NS);
    const reader = await startServe(['-c', join(dir, 'fleet', 'web.yaml')], { KUBECONFIG: kubeconfig });
    try {
      const page = await browser.context.newPage();
      await page.goto(reader.base);
      await page.click('td.name a');
      const denied = await page.locator('#actions .denied').first().innerText();
      assert.match(denied, /forbidden: the service account may not patch deployments\/scale web in namespace console/);
      assert.ok(await page.locator('#set-replicas button').isDisabled());
      // Submitted anyway (a page that was loaded before the Role changed): refused before any claim.
      const csrf = await page.locator('#set-replicas input[name="csrf"]').getAttribute('value');
      const seenVersion = await page.locator('#set-replicas input[name="seenVersion"]').getAttribute('value');
      const answer = await page.request.post(
        new URL((await page.locator('#set-replicas').getAttribute('action'))!, reader.base).href,
        {
          form: { replicas: '2', csrf: csrf!, seenVersion: seenVersion!, seenReplicas: '6' },
        },
      );
      assert.match(
        await answer.text(),
        /forbidden: the service account may not patch deployments\/scale web in namespace console\. Add this rule/,
      );
      assert.equal(await replicasOf(kube, APPS, NS, 'web'), 6);
      await shot(page, 'forbidden');
      await page.close();
    } finally {
      assert.equal(await reader.stop(), 0, 'Ctrl-C stops the console with exit 0');
    }
  });

  it('jobs/console as kustomize renders it: accepted by the API server, and its Role allows every action', async () => {
    const ns = await namespace(kube, 'console-recipe');
    const objects = (loadAll(kustomizeBuild('jobs/console')) as Obj[]).filter(Boolean);
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
      'Deployment',
      'NetworkPolicy',
      'Role',
      'RoleBinding',
      'ServiceAccount',
    ]);
    const consoleDeployment = objects.find((o) => o.kind === 'Deployment') as Obj & { spec: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const container = consoleDeployment.spec.template.spec.containers[0];
    assert.deepEqual(container.args.slice(0, 1), ['serve']);
    assert.ok(container.args.includes('0.0.0.0'), 'listens on the pod address, for port-forward');
    assert.deepEqual(container.env[0].valueFrom, { secretKeyRef: { name: 'latency-scaler-console', key: 'token' } });
    assert.equal(consoleDeployment.spec.template.spec.serviceAccountName, 'latency-scaler-console');
    await create(kube, objects.filter((o) => o.kind === 'Deployment') as never, ns, { dryRun: true });
    // The Role and the objects it names (jobs/base's state ConfigMap, the fibonacci Deployment), for real.
    await create(
      kube,
      [
        ...(objects.filter((o) => o.kind !== 'Deployment') as never[]),
        ...manifests('jobs/base/state-configmap.yaml'),
        deployment('fibonacci', 1),
      ],
      ns,
    );
    await settle(kube, APPS, ns, 'fibonacci');
    writeFileSync(join(dir, 'fibonacci.yaml'), member('fibonacci').replace(`namespace: ${NS}`, `namespace: ${ns}`));
    const token = await kube.tokenFor(ns, 'latency-scaler-console');
    const recipe = await startServe(['-c', join(dir, 'fibonacci.yaml')], {
      KUBECONFIG: kube.kubeconfigForToken(token, ns),
      [TOKEN_ENV]: 'a-token-from-the-secret-0123',
    });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${recipe.base}?token=a-token-from-the-secret-0123`);
      await page.click('td.name a');
      assert.equal(await page.locator('.denied').count(), 0, await page.locator('main').innerText());
      await page.click('#pause button:text-is("Pause")');
      await page.waitForSelector('#flash.ok');
      await page.fill('#set-replicas input[name="replicas"]', '2');
      await page.check('#set-replicas input[name="force"]'); // paused: forced, and asked first
      await page.click('#set-replicas button');
      await page.click('.confirm button');
      await page.waitForSelector('#flash.ok');
      assert.equal(await replicasOf(kube, APPS, ns, 'fibonacci'), 2);
      assert.match(await page.locator('#events').innerText(), /ManualScale/);
      await page.close();
    } finally {
      await recipe.stop();
    }
  });

  it('bound to a non-loopback address: the token printed once is needed on every request', async () => {
    const open = await startServe(['-c', join(dir, 'fleet', 'hook.yaml'), '--address', '0.0.0.0'], {});
    try {
      assert.match(open.line, /\?token=[A-Za-z0-9_-]{32} .*token made for this run/);
      const token = new URL(open.url).searchParams.get('token')!;
      const local = open.base.replace('0.0.0.0', '127.0.0.1');
      const page = await browser.context.newPage();
      const refused = await page.request.get(local);
      assert.equal(refused.status(), 401);
      assert.doesNotMatch(await refused.text(), /replicas/);
      for (const path of ['console.js', 'fragment/overview'])
        assert.equal((await page.request.get(local + path)).status(), 401);
      await page.goto(`${local}?token=${token}`);
      assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
      assert.equal(await page.locator('td.name a').count(), 1);
      assert.equal((await page.request.get(`${local}fragment/overview`)).status(), 200, 'then the cookie carries it');
      assert.ok(!open.stderr().includes(token), 'the token is never logged');
      await page.close();
    } finally {
      await open.stop();
    }
  });
});
