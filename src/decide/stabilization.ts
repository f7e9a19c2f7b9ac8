// HPA's downscale stabilization over the stored history (DESIGN §4.9), shared by LPA's decay and the
// model's. Pure.
import type { StateRecord } from '../model/state-record.ts';

/**
 * The highest replica count needed within the downscale window (HPA's stabilization). Each run
 * stores what it needed — a calm run fewer than it had — so under steady calm load the maximum
 * falls and a window delays decay, never blocks it. Entries stamped in the future (a clock that
 * went back) are ignored rather than trusted to block.
 */
export function neededWithin(prior: StateRecord, windowMs: number, now: number): number | undefined {
  if (windowMs <= 0) return undefined;
  const recent = prior.history.filter((h) => {
    const at = Date.parse(h.at);
    return at <= now && now - at <= windowMs;
  });
  return recent.length > 0 ? Math.max(...recent.map((h) => h.needed ?? h.desired)) : undefined;
}
