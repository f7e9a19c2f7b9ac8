// Who else changes a workload's replicas, and how the operator pauses us (pure): another autoscaler
// (an HPA, a KEDA ScaledObject) naming the same workload, a GitOps controller owning spec.replicas,
// and KEDA's pause vocabulary on our own annotations.
import { TargetError } from '../errors.ts';
import type { KubernetesTargetRef } from '../config/types.ts';
import type { TargetStatus } from '../model/target-status.ts';

export const PAUSED = 'latency-scaler.io/paused';
export const PAUSED_REPLICAS = 'latency-scaler.io/paused-replicas';
export const PAUSED_SCALE_DOWN = 'latency-scaler.io/paused-scale-down';

type Pause = Pick<TargetStatus, 'paused' | 'pausedReplicas' | 'pausedScaleDown'>;

const ANNOTATIONS = {
  paused: `annotation ${PAUSED}`,
  pausedReplicas: `annotation ${PAUSED_REPLICAS}`,
  pausedScaleDown: `annotation ${PAUSED_SCALE_DOWN}`,
};

/**
 * The pause settings from annotation-like values (`"true"`, `"3"`), or a TargetError naming the
 * object (`where`), the annotation (or field) and the value. The values are live state on the
 * target, not configuration: a bad one is a runtime failure (exit 1), fixed on the object.
 * `names` says what to call each in messages.
 */
export function pauseOf(
  values: { paused?: unknown; pausedReplicas?: unknown; pausedScaleDown?: unknown },
  where: string,
  names: { paused: string; pausedReplicas: string; pausedScaleDown: string } = ANNOTATIONS,
): Pause {
  const issues: { path: string; message: string }[] = [];
  const flag = (value: unknown, name: string): boolean => {
    if (value === undefined || value === null || value === false || value === 'false') return false;
    if (value === true || value === 'true') return true;
    issues.push({ path: name, message: `${JSON.stringify(value)} is not "true" or "false"` });
    return false;
  };
  const pause: Pause = { paused: flag(values.paused, names.paused) };
  const count = values.pausedReplicas;
  if (count !== undefined && count !== null && count !== '') {
    const n = typeof count === 'string' && /^\d+$/.test(count.trim()) ? Number(count) : count;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) pause.pausedReplicas = n;
    else
      issues.push({
        path: names.pausedReplicas,
        message: `${JSON.stringify(count)} is not a replica count (an integer ≥ 0)`,
      });
  }
  if (flag(values.pausedScaleDown, names.pausedScaleDown)) pause.pausedScaleDown = true;
  if (issues.length) {
    const what = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    throw new TargetError(`${where}: ${what}; the run cannot tell whether it is paused: correct or remove it`);
  }
  return pause;
}

interface ScaleTargetRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
}
interface Autoscaler {
  metadata?: { name?: string };
  spec?: { scaleTargetRef?: ScaleTargetRef };
}

const groupOf = (apiVersion: string): string =>
  apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';

/** Does this scaleTargetRef name our workload? (kind and name, and the API group; any version) */
function names(
  ref: ScaleTargetRef | undefined,
  target: KubernetesTargetRef,
  defaults: Required<ScaleTargetRef> | undefined,
): boolean {
  if (!ref) return false;
  const kind = ref.kind ?? defaults?.kind;
  const apiVersion = ref.apiVersion ?? defaults?.apiVersion ?? target.apiVersion;
  return ref.name === target.name && kind === target.kind && groupOf(apiVersion) === groupOf(target.apiVersion);
}

/** `HorizontalPodAutoscaler fib (autoscaling/v2)` for each HPA whose scaleTargetRef is our target. */
export function conflictingHpas(items: Autoscaler[], target: KubernetesTargetRef): string[] {
  return items
    .filter((h) => names(h.spec?.scaleTargetRef, target, undefined))
    .map((h) => `HorizontalPodAutoscaler ${target.namespace}/${h.metadata?.name} (autoscaling/v2)`);
}

/** KEDA ScaledObjects naming our target (KEDA's defaults: kind Deployment, apps/v1). */
export function conflictingScaledObjects(items: Autoscaler[], target: KubernetesTargetRef): string[] {
  const kedaDefaults = { kind: 'Deployment', apiVersion: 'apps/v1', name: '' };
  return items
    .filter((s) => names(s.spec?.scaleTargetRef, target, kedaDefaults))
    .map((s) => `ScaledObject ${target.namespace}/${s.metadata?.name} (keda.sh, KEDA)`);
}

interface ManagedField {
  manager?: string;
  fieldsV1?: { 'f:spec'?: Record<string, unknown> };
}

/** Field managers of GitOps controllers, and how to tell each to leave spec.replicas alone. */
const GITOPS: [RegExp, string][] = [
  [
    /^argocd/,
    'Argo CD: add ignoreDifferences with jsonPointers [/spec/replicas] to the Application ' +
      '(and RespectIgnoreDifferences=true)',
  ],
  [
    /^(kustomize-controller|helm-controller|flux)/,
    'Flux: remove spec.replicas from the manifest in Git (or patch it out in the Kustomization)',
  ],
];

/** A warning when a GitOps controller owns spec.replicas: its next sync reverts every scale. */
export function gitOpsWarnings(managedFields: ManagedField[] | undefined, what: string): string[] {
  const out: string[] = [];
  for (const field of managedFields ?? []) {
    const manager = field.manager ?? '';
    const ownsReplicas = field.fieldsV1?.['f:spec']?.['f:replicas'] !== undefined;
    const fix = GITOPS.find(([pattern]) => pattern.test(manager))?.[1];
    if (ownsReplicas && fix) {
      out.push(
        `spec.replicas of ${what} is managed by ${manager}, a GitOps controller: ` +
          `its next sync reverts every scale. ${fix}`,
      );
    }
  }
  return out;
}
