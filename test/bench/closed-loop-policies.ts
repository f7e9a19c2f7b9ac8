// The autoscalers the closed-loop benchmark compares. The recommended policy is `model`
// (examples/recommended-policy.yaml); `LPA tuned` is LPA's semantics with tuned knobs (0.2's recommendation).
//
// Each entry of AUTOSCALERS builds a fresh autoscaler for one simulation from the profile's latency
// target in ms (TARGET_MS, or the profile's own `targetMs`). To add a row, say "model", add one entry:
//   - a policy of decide():   model: decider('model', (targetMs) => basePolicy({ ... }, targetMs)),
//     (or a function like POLICIES' below: every target in it should be `targetMs`, not TARGET_MS);
//   - any other autoscaler:   model: (targetMs) => ({ name: 'model', step(view) { return view.replicas; } }),
//     where `view` (sim/loop.ts Autoscaler) holds the run, the replicas set and ready, the load test's
//     observations, the load and the ready replicas' CPU utilization.
// The row then runs on every profile (closed-loop.ts skips a few rows on profiles where they equal
// another row) and joins the totals.
import type { Policy } from '../../src/decide/decide.ts';
import { basePolicy, decider, hpaOnCpu, TARGET_MS, type MakeAutoscaler } from './sim/loop.ts';

const REQ = 'GET /work';

/** The policies of decide() by name, each a function of the profile's latency target (ms). */
export const POLICIES: Record<string, (targetMs: number) => Policy> = {
  'LPA default': (targetMs) => basePolicy({}, targetMs),
  'LPA tuned': (targetMs) =>
    basePolicy({
      targets: [
        { label: 'mean', request: REQ, type: { kind: 'mean' }, target: targetMs, tolerance: 0.1 },
        // Load shed with fast 503s looks fast: failures above 1% scale up too.
        { label: 'failureRatio', request: REQ, type: { kind: 'failureRatio' }, target: 0.01, tolerance: 0 },
      ],
      scaleUp: { mode: 'step', step: 2, maxStep: Number.MAX_SAFE_INTEGER },
      decay: { replicas: 1, unchangedRuns: 3, maxLoad: 0.6 },
      settle: { timeout: 5 * 60_000 },
    }),
};

/** The model policy (DESIGN §4.12): examples/recommended-policy.yaml. */
export function modelPolicy(targetMs: number): Policy {
  return basePolicy(
    {
      targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: targetMs, tolerance: 0 }],
      scaleUp: { mode: 'model', step: 1, maxStep: Number.MAX_SAFE_INTEGER },
      decay: { mode: 'model', replicas: 1, unchangedRuns: 3 },
      model: { headroom: 0.85, concurrency: 1 },
      stabilization: { downscaleWindow: 0 },
      settle: { timeout: 5 * 60_000 },
    },
    targetMs,
  );
}

/** LPA tuned without its failureRatio target: latency alone. */
export function latencyOnly(targetMs = TARGET_MS): Policy {
  const tuned = POLICIES['LPA tuned']!(targetMs);
  return { ...tuned, targets: tuned.targets.slice(0, 1) };
}

/** Every autoscaler of the table: ours (decide()), LPA tuned without the settle guard, and HPAs. */
export const AUTOSCALERS: Record<string, MakeAutoscaler> = {
  'LPA default, as 0.1 measured': decider('LPA default, as 0.1 measured', POLICIES['LPA default']!, true),
  'LPA default': decider('LPA default', POLICIES['LPA default']!),
  model: decider('model', modelPolicy),
  // The model with a production load signal (a Prometheus rate of the requests, DESIGN §9).
  'model + rate': decider('model + rate', modelPolicy, false, true),
  'LPA tuned': decider('LPA tuned', POLICIES['LPA tuned']!),
  'LPA tuned, latency only': decider('LPA tuned, latency only', latencyOnly),
  'LPA tuned, settle off': decider('LPA tuned, settle off', (targetMs) => ({
    ...POLICIES['LPA tuned']!(targetMs),
    settle: { timeout: 0 },
  })),
  // The HPA baseline as a curve over its target utilization (it ignores the latency target).
  'HPA on CPU (50%)': hpaOnCpu(0.5),
  'HPA on CPU (60%)': hpaOnCpu(0.6),
  'HPA on CPU (70%)': hpaOnCpu(0.7),
  'HPA on CPU (80%)': hpaOnCpu(0.8),
};
