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

/** In-cluster service-account config in a pod; else KUBECONFIG / ~/.kube/config. Built once per process. */
export function kubeClients(env: Record<string, string | undefined> = process.env): KubeClients {
  if (cached) return cached;
  const kc = new KubeConfig();
  if (env['KUBERNETES_SERVICE_HOST'] && existsSync(SA_TOKEN) && !env['KUBECONFIG']) kc.loadFromCluster();
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
