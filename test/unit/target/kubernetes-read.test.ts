// The Kubernetes target lists the other autoscalers (HPAs, KEDA ScaledObjects) once per target object:
// on its first read. The re-reads of the same run (after an apply that failed) reuse what it found.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeClients } from '../../../src/kube/client.ts';
import { KubernetesScaleTarget } from '../../../src/target/kubernetes.ts';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'fib', namespace: 'prod' };
const LIMITS = { deadlineMs: 0, callTimeoutMs: 1_000 };

/** A cluster with one HPA on the target; `lists` counts the list calls. A patch's JSON Patch test fails (422). */
function cluster(): { clients: KubeClients; lists: () => number } {
  let lists = 0;
  const hpa = { metadata: { name: 'fib' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'fib' } } };
  const clients = {
    server: 'https://api.test:6443',
    custom: {
      getAPIResources: async () => ({
        resources: [
          { name: 'deployments', kind: 'Deployment', namespaced: true },
          { name: 'deployments/scale', kind: 'Scale', namespaced: true },
        ],
      }),
      getNamespacedCustomObject: async () => ({ metadata: { uid: 'u1' }, status: { readyReplicas: 2 } }),
      getNamespacedCustomObjectScale: async () => ({ spec: { replicas: 2 }, status: { replicas: 2 } }),
      listNamespacedCustomObject: async (args: { plural: string }) => {
        lists++;
        return { items: args.plural === 'horizontalpodautoscalers' ? [hpa] : [] };
      },
      patchNamespacedCustomObjectScale: () => Promise.reject(Object.assign(new Error('HTTP 422'), { code: 422 })),
    },
  } as unknown as KubeClients;
  return { clients, lists: () => lists };
}

describe('the Kubernetes target reads its ownership once', () => {
  it('the first read lists HPAs and ScaledObjects; later reads and the look after a failed apply do not', async () => {
    const { clients, lists } = cluster();
    const target = new KubernetesScaleTarget(ref, clients, LIMITS);
    const first = await target.read();
    assert.deepEqual(first.otherAutoscalers, ['HorizontalPodAutoscaler prod/fib (autoscaling/v2)']);
    assert.equal(lists(), 2, 'one list of HPAs, one of ScaledObjects');
    const again = await target.read();
    assert.deepEqual(again.otherAutoscalers, first.otherAutoscalers, 'what the first read found, still reported');
    await assert.rejects(target.apply(3, 1)); // the JSON Patch test fails: the target is read again
    assert.equal(lists(), 2, 'no new lists');
  });

  it('another target object (another run) lists again', async () => {
    const { clients, lists } = cluster();
    await new KubernetesScaleTarget(ref, clients, LIMITS).read();
    await new KubernetesScaleTarget(ref, clients, LIMITS).read();
    assert.equal(lists(), 4);
  });
});
