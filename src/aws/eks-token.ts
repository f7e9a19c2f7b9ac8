// A bearer token for an EKS cluster, made the way `aws eks get-token` (and aws-iam-authenticator)
// make it: a SigV4-presigned STS GetCallerIdentity URL, bound to the cluster by the signed
// `x-k8s-aws-id` header, base64url-encoded (no padding) behind `k8s-aws-v1.`. No CLI binary needed.
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { markLoaded } from '../loaded.ts';

markLoaded('aws sdk');

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface EksTokenOptions {
  clusterName: string;
  region: string;
  credentials: AwsCredentials | (() => Promise<AwsCredentials>);
  now?: Date; // the signing time (tests fix it)
}

const EXPIRES_S = 60; // as aws-iam-authenticator: the API server accepts the token for 15 minutes

export async function eksToken(options: EksTokenOptions): Promise<string> {
  const host = `sts.${options.region}.amazonaws.com`;
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 'sts',
    sha256: Hash.bind(null, 'sha256'),
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname: host,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host, 'x-k8s-aws-id': options.clusterName },
  });
  const signed = await signer.presign(request, {
    expiresIn: EXPIRES_S,
    ...(options.now ? { signingDate: options.now } : {}),
  });
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .sort()
    .join('&');
  return `k8s-aws-v1.${Buffer.from(`https://${host}/?${query}`).toString('base64url')}`;
}

/** A kubeconfig (as an object for KubeConfig.loadFromOptions) that reaches EKS with such a token. */
export function eksKubeConfig(options: { clusterName: string; server: string; caData: string; token: string }): object {
  return {
    clusters: [{ name: options.clusterName, server: options.server, caData: options.caData, skipTLSVerify: false }],
    users: [{ name: 'latency-scaler', token: options.token }],
    contexts: [{ name: options.clusterName, cluster: options.clusterName, user: 'latency-scaler' }],
    currentContext: options.clusterName,
  };
}
