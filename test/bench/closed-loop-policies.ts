// The policies the closed-loop benchmark compares; the recommended one is documented in README.
import type { Policy } from '../../src/decide/decide.ts';
import { basePolicy, TARGET_MS } from './sim/loop.ts';

const REQ = 'GET /work';
export const POLICIES: Record<string, Policy> = {
  'LPA default': basePolicy(),
  recommended: basePolicy({
    targets: [{ label: 'mean', request: REQ, type: { kind: 'mean' }, target: TARGET_MS, tolerance: 0.1 }],
    scaleUp: { mode: 'step', step: 2, maxStep: Number.MAX_SAFE_INTEGER },
    decay: { replicas: 1, unchangedRuns: 2, maxLoad: 0.5 },
  }),
};
