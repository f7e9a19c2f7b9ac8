// A real Kubernetes API server for integration tests: etcd and kube-apiserver on 127.0.0.1 with
// generated certificates, RBAC authorization and service-account token signing (TokenRequest).
// No controller-manager runs: Deployments get no pods and no status unless a test writes it.
// Binaries come from test/harness/kube/build.sh (built once, cached outside the repo).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';
import { Agent, request } from 'undici';

export interface KubeCluster {
  server: string;
  kubeconfigPath: string; // admin: a client certificate in system:masters
  caPath: string;
  dir: string;
  /** Raw admin API call; JSON in and out. */
  api(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Creates the ServiceAccount if missing and returns a TokenRequest token for it. */
  tokenFor(namespace: string, serviceAccount: string): Promise<string>;
  /** Writes a kubeconfig that authenticates with that bearer token; returns its path. */
  kubeconfigForToken(token: string, namespace?: string): string;
  stop(): Promise<void>;
}

const BUILD = fileURLToPath(new URL('./kube/build.sh', import.meta.url));

export function kubeBinaries(): { apiserver: string; etcd: string } {
  let bin: string;
  try {
    bin = execFileSync('bash', [BUILD], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBE_BUILD_CHECK_ONLY: '1' }, timeout: 5000 }).trim();
  } catch {
    bin = '';
  }
  const apiserver = join(bin, 'kube-apiserver');
  const etcd = join(bin, 'etcd');
  if (!bin || !existsSync(apiserver) || !existsSync(etcd)) {
    throw new Error(`kube-apiserver/etcd are not built: run 'bash test/harness/kube/build.sh' (.ci/run does) — looked in ${bin || '(nothing printed)'}`);
  }
  return { apiserver, etcd };
}


function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function makeCertificates(dir: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=latency-scaler-test-ca');
  const sign = (name: string, subject: string, ext: string): void => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  };
  sign('server', '/CN=kube-apiserver', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  sign('admin', '/O=system:masters/CN=admin', 'extendedKeyUsage=clientAuth\n');
  openssl(dir, 'genrsa', '-out', 'sa.key', '2048');
  openssl(dir, 'rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

function start(cmd: string, args: string[], logPath: string): ChildProcess {
  const log = [] as Buffer[];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (c: Buffer): void => {
    log.push(c);
    if (log.length > 400) log.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('exit', () => {
    live.delete(child);
    writeFileSync(logPath, Buffer.concat(log));
  });
  (child as ChildProcess & { tail?: () => string }).tail = () => Buffer.concat(log).toString('utf8').split('\n').slice(-30).join('\n');
  live.add(child);
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function startKube(): Promise<KubeCluster> {
  const { apiserver, etcd } = kubeBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'scaler-kube-'));
  makeCertificates(dir);
  const [etcdClient, etcdPeer, securePort] = await Promise.all([freePort(), freePort(), freePort()]);
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const etcdProc = start(etcd, [
    '--data-dir', join(dir, 'etcd'), '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
    '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
    '--initial-cluster', `default=http://127.0.0.1:${etcdPeer}`, '--unsafe-no-fsync', '--log-level', 'warn',
  ], join(dir, 'etcd.log'));
  const server = `https://127.0.0.1:${securePort}`;
  const apiProc = start(apiserver, [
    `--etcd-servers=${etcdUrl}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${securePort}`,
    `--cert-dir=${dir}`, `--tls-cert-file=${join(dir, 'server.crt')}`, `--tls-private-key-file=${join(dir, 'server.key')}`,
    `--client-ca-file=${join(dir, 'ca.crt')}`, '--authorization-mode=RBAC',
    `--service-account-issuer=${server}`, `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--api-audiences=https://kubernetes.default.svc', '--service-cluster-ip-range=10.96.0.0/16',
    // The ServiceAccount admission plugin waits for token controllers that do not run here.
    '--disable-admission-plugins=ServiceAccount', '--allow-privileged=true', '--v=0',
    // No Service endpoints to reconcile here, and a loopback address may not be advertised.
    '--endpoint-reconciler-type=none',
  ], join(dir, 'apiserver.log'));

  const ca = readFileSync(join(dir, 'ca.crt'));
  const agent = new Agent({ connect: { ca, cert: readFileSync(join(dir, 'admin.crt')), key: readFileSync(join(dir, 'admin.key')) } });
  const api: KubeCluster['api'] = async (method, path, body, contentType = 'application/json') => {
    const res = await request(`${server}${path}`, { method: method as 'GET', dispatcher: agent, headers: { 'content-type': contentType, accept: 'application/json' }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch { /* not JSON */ }
    return { status: res.statusCode, body: parsed };
  };

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (apiProc.exitCode !== null || etcdProc.exitCode !== null) break;
    const ok = await api('GET', '/readyz').then((r) => r.status === 200, () => false);
    if (ok && (await api('GET', '/api/v1/namespaces/default').then((r) => r.status === 200, () => false))) break;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const ready = await api('GET', '/readyz').then((r) => r.status === 200, () => false);
  if (!ready) {
    const tail = (apiProc as ChildProcess & { tail: () => string }).tail();
    await Promise.all([stopProcess(apiProc), stopProcess(etcdProc)]);
    throw new Error(`kube-apiserver did not become ready:\n${tail}`);
  }

  const kubeconfigPath = join(dir, 'admin.kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(server, join(dir, 'ca.crt'), { 'client-certificate': join(dir, 'admin.crt'), 'client-key': join(dir, 'admin.key') }));

  let n = 0;
  return {
    server, kubeconfigPath, caPath: join(dir, 'ca.crt'), dir, api,
    async tokenFor(namespace, serviceAccount) {
      const created = await api('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: serviceAccount } });
      if (created.status !== 201 && created.status !== 409) throw new Error(`creating ServiceAccount: ${created.status} ${JSON.stringify(created.body)}`);
      const r = await api('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
      if (r.status !== 201) throw new Error(`TokenRequest: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.status.token as string;
    },
    kubeconfigForToken(token, namespace = 'default') {
      const path = join(dir, `token-${++n}.kubeconfig`);
      writeFileSync(path, kubeconfig(server, join(dir, 'ca.crt'), { token }, namespace));
      return path;
    },
    async stop() {
      await agent.close();
      await stopProcess(apiProc);
      await stopProcess(etcdProc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function kubeconfig(server: string, caPath: string, user: Record<string, string>, namespace = 'default'): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'test',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority': caPath } }],
    users: [{ name: 'test', user }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test', namespace } }],
  });
}
