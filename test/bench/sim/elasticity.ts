// SPEC Research Group's elasticity metrics (Herbst et al., "Ready for Rain? A View from SPEC Research
// on the Future of Cloud Metrics", SPEC-RG-2016-01; "Quantifying Cloud Performance and
// Dependability", ACM ToMPECS 2018), over the runs of one simulation: demand d_t is the oracle's
// replica count (the fewest that meet the target, or the best achievable latency), supply s_t the
// replicas set during run t (what the replica-runs count, ready or not).

export interface Elasticity {
  /** θU, %: mean over runs of max(d − s, 0)/d: how far below the demand, relative to it. */
  underAccuracy: number;
  /** θO, %: mean over runs of max(s − d, 0)/d: how far above the demand, relative to it. */
  overAccuracy: number;
  /** τU, %: share of runs with s < d. */
  underTime: number;
  /** τO, %: share of runs with s > d. */
  overTime: number;
  /**
   * Instability, %: share of the T − 1 run-to-run changes where supply and demand move in opposite
   * directions (sgn Δs · sgn Δd < 0). Opposite directions only: a run where just one of the two
   * moves is not counted (the paper's min(|sgn Δs − sgn Δd|, 1) counts those too, as we read it);
   * not the jitter metric.
   */
  instability: number;
  /** Σ max(s − d, 0): replica-runs above the oracle's (waste). */
  wasted: number;
}

export function elasticity(demand: readonly number[], supply: readonly number[]): Elasticity {
  const T = Math.min(demand.length, supply.length);
  let under = 0;
  let over = 0;
  let underRuns = 0;
  let overRuns = 0;
  let wasted = 0;
  let opposite = 0;
  for (let t = 0; t < T; t++) {
    const d = demand[t]!;
    const s = supply[t]!;
    under += Math.max(d - s, 0) / d;
    over += Math.max(s - d, 0) / d;
    if (s < d) underRuns++;
    if (s > d) overRuns++;
    wasted += Math.max(s - d, 0);
    if (t > 0 && Math.sign(s - supply[t - 1]!) * Math.sign(d - demand[t - 1]!) < 0) opposite++;
  }
  const pct = (x: number, n: number): number => (n > 0 ? (100 * x) / n : 0);
  return {
    underAccuracy: pct(under, T),
    overAccuracy: pct(over, T),
    underTime: pct(underRuns, T),
    overTime: pct(overRuns, T),
    instability: pct(opposite, T - 1),
    wasted,
  };
}
