// The decision record: the one document each run prints (JSON with --output json).
import type { Decision } from '../decide/decide.ts';
import type { Observations, ProductionObservations, RequestStats } from '../model/observations.ts';

export interface DecisionRecord {
  time: string;
  target: string;
  /** Where a Kubernetes target's namespace came from (the configuration, the kubeconfig context, the pod). */
  namespaceFrom?: string;
  state: string;
  dryRun: boolean;
  action: Decision['action'];
  reason: Decision['reason'];
  message: string;
  current: number;
  desired: number;
  applied: number;
  limitedBy?: 'min' | 'max';
  manualChange: boolean;
  probeFailed: boolean;
  applyFailed?: string;
  /** Why the measurement is not fully trusted (the load generator's own delay). */
  unreliable?: string;
  evaluations: Decision['evaluations'];
  observations?: {
    engine: string;
    measuredMs: number;
    precision?: string;
    generator?: Observations['generator'];
    requests: Record<string, RequestStats>;
    aggregated: RequestStats;
  };
  /** The production signals read this run: each value (or why none) with its query and sample time. */
  production?: ProductionObservations;
}

export function buildRecord(args: {
  time: number;
  target: string;
  namespaceFrom?: string;
  state: string;
  dryRun: boolean;
  decision: Decision;
  observations?: Observations | undefined;
  applyFailed?: string | undefined;
}): DecisionRecord {
  const { decision: d } = args;
  const o = args.observations?.engine === 'none' ? undefined : args.observations; // no load test: no statistics
  const production = args.observations?.production;
  return {
    time: new Date(args.time).toISOString(),
    target: args.target,
    ...(args.namespaceFrom ? { namespaceFrom: args.namespaceFrom } : {}),
    state: args.state,
    dryRun: args.dryRun,
    action: d.action,
    reason: d.reason,
    message: d.message,
    current: d.current,
    desired: d.desired,
    applied: d.applied,
    ...(d.limitedBy ? { limitedBy: d.limitedBy } : {}),
    manualChange: d.manualChange,
    probeFailed: d.probeFailed,
    ...(args.applyFailed ? { applyFailed: args.applyFailed } : {}),
    ...(d.unreliable ? { unreliable: d.unreliable } : {}),
    evaluations: d.evaluations,
    ...(o
      ? {
          observations: {
            engine: o.engine,
            measuredMs: o.measuredMs,
            ...(o.precision ? { precision: o.precision } : {}),
            ...(o.generator ? { generator: o.generator } : {}),
            requests: o.requests,
            aggregated: o.aggregated,
          },
        }
      : {}),
    ...(production ? { production } : {}),
  };
}
