// A policy fragment (examples/recommended-policy.yaml) for a loop that compresses time: the demo and
// the real closed-loop benchmark run the scaler every few seconds, each run standing for a minute of
// a CronJob's schedule, so the policy's own durations (settle.timeout, the stabilization window) are
// compressed the same way — a 5-minute window is five runs, as it would be on a one-minute schedule.
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';

/** Keys of scaler.yaml the loop owns: a policy fragment may not set them. */
const OWNED = ['target', 'replicas', 'loadTest', 'state'];
/** Policy durations in wall-clock time, compressed as the run is. */
const TIMED: [string, string][] = [
  ['settle', 'timeout'],
  ['stabilization', 'downscaleWindow'],
];

export interface PolicyFragment {
  name: string;
  file: string;
  keys: Record<string, unknown>;
}

/** Reads a policy fragment: a YAML mapping of policy keys (targets, scaleUp, decay, stabilization, settle…). */
export function readPolicy(name: string, file: string): PolicyFragment {
  const parsed = load(readFileSync(file, 'utf8')) ?? {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file}: not a YAML mapping`);
  const keys = parsed as Record<string, unknown>;
  const owned = Object.keys(keys).filter((k) => OWNED.includes(k));
  if (owned.length) throw new Error(`${file}: ${owned.join(', ')} belong to the loop, not to a policy fragment`);
  return { name, file, keys };
}

/**
 * The fragment's keys as scaler.yaml lines (JSON flow values), after `defaults` (keys it may replace,
 * e.g. the SLO's `targets`), with its durations scaled by runSeconds / 60.
 */
export function policyYaml(
  policy: PolicyFragment,
  runSeconds: number,
  defaults: Record<string, unknown> = {},
): string[] {
  const keys: Record<string, unknown> = { ...defaults, ...policy.keys };
  for (const [section, key] of TIMED) {
    const block = keys[section];
    if (block && typeof block === 'object' && key in block) {
      const ms = parseDuration((block as Record<string, unknown>)[key]);
      const scaled = `${Math.round((ms * runSeconds) / 60)}ms`;
      keys[section] = { ...(block as Record<string, unknown>), [key]: scaled };
    }
  }
  return [
    `# policy: ${policy.name} (${policy.file})`,
    ...Object.entries(keys).map(([k, v]) => `${k}: ${JSON.stringify(v)}`),
  ];
}

/** A duration as scaler.yaml takes it: 500ms, 5s, 2m, 1m30s, or a number of seconds. */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number') return value * 1000;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a duration: ${text}`);
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]!]!, 0);
}

/** How often the direction of change flips (up then down, or down then up). */
export function reversals(series: readonly number[]): number {
  let last = 0;
  let flips = 0;
  for (let i = 1; i < series.length; i++) {
    const dir = Math.sign(series[i]! - series[i - 1]!);
    if (dir === 0) continue;
    if (last !== 0 && dir !== last) flips++;
    last = dir;
  }
  return flips;
}
