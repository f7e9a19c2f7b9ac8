// A real Kubernetes control plane for integration tests: etcd and kube-apiserver on 127.0.0.1 with
// generated certificates, RBAC authorization and service-account token signing (TokenRequest), and
// the controllers a Deployment and a CronJob meet in a cluster: kube-controller-manager (the
// CONTROLLERS below), kube-scheduler, and kwok, which plays the kubelet of one fake node (test/harness/kube/kwok-stages.yaml): pods are
// scheduled, become Ready after their pod-ready.stage.kwok.x-k8s.io/delay annotation, and Job pods
// complete when a test has run their program and annotates them test.latency-scaler.io/exited=0.
// Not run: the HPA controller (tests create HPAs as conflicting neighbours, never to act) and
// everything cloud, network or volume related.
// Binaries come from test/harness/kube/build.sh (built once, cached outside the repo).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtPath } from './built.ts';
import { Agent, request } from 'undici';
import { freePort } from './ports.ts';

export interface KubeCluster {
  server: string;
  /** Admin kubeconfig: a client certificate in system:masters. */
  kubeconfigPath: string;
  caPath: string;
  dir: string;
  /** Raw admin API call; JSON in and out (the body is the text when it is not JSON). */
  api(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Creates the ServiceAccount if missing and returns a TokenRequest token for it (1 h). */
  tokenFor(namespace: string, serviceAccount: string): Promise<string>;
  /** Writes a kubeconfig that authenticates with that bearer token; returns its path (sync: awaiting it works too). */
  kubeconfigForToken(token: string, namespace?: string): string;
  /** The cluster's processes (etcd, kube-apiserver, the controllers, kwok), to check none outlives stop(). */
  pids(): number[];
  stop(): Promise<void>;
}

const BUILD = fileURLToPath(new URL('./kube/build.sh', import.meta.url));
const KWOK_STAGES = fileURLToPath(new URL('./kube/kwok-stages.yaml', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
export const FAKE_NODE = 'kwok-node-0';
/** The controllers kube-controller-manager runs here (see the top of this file for what is left out). */
const CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'statefulset-controller',
  'job-controller',
  'cronjob-controller',
  'serviceaccount-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'root-ca-certificate-publisher-controller',
  'ttl-after-finished-controller',
  // Takes the not-ready taint (set on every new node) off the fake node once kwok reports it Ready.
  'node-lifecycle-controller',
];

interface Binaries {
  apiserver: string;
  etcd: string;
  controllerManager: string;
  scheduler: string;
  kwok: string;
}

/** Where build.sh keeps the binaries; throws if they are not built (a test must not start the build). */
export function kubeBinaries(): Binaries {
  const bin = builtPath(BUILD, 'KUBE_BUILD_CHECK_ONLY');
  const binaries: Binaries = {
    apiserver: join(bin, 'kube-apiserver'),
    etcd: join(bin, 'etcd'),
    controllerManager: join(bin, 'kube-controller-manager'),
    scheduler: join(bin, 'kube-scheduler'),
    kwok: join(bin, 'kwok'),
  };
  const missing = Object.values(binaries).filter((b) => !existsSync(b));
  if (!bin || missing.length > 0) {
    const where = bin || '(build.sh printed nothing)';
    throw new Error(
      `the test cluster's binaries are not built (${missing.join(', ')}): run 'bash test/harness/kube/build.sh' ` +
        `(about 10-15 min once; npm test does it) — looked in ${where}`,
    );
  }
  return binaries;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCertificates(dir: string): void {
  // P-256 for the TLS keys: generating three RSA keys costs up to a second, EC keys a few ms.
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  openssl(
    dir,
    'req',
    '-x509',
    ...ec,
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=latency-scaler-test-ca',
  );
  const sign = (name: string, subject: string, ext: string): void => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(dir, 'req', ...ec, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  sign('server', '/CN=kube-apiserver', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  // The apiserver maps O to groups and CN to the user name: system:masters bypasses RBAC.
  sign('admin', '/O=system:masters/CN=admin', 'extendedKeyUsage=clientAuth\n');
  // Service-account tokens are signed RS256 (the apiserver's default; ES256 would also do).
  openssl(dir, 'genrsa', '-out', 'sa.key', '2048');
  openssl(dir, 'rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
}

// Whatever a crashed test leaves behind is killed (and its directory removed) when Node exits.
const live = new Map<ChildProcess, string>();
process.on('exit', () => {
  for (const [child, dir] of live) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Output goes straight to a file in dir: nothing to drain, and the tail is there on failure. */
function start(cmd: string, args: string[], dir: string, log: string): ChildProcess {
  const fd = openSync(join(dir, log), 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  live.set(child, dir);
  child.once('exit', () => live.delete(child));
  return child;
}

function tail(dir: string, log: string, lines = 40): string {
  try {
    return readFileSync(join(dir, log), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export interface KubeOptions {
  signal?: AbortSignal;
  /** The fake node's allocatable (and capacity) CPU, e.g. '1' (kwok's default: 1k, room for anything). */
  nodeCpu?: string;
}

export async function startKube(opts: KubeOptions = {}): Promise<KubeCluster> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const bins = kubeBinaries();
  const { apiserver, etcd } = bins;
  const dir = mkdtempSync(join(tmpdir(), 'scaler-kube-'));
  const caPath = join(dir, 'ca.crt');
  let etcdProc: ChildProcess | undefined;
  let apiProc: ChildProcess | undefined;
  const controllers: ChildProcess[] = [];
  let agent: Agent | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      signal?.removeEventListener('abort', onAbort);
      await agent?.close().catch(() => {});
      // The controllers, then the apiserver: each would otherwise log the other's absence while stopping.
      await Promise.all(controllers.map(stopProcess));
      if (apiProc) await stopProcess(apiProc);
      if (etcdProc) await stopProcess(etcdProc);
      rmSync(dir, { recursive: true, force: true });
    })());
  const onAbort = (): void => void stop();
  signal?.addEventListener('abort', onAbort, { once: true });

  try {
    makeCertificates(dir);
    const [etcdClient, etcdPeer, securePort] = await Promise.all([freePort(), freePort(), freePort()]);
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    etcdProc = start(
      etcd,
      [
        '--data-dir',
        join(dir, 'etcd'),
        '--listen-client-urls',
        etcdUrl,
        '--advertise-client-urls',
        etcdUrl,
        '--listen-peer-urls',
        `http://127.0.0.1:${etcdPeer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${etcdPeer}`,
        '--initial-cluster',
        `default=http://127.0.0.1:${etcdPeer}`,
        // Throwaway data: fsync only makes writes slow.
        '--unsafe-no-fsync',
        '--log-level',
        'warn',
      ],
      dir,
      'etcd.log',
    );
    const server = `https://127.0.0.1:${securePort}`;
    apiProc = start(
      apiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${securePort}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${join(dir, 'server.crt')}`,
        `--tls-private-key-file=${join(dir, 'server.key')}`,
        `--client-ca-file=${caPath}`,
        '--authorization-mode=RBAC',
        // TokenRequest needs an issuer and a signing key; the public key verifies the tokens it issues.
        `--service-account-issuer=${server}`,
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--api-audiences=https://kubernetes.default.svc',
        '--service-cluster-ip-range=10.96.0.0/16',
        // Required: the endpoint reconciler refuses a loopback advertise address (and there is nothing to reconcile).
        '--endpoint-reconciler-type=none',
        '--allow-privileged=true',
        '--v=0',
      ],
      dir,
      'apiserver.log',
    );

    const ca = readFileSync(caPath);
    agent = new Agent({
      connect: { ca, cert: readFileSync(join(dir, 'admin.crt')), key: readFileSync(join(dir, 'admin.key')) },
    });
    const dispatcher = agent;
    const api: KubeCluster['api'] = async (method, path, body, contentType = 'application/json') => {
      const res = await request(`${server}${path}`, {
        method: method as 'GET',
        dispatcher,
        headers: { 'content-type': contentType, accept: 'application/json' },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.statusCode, body: parsed };
    };

    // /readyz turns 200 before the bootstrap controller has created the default namespace.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const ok = (path: string): Promise<boolean> =>
      api('GET', path).then(
        (r) => r.status === 200,
        () => false,
      );
    for (;;) {
      signal?.throwIfAborted();
      if (apiProc.exitCode !== null || etcdProc.exitCode !== null)
        throw new Error(`${apiProc.exitCode !== null ? 'kube-apiserver' : 'etcd'} exited during start-up`);
      if ((await ok('/readyz')) && (await ok('/api/v1/namespaces/default'))) break;
      if (Date.now() > deadline) throw new Error(`not ready within ${READY_TIMEOUT_MS / 1000}s`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    writeFileSync(
      kubeconfigPath,
      kubeconfig(server, caPath, {
        'client-certificate': join(dir, 'admin.crt'),
        'client-key': join(dir, 'admin.key'),
      }),
    );
    controllers.push(...(await startControllers(bins, dir, kubeconfigPath, caPath)));
    await waitForControllers(api, controllers, deadline, signal, opts.nodeCpu);
    let n = 0;
    return {
      server,
      kubeconfigPath,
      caPath,
      dir,
      api,
      stop,
      pids: () => [etcdProc, apiProc, ...controllers].flatMap((p) => (p?.pid === undefined ? [] : [p.pid])),
      async tokenFor(namespace, serviceAccount) {
        const created = await api('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, {
          metadata: { name: serviceAccount },
        });
        if (created.status !== 201 && created.status !== 409)
          throw new Error(
            `creating ServiceAccount ${namespace}/${serviceAccount}: ${created.status} ${JSON.stringify(created.body)}`,
          );
        const r = await api('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 3600 },
        });
        if (r.status !== 201)
          throw new Error(`TokenRequest for ${namespace}/${serviceAccount}: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body.status.token as string;
      },
      kubeconfigForToken(token, namespace = 'default') {
        const path = join(dir, `token-${++n}.kubeconfig`);
        writeFileSync(path, kubeconfig(server, caPath, { token }, namespace));
        return path;
      },
    };
  } catch (e) {
    const logs = ['apiserver', 'controller-manager', 'scheduler', 'kwok', 'etcd']
      .map((name) => `--- ${name} log (tail) ---\n${tail(dir, `${name}.log`, 15)}`)
      .join('\n');
    await stop();
    if (signal?.aborted) throw e;
    throw new Error(`the test cluster did not start: ${(e as Error).message}\n${logs}`, { cause: e });
  }
}

async function startControllers(
  bins: Binaries,
  dir: string,
  kubeconfigPath: string,
  caPath: string,
): Promise<ChildProcess[]> {
  const [cmPort, schedulerPort, kwokPort] = await Promise.all([freePort(), freePort(), freePort()]);
  // Their own serving endpoints (health, metrics) bind to loopback with self-signed certificates in dir.
  const serving = (port: number, name: string) => [
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, name)}`,
  ];
  const controllerManager = start(
    bins.controllerManager,
    [
      `--kubeconfig=${kubeconfigPath}`,
      '--leader-elect=false',
      `--controllers=${CONTROLLERS.join(',')}`,
      `--root-ca-file=${caPath}`,
      ...serving(cmPort, 'controller-manager'),
      '--v=0',
    ],
    dir,
    'controller-manager.log',
  );
  const scheduler = start(
    bins.scheduler,
    [`--kubeconfig=${kubeconfigPath}`, '--leader-elect=false', ...serving(schedulerPort, 'scheduler'), '--v=0'],
    dir,
    'scheduler.log',
  );
  const kwok = start(
    bins.kwok,
    [
      `--kubeconfig=${kubeconfigPath}`,
      `--config=${KWOK_STAGES}`,
      `--manage-single-node=${FAKE_NODE}`,
      `--server-address=127.0.0.1:${kwokPort}`,
      '--node-ip=127.0.0.1',
      // The node's heartbeat for the node lifecycle controller: kwok renews its Lease.
      '--node-lease-duration-seconds=40',
      '--cidr=10.0.0.1/16',
    ],
    dir,
    'kwok.log',
  );
  return [controllerManager, scheduler, kwok];
}

/** The fake node is created, Ready and untainted, and the controllers have made the default ServiceAccount. */
async function waitForControllers(
  api: KubeCluster['api'],
  procs: ChildProcess[],
  deadline: number,
  signal: AbortSignal | undefined,
  cpu?: string,
): Promise<void> {
  // A node registers with its resources (kwok keeps them); without, kwok gives it 1k CPUs.
  const resources = cpu ? { cpu, memory: '1Ti', pods: '110' } : undefined;
  const node = await api('POST', '/api/v1/nodes', {
    metadata: { name: FAKE_NODE, labels: { type: 'kwok', 'kubernetes.io/hostname': FAKE_NODE } },
    ...(resources ? { status: { allocatable: resources, capacity: resources } } : {}),
  });
  if (node.status !== 201) throw new Error(`creating node ${FAKE_NODE}: ${node.status} ${JSON.stringify(node.body)}`);
  const names = ['kube-controller-manager', 'kube-scheduler', 'kwok'];
  for (;;) {
    signal?.throwIfAborted();
    const exited = procs.findIndex((p) => p.exitCode !== null || p.signalCode !== null);
    if (exited >= 0) throw new Error(`${names[exited]} exited during start-up`);
    const [n, sa] = await Promise.all([
      api('GET', `/api/v1/nodes/${FAKE_NODE}`),
      api('GET', '/api/v1/namespaces/default/serviceaccounts/default'),
    ]);
    const ready = (n.body?.status?.conditions ?? []).some(
      (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
    );
    const schedulable = (n.body?.spec?.taints ?? []).length === 0; // the lifecycle controller took not-ready off
    if (ready && schedulable && sa.status === 200) return;
    if (Date.now() > deadline)
      throw new Error(`node ${FAKE_NODE} not Ready and schedulable, or no default ServiceAccount`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function kubeconfig(server: string, caPath: string, user: Record<string, string>, namespace = 'default'): string {
  // JSON is YAML: KubeConfig.loadFromFile and kubectl both read it.
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'test',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority': caPath } }],
    users: [{ name: 'test', user }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test', namespace } }],
  });
}
