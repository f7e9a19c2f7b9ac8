// Building the Kubernetes clients: the EKS token is renewed before the API server stops accepting
// it (a warm Lambda lives for hours), and no kubeconfig at all is said plainly (exit 2).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EKS_TOKEN_REUSE_MS, kubeClients } from '../../../src/kube/client.ts';
import { ConfigError } from '../../../src/errors.ts';

const EKS = {
  SCALER_EKS_CLUSTER: 'prod',
  SCALER_EKS_ENDPOINT: 'https://eks.example:443',
  SCALER_EKS_CA_DATA: 'Y2E=',
  AWS_REGION: 'eu-west-1',
};

describe('kubeClients', () => {
  it('renews the EKS token before 15 minutes, and reuses it within', async () => {
    let minted = 0;
    let clock = Date.parse('2026-11-24T00:00:00Z');
    const deps = { now: () => clock, mintEksToken: async () => `k8s-aws-v1.token-${++minted}` };
    const first = await kubeClients(EKS, deps);
    assert.equal(minted, 1);
    clock += 5 * 60_000;
    assert.equal(await kubeClients(EKS, deps), first, 'reused within the window');
    assert.equal(minted, 1);
    clock += 11 * 60_000; // 16 minutes after the first token: the API server would answer 401
    const later = await kubeClients(EKS, deps);
    assert.equal(minted, 2);
    assert.notEqual(later, first);
    assert.equal(later.kc.getCurrentUser()?.token, 'k8s-aws-v1.token-2');
    assert.ok(EKS_TOKEN_REUSE_MS < 15 * 60_000);
  });

  it('no KUBECONFIG and no ~/.kube/config: no cluster is configured, where it looked, the two ways on', async () => {
    const home = mkdtempSync(join(tmpdir(), 'no-kube-'));
    await assert.rejects(kubeClients({ HOME: home }, { home }), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(
        e.message,
        /no Kubernetes cluster is configured: looked at KUBECONFIG \(unset\), .*\.kube\/config \(no such file\)/,
      );
      assert.match(
        e.message,
        /Set KUBECONFIG to a kubeconfig file, or try it without a cluster: target: \{ kind: http/,
      );
      assert.match(e.message, /npm run demo/);
      return true;
    });
  });

  it('a KUBECONFIG that names a missing file says so', async () => {
    await assert.rejects(
      kubeClients({ KUBECONFIG: '/nonexistent/kubeconfig' }),
      /KUBECONFIG=\/nonexistent\/kubeconfig \(no such file\)/,
    );
  });
});
