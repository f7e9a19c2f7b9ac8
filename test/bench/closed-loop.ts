// Closed-loop benchmark of the decision policies: the real decide() against a seeded M/M/c service
// model through five load profiles, LPA's default beside the recommended policy. Deterministic.
//   npm run bench:decide
import { PROFILES, simulate, TARGET_MS } from './sim/loop.ts';
import { POLICIES } from './closed-loop-policies.ts';

const SEEDS = [1, 2, 3, 4, 5];

const rows: string[][] = [
  ['policy', 'profile', 'recovery (runs)', 'runs in breach', 'replica-runs ÷ oracle', 'flaps (steady)'],
];
for (const [name, policy] of Object.entries(POLICIES)) {
  for (const profile of PROFILES) {
    const outs = SEEDS.map((seed) => simulate(profile, policy, seed));
    const worst = (f: (o: (typeof outs)[number]) => number | undefined): string => {
      const vals = outs.map(f).filter((v): v is number => v !== undefined);
      return vals.length ? String(Math.max(...vals)) : '-';
    };
    const cost = outs.map((o) => o.costRatio);
    rows.push([
      name,
      profile.name,
      worst((o) => o.recovery),
      worst((o) => o.breachRuns),
      `${Math.min(...cost).toFixed(2)}–${Math.max(...cost).toFixed(2)}`,
      worst((o) => o.flaps),
    ]);
  }
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
console.log(
  `closed loop: M/M/c service (10 ms per request per replica), target mean ${TARGET_MS} ms, one run per minute; worst of ${SEEDS.length} seeds`,
);
for (const [i, r] of rows.entries()) {
  console.log(r.map((c, j) => (j < 2 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
