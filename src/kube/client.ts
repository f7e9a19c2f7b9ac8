// The one module that imports @kubernetes/client-node, loaded lazily (await import) by the target
// and state factories, so runs without Kubernetes never load it (BUILD-NOTES: import named parts
// through a local module; a bare dynamic import of the package defeats tree-shaking).
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { ConfigError } from '../errors.ts';
import { markLoaded } from '../loaded.ts';

markLoaded('kubernetes client');

export { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, Observable, PatchStrategy, setHeaderOptions };
export type { ConfigurationOptions, CoreV1Event, V1ConfigMap, V1Pod } from '@kubernetes/client-node';

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  server: string;
}

/** An EKS token is accepted for 15 minutes: clients built on one are rebuilt after 10. */
export const EKS_TOKEN_REUSE_MS = 10 * 60_000;

let cached: { clients: KubeClients; key: string; expiresAt: number } | undefined;

export interface KubeClientDeps {
  now?: () => number;
  /** Makes an EKS bearer token (tests count the calls); default: eksToken with the default credential chain. */
  mintEksToken?: (cluster: string, region: string) => Promise<string>;
  /** Where ~/.kube/config is looked for (tests point HOME elsewhere). */
  home?: string | undefined;
}

/**
 * In a pod: the service account. In AWS Lambda for EKS (SCALER_EKS_CLUSTER, SCALER_EKS_ENDPOINT,
 * SCALER_EKS_CA_DATA): a token made like `aws eks get-token`, renewed before it expires (a warm
 * Lambda keeps the process for hours). Else KUBECONFIG / ~/.kube/config. No configuration at all
 * is an input error, said plainly, before any load is sent.
 */
export async function kubeClients(
  env: Record<string, string | undefined> = process.env,
  deps: KubeClientDeps = {},
): Promise<KubeClients> {
  const now = (deps.now ?? Date.now)();
  const eks = env['SCALER_EKS_CLUSTER'];
  const key = JSON.stringify([eks, env['SCALER_EKS_ENDPOINT'], env['KUBECONFIG'], env['KUBERNETES_SERVICE_HOST']]);
  if (cached && cached.key === key && now < cached.expiresAt) return cached.clients;
  const kc = new KubeConfig();
  let expiresAt = Number.POSITIVE_INFINITY;
  if (eks) {
    const server = env['SCALER_EKS_ENDPOINT'];
    const caData = env['SCALER_EKS_CA_DATA'];
    const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
    const missing = [!server && 'SCALER_EKS_ENDPOINT', !caData && 'SCALER_EKS_CA_DATA', !region && 'AWS_REGION'];
    const issues = missing
      .filter((m): m is string => Boolean(m))
      .map((m) => ({ path: `environment ${m}`, message: `is required with SCALER_EKS_CLUSTER=${eks}` }));
    if (issues.length) throw new ConfigError(issues);
    const mint = deps.mintEksToken ?? mintEksToken;
    const token = await mint(eks, region!);
    const { eksKubeConfig } = await import('../aws/eks-token.ts');
    kc.loadFromOptions(eksKubeConfig({ clusterName: eks, server: server!, caData: caData!, token }));
    expiresAt = now + EKS_TOKEN_REUSE_MS;
  } else if (env['KUBERNETES_SERVICE_HOST'] && existsSync(SA_TOKEN) && !env['KUBECONFIG']) {
    kc.loadFromCluster();
  } else {
    loadKubeconfig(kc, env, deps.home);
  }
  const clients = createKubeClients(kc);
  cached = { clients, key, expiresAt };
  return clients;
}

async function mintEksToken(cluster: string, region: string): Promise<string> {
  const { eksToken } = await import('../aws/eks-token.ts');
  const { defaultProvider } = await import('../aws/credentials.ts');
  return eksToken({ clusterName: cluster, region, credentials: defaultProvider() });
}

/**
 * KUBECONFIG (a list of files) or ~/.kube/config, as kubectl reads them. With neither, the client
 * library would silently fall back to http://localhost:8080 and fail later with a TLS message; say
 * instead that no cluster is configured, where we looked, and the two ways on.
 */
function loadKubeconfig(kc: KubeConfig, env: Record<string, string | undefined>, home = env['HOME']): void {
  const listed = (env['KUBECONFIG'] ?? '').split(delimiter).filter(Boolean);
  const files = listed.length > 0 ? listed : home ? [join(home, '.kube', 'config')] : [];
  const found = files.filter((f) => existsSync(f));
  if (found.length === 0) {
    const looked =
      listed.length > 0
        ? `KUBECONFIG=${listed.join(delimiter)} (no such file)`
        : `KUBECONFIG (unset), ${files[0] ?? '~/.kube/config'} (no such file), a pod's service account (not in a pod)`;
    const message =
      `no Kubernetes cluster is configured: looked at ${looked}. Set KUBECONFIG to a kubeconfig file,` +
      ' or try it without a cluster: target: { kind: http, url: … } (a webhook), or npm run demo';
    throw new ConfigError([{ path: 'kubeconfig', message }]);
  }
  try {
    if (found.length === 1) kc.loadFromFile(found[0]!);
    else kc.loadFromDefault({}, false);
  } catch (err) {
    throw new ConfigError([
      { path: 'kubeconfig', message: `cannot read ${found.join(', ')}: ${(err as Error).message}` },
    ]);
  }
}

/** Clients for a given config; TLS is always verified. */
export function createKubeClients(kc: KubeConfig): KubeClients {
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new ConfigError([
      {
        path: 'kubeconfig',
        message:
          'no current cluster: set KUBECONFIG to a kubeconfig file, or run in a pod with a service account ' +
          `(current context ${JSON.stringify(kc.getCurrentContext())})`,
      },
    ]);
  }
  if (cluster.skipTLSVerify) {
    throw new ConfigError([
      {
        path: 'kubeconfig',
        message:
          `cluster ${JSON.stringify(cluster.name)} sets insecure-skip-tls-verify; latency-scaler always verifies ` +
          "the API server's certificate: give certificate-authority(-data) instead",
      },
    ]);
  }
  return { kc, core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi), server: cluster.server };
}

export function kubeClientsFromFile(path: string): KubeClients {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return createKubeClients(kc);
}
