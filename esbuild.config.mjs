// Bundles src/main.ts into the single file dist/scale.js (ESM, Node 22+), with a source map.
// Pitfalls measured here (../shared/BUILD-NOTES.md): bundled CommonJS dependencies need a real
// `require` in ESM output; keepNames keeps error class names readable after minification.
import { build } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('./package.json', import.meta.url), 'utf8'));

const result = await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/scale.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: true,
  minify: true,
  keepNames: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  define: { __SCALER_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __scalerCreateRequire } from 'node:module';",
      'const require = __scalerCreateRequire(import.meta.url);',
      // Node >= 22.1 caches compiled code between runs: a cold start of a CronJob pod is unaffected,
      // repeated runs on one machine (and warm Lambda sandboxes) start faster.
      "try { (await import('node:module')).enableCompileCache?.(); } catch {}",
    ].join('\n'),
  },
});

// Marks the bundle as ESM wherever dist/ is copied with it (Lambda zips dist/).
await writeFile('dist/package.json', `${JSON.stringify({ type: 'module' })}\n`);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
if (!process.env.CI && process.stdout.isTTY) console.log(`dist/scale.js: ${(bytes / 1024).toFixed(0)} KiB (with map)`);
