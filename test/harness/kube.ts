// A real Kubernetes API server for integration tests: etcd and kube-apiserver on 127.0.0.1 with
// generated certificates, RBAC authorization and service-account token signing (TokenRequest).
// No controller-manager runs: Deployments get no pods and no status unless a test writes it, and
// no ServiceAccount is created for a namespace (tokenFor creates the one it needs).
// Binaries come from test/harness/kube/build.sh (built once, cached outside the repo).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  stop(): Promise<void>;
}

const BUILD = fileURLToPath(new URL('./kube/build.sh', import.meta.url));
const READY_TIMEOUT_MS = 60_000;

/** Where build.sh keeps the binaries; throws if they are not built (a test must not start the build). */
export function kubeBinaries(): { apiserver: string; etcd: string } {
  let bin = '';
  try {
    // build.sh owns the cache layout; in check-only mode it just prints the directory.
    bin = execFileSync('bash', [BUILD], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KUBE_BUILD_CHECK_ONLY: '1' },
      timeout: 10_000,
    }).trim();
  } catch {
    /* reported below */
  }
  const apiserver = join(bin, 'kube-apiserver');
  const etcd = join(bin, 'etcd');
  if (!bin || !existsSync(apiserver) || !existsSync(etcd)) {
    throw new Error(
      `kube-apiserver/etcd are not built: run 'bash test/harness/kube/build.sh' (about 5-10 min once; .ci/run does it) — looked in ${bin || '(build.sh printed nothing)'}`,
    );
  }
  return { apiserver, etcd };
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

export async function startKube(opts: { signal?: AbortSignal } = {}): Promise<KubeCluster> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const { apiserver, etcd } = kubeBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'scaler-kube-'));
  const caPath = join(dir, 'ca.crt');
  let etcdProc: ChildProcess | undefined;
  let apiProc: ChildProcess | undefined;
  let agent: Agent | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      signal?.removeEventListener('abort', onAbort);
      await agent?.close().catch(() => {});
      // The apiserver first: it would otherwise log etcd reconnect errors while shutting down.
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
    let n = 0;
    return {
      server,
      kubeconfigPath,
      caPath,
      dir,
      api,
      stop,
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
    const logs = `--- kube-apiserver log (tail) ---\n${tail(dir, 'apiserver.log')}\n--- etcd log (tail) ---\n${tail(dir, 'etcd.log', 15)}`;
    await stop();
    if (signal?.aborted) throw e;
    throw new Error(`kube-apiserver did not start: ${(e as Error).message}\n${logs}`, { cause: e });
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
