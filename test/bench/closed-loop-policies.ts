// The autoscalers the closed-loop benchmark compares; the recommended policy is documented in README.
import type { Policy } from '../../src/decide/decide.ts';
import { basePolicy, decider, hpaOnCpu, TARGET_MS, type Autoscaler } from './sim/loop.ts';

const REQ = 'GET /work';
export const POLICIES: Record<string, Policy> = {
  'LPA default': basePolicy(),
  recommended: basePolicy({
    targets: [
      { label: 'mean', request: REQ, type: { kind: 'mean' }, target: TARGET_MS, tolerance: 0.1 },
      // Load shed with fast 503s looks fast: failures above 1% scale up too.
      { label: 'failureRatio', request: REQ, type: { kind: 'failureRatio' }, target: 0.01, tolerance: 0 },
    ],
    scaleUp: { mode: 'step', step: 2, maxStep: Number.MAX_SAFE_INTEGER },
    decay: { replicas: 1, unchangedRuns: 3, maxLoad: 0.6 },
    settle: { timeout: 5 * 60_000 },
  }),
};

/** The recommended policy without its failureRatio target: latency alone. */
export const LATENCY_ONLY: Policy = {
  ...POLICIES['recommended']!,
  targets: POLICIES['recommended']!.targets.slice(0, 1),
};

/** Every autoscaler of the table: ours (decide()), the recommended one without the settle guard, and an HPA. */
export const AUTOSCALERS: Record<string, () => Autoscaler> = {
  'LPA default, as 0.1 measured': decider('LPA default, as 0.1 measured', POLICIES['LPA default']!, true),
  'LPA default': decider('LPA default', POLICIES['LPA default']!),
  recommended: decider('recommended', POLICIES['recommended']!),
  'recommended, latency only': decider('recommended, latency only', LATENCY_ONLY),
  'recommended, settle off': decider('recommended, settle off', {
    ...POLICIES['recommended']!,
    settle: { timeout: 0 },
  }),
  'HPA on CPU (60%)': hpaOnCpu(),
};
