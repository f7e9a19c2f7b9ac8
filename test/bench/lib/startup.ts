// Cold start of the bundle beside `node -e 0`, interleaved, median of `runs`: `--version` (the CLI
// path) with the compile cache the image ships (NODE_COMPILE_CACHE, filled by the build) and without
// it, and an import of the bundle (the Lambda handler path). Peak RSS is the largest of the runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const bundle = fileURLToPath(new URL('../../../dist/scale.js', import.meta.url));
const cacheDir = fileURLToPath(new URL('../../../dist/.compile-cache', import.meta.url));
export const shippedEnv = { NODE_COMPILE_CACHE: cacheDir, NODE_COMPILE_CACHE_PORTABLE: '1' };

export interface StartupFigure {
  name: string;
  ms: number;
  rssMB: number;
}

const importBundle = ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(bundle).href)})`];
const cases: { name: string; args: string[]; cache: boolean }[] = [
  { name: 'node -e 0', args: ['-e', '0'], cache: false },
  { name: 'node dist/scale.js --version', args: [bundle, '--version'], cache: true },
  { name: 'import dist/scale.js (handler)', args: importBundle, cache: true },
  { name: '--version, no compile cache', args: [bundle, '--version'], cache: false },
];

export function measureStartup(runs = 15): StartupFigure[] {
  const envOf = (cache: boolean) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...(cache ? shippedEnv : {}) };
    if (!cache) delete env['NODE_COMPILE_CACHE'];
    return env;
  };
  execFileSync(process.execPath, [bundle, '--version'], { env: envOf(true) }); // the cache as shipped
  const times: number[][] = cases.map(() => []);
  const rss: number[] = cases.map(() => 0);
  for (let i = 0; i < runs; i++) {
    cases.forEach(({ args, cache }, j) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], {
        encoding: 'utf8',
        env: envOf(cache),
      });
      times[j]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
      rss[j] = Math.max(rss[j]!, Number(r.stderr.trim().split('\n').at(-1)) / 1024);
    });
  }
  return cases.map(({ name }, j) => ({ name, ms: median(times[j]!), rssMB: rss[j]! }));
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
