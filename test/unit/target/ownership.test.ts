// Who else scales a workload, and KEDA's pause vocabulary on our annotations (pure parts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.ts';
import { conflictingHpas, conflictingScaledObjects, gitOpsWarnings, pauseOf } from '../../../src/target/ownership.ts';

const target = { kind: 'Deployment', apiVersion: 'apps/v1', name: 'fib', namespace: 'prod' };

describe('other autoscalers', () => {
  it('an HPA naming the same kind, name and group conflicts; another name, kind or group does not', () => {
    const hpa = (name: string, ref: object) => ({ metadata: { name }, spec: { scaleTargetRef: ref } });
    const items = [
      hpa('same', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'fib' }),
      hpa('other-version', { apiVersion: 'apps/v1beta2', kind: 'Deployment', name: 'fib' }),
      hpa('other-name', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }),
      hpa('other-kind', { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'fib' }),
      hpa('other-group', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Deployment', name: 'fib' }),
    ];
    assert.deepEqual(conflictingHpas(items, target), [
      'HorizontalPodAutoscaler prod/same (autoscaling/v2)',
      'HorizontalPodAutoscaler prod/other-version (autoscaling/v2)',
    ]);
  });

  it("a ScaledObject names a Deployment by default (KEDA's defaults)", () => {
    const items = [
      { metadata: { name: 'so' }, spec: { scaleTargetRef: { name: 'fib' } } },
      { metadata: { name: 'x' }, spec: { scaleTargetRef: { name: 'fib', kind: 'StatefulSet' } } },
    ];
    assert.deepEqual(conflictingScaledObjects(items, target), ['ScaledObject prod/so (keda.sh, KEDA)']);
  });

  it('a GitOps controller owning spec.replicas is warned about, with the fix; other managers are not', () => {
    const fields = [
      { manager: 'argocd-controller', fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:template': {} } } },
      { manager: 'kustomize-controller', fieldsV1: { 'f:spec': { 'f:template': {} } } },
      { manager: 'kubectl', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
    ];
    const warnings = gitOpsWarnings(fields, 'Deployment prod/fib');
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /^spec\.replicas of Deployment prod\/fib is managed by argocd-controller, a GitOps controller: its next sync reverts every scale\. Argo CD: add ignoreDifferences/,
    );
  });
});

describe('pause vocabulary', () => {
  it('reads paused, paused-replicas and paused-scale-down', () => {
    assert.deepEqual(pauseOf({}), { paused: false });
    assert.deepEqual(pauseOf({ paused: 'true' }), { paused: true });
    assert.deepEqual(pauseOf({ pausedReplicas: '3' }), { paused: false, pausedReplicas: 3 });
    assert.deepEqual(pauseOf({ pausedReplicas: 0 }), { paused: false, pausedReplicas: 0 });
    assert.deepEqual(pauseOf({ pausedScaleDown: 'true' }), { paused: false, pausedScaleDown: true });
  });

  it('an invalid value is an error naming the annotation and the value', () => {
    assert.throws(
      () => pauseOf({ pausedReplicas: 'three' }),
      (e: Error) =>
        e instanceof ConfigError &&
        /latency-scaler\.io\/paused-replicas: "three" is not a replica count/.test(e.message),
    );
    assert.throws(
      () => pauseOf({ pausedScaleDown: 'yes' }),
      /latency-scaler\.io\/paused-scale-down: "yes" is not "true" or "false"/,
    );
    assert.throws(
      () =>
        pauseOf(
          { pausedReplicas: -1 },
          { paused: 'paused', pausedReplicas: 'pausedReplicas', pausedScaleDown: 'pausedScaleDown' },
        ),
      /pausedReplicas: -1 is not a replica count/,
    );
  });
});
