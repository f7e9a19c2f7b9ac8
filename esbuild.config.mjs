// Bundles src/main.ts into the single file dist/scale.js (ESM, Node 22+), with a source map.
// Pitfalls measured here (../shared/BUILD-NOTES.md): bundled CommonJS dependencies need a real
// `require` in ESM output; keepNames keeps error class names readable after minification.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

const pkg = JSON.parse(await readFile(new URL('./package.json', import.meta.url), 'utf8'));

// ESM output hoists every `import … from 'node:http'` (ours and every ESM dependency's, however
// lazily that dependency is used) to the top of the bundle, so all those builtins load at start-up;
// a static import of node:http alone makes Node load its internal undici (~25 ms). Routing Node's
// builtins through one-line CommonJS shims makes each load when the module that needs it is first
// initialised: `--version` and the Lambda import load almost nothing.
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const keepStatic = new Set(['node:fs', 'node:url', 'node:module', 'node:path']); // cheap, and needed at the top
    b.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)?$/ }, (args) => {
      const name = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
      if (!builtinModules.includes(name.slice(5)) || keepStatic.has(name) || args.namespace === 'lazy-builtin')
        return undefined;
      return { path: name, namespace: 'lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

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
  plugins: [lazyBuiltins],
  logLevel: 'warning',
  define: { __SCALER_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __scalerCreateRequire } from 'node:module';",
      'const require = __scalerCreateRequire(import.meta.url);',
    ].join('\n'),
  },
});

// One non-ASCII character anywhere in the bundle (esbuild escapes them, except in a tagged template's raw
// text) makes V8 hold the whole 3 MB source as UTF-16: +3 MB RSS at every start. Write it as an escape
// or an HTML entity instead.
const text = await readFile('dist/scale.js', 'utf8');
const wide = text.search(/[^\p{ASCII}]/u);
if (wide >= 0) {
  const around = JSON.stringify(text.slice(Math.max(0, wide - 60), wide + 20));
  throw new Error(`dist/scale.js holds a non-ASCII character (${text[wide]}) in ${around}: escape it`);
}

// Marks the bundle as ESM wherever dist/ is copied with it (Lambda zips dist/).
await writeFile('dist/package.json', `${JSON.stringify({ type: 'module' })}\n`);

// A V8 code cache of the bundle itself, shipped beside it: a 3 MB bundle costs ~150 ms to compile,
// and a cache enabled from inside the bundle comes too late to cover it. NODE_COMPILE_CACHE set
// where the program starts (Dockerfile, CronJob, SAM template) reads it; portable keys make it valid
// wherever dist/ is moved, for the Node version that wrote it (another version ignores it).
await rm('dist/.compile-cache', { recursive: true, force: true });
const cacheEnv = { ...process.env, NODE_COMPILE_CACHE: 'dist/.compile-cache', NODE_COMPILE_CACHE_PORTABLE: '1' };
execFileSync(process.execPath, ['dist/scale.js', '--version'], { env: cacheEnv, stdio: 'ignore' });
const importBundle = `await import(${JSON.stringify(pathToFileURL('dist/scale.js').href)})`;
execFileSync(process.execPath, ['--input-type=module', '-e', importBundle], { env: cacheEnv, stdio: 'ignore' });
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
if (!process.env.CI && process.stdout.isTTY) console.log(`dist/scale.js: ${(bytes / 1024).toFixed(0)} KiB (with map)`);
