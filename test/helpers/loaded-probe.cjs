// Preloaded with `node -r` by the start-up tests: at exit, prints which heavy parts of the bundle
// were evaluated (the Set that src/loaded.ts fills) and which Node builtins were loaded.
'use strict';
process.on('exit', () => {
  const parts = [...(globalThis[Symbol.for('latency-scaler.loaded')] ?? [])];
  const builtins = process.moduleLoadList
    .filter((m) => m.startsWith('NativeModule ') && !m.includes('internal/'))
    .map((m) => m.slice(13));
  process.stderr.write(`\nLOADED ${JSON.stringify({ parts, builtins })}\n`);
});
