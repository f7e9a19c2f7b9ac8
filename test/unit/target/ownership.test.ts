// Who else scales a workload, and KEDA's pause vocabulary on our annotations (pure parts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TargetError } from '../../../src/errors.ts';
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
    const where = 'Deployment prod/fib';
    assert.deepEqual(pauseOf({}, where), { paused: false });
    assert.deepEqual(pauseOf({ paused: 'true' }, where), { paused: true });
    assert.deepEqual(pauseOf({ pausedReplicas: '3' }, where), { paused: false, pausedReplicas: 3 });
    assert.deepEqual(pauseOf({ pausedReplicas: 0 }, where), { paused: false, pausedReplicas: 0 });
    assert.deepEqual(pauseOf({ pausedScaleDown: 'true' }, where), { paused: false, pausedScaleDown: true });
  });

  it('an invalid value on the live object: exit 1 naming the object, the annotation and the value', () => {
    const where = 'Deployment prod/fib';
    assert.throws(
      () => pauseOf({ pausedReplicas: 'abc' }, where),
      (e: Error) =>
        e instanceof TargetError &&
        e.exitCode === 1 &&
        /^Deployment prod\/fib: annotation latency-scaler\.io\/paused-replicas: "abc" is not a replica count/.test(
          e.message,
        ) &&
        !/invalid configuration|[Nn]othing was sent/.test(e.message),
    );
    assert.throws(
      () => pauseOf({ pausedScaleDown: 'yes' }, where),
      /: Deployment prod\/fib: annotation latency-scaler\.io\/paused-scale-down: "yes" is not "true" or "false"/,
    );
    assert.throws(
      () =>
        pauseOf({ pausedReplicas: -1 }, 'the http scale target GET http://x/replicas', {
          paused: 'field paused',
          pausedReplicas: 'field pausedReplicas',
          pausedScaleDown: 'field pausedScaleDown',
        }),
      (e: Error) =>
        e instanceof TargetError &&
        /GET http:\/\/x\/replicas: field pausedReplicas: -1 is not a replica count/.test(e.message),
    );
  });
});
