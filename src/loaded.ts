// The heavy parts of the bundle this process has evaluated, recorded as a module side effect so a
// test can check the lazy boundaries from outside (not with a clock): `--version` and an import of
// the bundle evaluate none of them. A Set on globalThis under a registered symbol.
const KEY = Symbol.for('latency-scaler.loaded');

export function markLoaded(part: string): void {
  const g = globalThis as { [KEY]?: Set<string> };
  (g[KEY] ??= new Set()).add(part);
}
