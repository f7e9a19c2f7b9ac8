// The one module that imports @kubernetes/client-node, loaded lazily (await import) by the target
// and state factories, so runs without Kubernetes never load it (BUILD-NOTES: import named parts
// through a local module; a bare dynamic import of the package defeats tree-shaking).
import { existsSync } from 'node:fs';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ConfigError } from '../errors.ts';

export { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, PatchStrategy, setHeaderOptions };

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
  server: string;
}

let cached: KubeClients | undefined;

/**
 * In a pod: the service account. In AWS Lambda for EKS (SCALER_EKS_CLUSTER, SCALER_EKS_ENDPOINT,
 * SCALER_EKS_CA_DATA): a token made like `aws eks get-token`. Else KUBECONFIG / ~/.kube/config.
 * Built once per process.
 */
export async function kubeClients(env: Record<string, string | undefined> = process.env): Promise<KubeClients> {
  if (cached) return cached;
  const kc = new KubeConfig();
  const eks = env['SCALER_EKS_CLUSTER'];
  if (eks) {
    const server = env['SCALER_EKS_ENDPOINT'];
    const caData = env['SCALER_EKS_CA_DATA'];
    const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
    const missing = [!server && 'SCALER_EKS_ENDPOINT', !caData && 'SCALER_EKS_CA_DATA', !region && 'AWS_REGION'].filter(Boolean);
    if (missing.length) throw new ConfigError(missing.map((m) => ({ path: `environment ${m}`, message: `is required with SCALER_EKS_CLUSTER=${eks}` })));
    const { eksToken, eksKubeConfig } = await import('../aws/eks-token.ts');
    const { defaultProvider } = await import('../aws/credentials.ts');
    const token = await eksToken({ clusterName: eks, region: region!, credentials: defaultProvider() });
    kc.loadFromOptions(eksKubeConfig({ clusterName: eks, server: server!, caData: caData!, token }));
  } else if (env['KUBERNETES_SERVICE_HOST'] && existsSync(SA_TOKEN) && !env['KUBECONFIG']) kc.loadFromCluster();
  else kc.loadFromDefault();
  cached = createKubeClients(kc);
  return cached;
}

/** Clients for a given config; TLS is always verified. */
export function createKubeClients(kc: KubeConfig): KubeClients {
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new ConfigError([{ path: 'kubeconfig', message: `no current cluster: set KUBECONFIG to a kubeconfig file, or run in a pod with a service account (current context ${JSON.stringify(kc.getCurrentContext())})` }]);
  }
  if (cluster.skipTLSVerify) {
    throw new ConfigError([{ path: 'kubeconfig', message: `cluster ${JSON.stringify(cluster.name)} sets insecure-skip-tls-verify; latency-scaler always verifies the API server's certificate: give certificate-authority(-data) instead` }]);
  }
  return { kc, core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi), objects: KubernetesObjectApi.makeApiClient(kc), server: cluster.server };
}

export function kubeClientsFromFile(path: string): KubeClients {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return createKubeClients(kc);
}
