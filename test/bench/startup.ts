// Cold start of the bundle, beside `node -e 0`, in one run (npm run bench:startup).
import { statSync } from 'node:fs';
import { bundle, measureStartup } from './lib/startup.ts';

const figures = measureStartup();
const size = (statSync(bundle).size / 1024 / 1024).toFixed(2);
console.log(`Node ${process.version}; bundle ${size} MB; median of 15 runs, interleaved`);
const base = figures[0]!.ms;
for (const f of figures) {
  const ratio = (f.ms / base).toFixed(1);
  console.log(
    `${f.name.padEnd(34)} ${f.ms.toFixed(0).padStart(5)} ms  (${ratio}× node -e 0)  peak RSS ${f.rssMB.toFixed(0)} MB`,
  );
}
