// Cold start of the bundle, beside `node -e 0`, in one run: `--version` (the CLI path) and an import
// of the bundle (the Lambda handler path). Median of 15 runs each, interleaved. npm run bench:startup
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../../dist/scale.js', import.meta.url));
const runs = 15;
const cases: [string, string[]][] = [
  ['node -e 0', ['-e', '0']],
  ['node dist/scale.js --version', [bundle, '--version']],
  [
    'import dist/scale.js (handler)',
    ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(bundle).href)})`],
  ],
];
execFileSync(process.execPath, [bundle, '--version']); // fill the compile cache once, as a warm machine has it
const times: number[][] = cases.map(() => []);
const rss: number[] = cases.map(() => 0);
for (let i = 0; i < runs; i++) {
  cases.forEach(([, args], j) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { encoding: 'utf8' });
    times[j]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
    rss[j] = Math.max(rss[j]!, Number(r.stderr.trim().split('\n').at(-1)) / 1024);
  });
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `Node ${process.version}; bundle ${(statSync(bundle).size / 1024 / 1024).toFixed(2)} MB; median of ${runs} runs`,
);
const base = median(times[0]!);
cases.forEach(([name], j) =>
  console.log(
    `${name.padEnd(34)} ${median(times[j]!).toFixed(0).padStart(5)} ms  (${(median(times[j]!) / base).toFixed(1)}× node -e 0)  peak RSS ${rss[j]!.toFixed(0)} MB`,
  ),
);
