// The engine interface: a load-test engine turns a plan into Observations (model/observations.ts).
import type { LoadTestConfig } from '../config/types.ts';
import type { Observations } from '../model/observations.ts';

export type { FailureKind, Observations, RequestStats } from '../model/observations.ts';
export { percentileKey } from '../model/observations.ts';

export interface LoadPlan extends LoadTestConfig {
  /** Percentiles to report, e.g. [50, 90, 95, 99, 99.9] plus those the targets name. */
  percentiles: number[];
  /**
   * Widen the probe when its first half shows saturation: an answer slower than `aboveMs` then starts
   * `users` more users at once, so an overload is read from more than a handful of requests.
   */
  widen?: { aboveMs: number; users: number } | undefined;
}

export interface LoadTestEngine {
  run(plan: LoadPlan, signal?: AbortSignal): Promise<Observations>;
}

export const DEFAULT_PERCENTILES = [5, 50, 75, 90, 95, 99, 99.9];
