// Imports point one way (DESIGN §2): shells → commands (and the console) /run → decide, loadtest, state, target, signals, report
// → kube, aws → config, model, the base modules. The decision imports no adapter; no adapter folder
// imports another; no two files import each other, however indirectly. Read from the source (static,
// re-exported and dynamic imports alike).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');

/** The part of the program a file belongs to: its folder, or a named top-level module. */
function partOf(file: string): string {
  const rel = relative(SRC, file);
  const [first] = rel.split('/');
  if (rel.includes('/')) return first!;
  const name = rel.replace(/\.ts$/, '');
  if (['main', 'process', 'cli', 'lambda'].includes(name)) return 'shell';
  if (name === 'run' || name === 'manual' || name === 'fleet') return 'run'; // one invocation; the manual change and the fleet beside it
  return 'base'; // errors, transport, loaded, undici, version
}

const BOTTOM = ['config', 'model', 'base'];
const ALLOWED: Record<string, string[]> = {
  shell: ['shell', 'commands', 'run', 'decide', 'loadtest', 'state', 'target', 'report', 'kube', 'aws', ...BOTTOM],
  commands: ['commands', 'console', 'run', 'decide', 'loadtest', 'state', 'target', 'signals', 'report', ...BOTTOM],
  // The console (serve): beside the commands, on the code they use (status, the manual change).
  console: ['console', 'commands', 'run', 'loadtest', 'state', 'target', 'report', ...BOTTOM],
  run: ['run', 'decide', 'loadtest', 'state', 'target', 'signals', 'report', ...BOTTOM],
  decide: ['decide', ...BOTTOM],
  report: ['report', 'decide', ...BOTTOM],
  loadtest: ['loadtest', ...BOTTOM],
  state: ['state', 'kube', 'aws', ...BOTTOM],
  target: ['target', 'kube', 'aws', 'report', ...BOTTOM],
  signals: ['signals', 'report', ...BOTTOM], // production signals (Prometheus): an adapter adding observations
  kube: ['kube', 'aws', ...BOTTOM],
  aws: ['aws', 'base'],
  config: BOTTOM,
  model: BOTTOM,
  base: ['base'],
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g),
  ].map((m) => m[1] ?? m[2]!);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

function violations(): string[] {
  const out: string[] = [];
  for (const file of files(SRC)) {
    const from = partOf(file);
    for (const target of importsOf(file)) {
      const to = partOf(target);
      if (!(ALLOWED[from] ?? []).includes(to))
        out.push(`${relative(SRC, file)} (${from}) imports ${relative(SRC, target)} (${to})`);
    }
  }
  return out;
}

/** Every import circle among src/ files (type-only imports too), each as `a.ts → b.ts → a.ts`: a DFS. */
function circles(): string[] {
  const graph = new Map(files(SRC).map((file) => [file, importsOf(file)]));
  const found: string[] = [];
  const done = new Set<string>();
  const path: string[] = []; // the files being visited, in order
  const visit = (file: string): void => {
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) found.push([...path.slice(at), next].map((f) => relative(SRC, f)).join(' → '));
      else if (!done.has(next)) visit(next);
    }
    path.pop();
    done.add(file);
  };
  for (const file of [...graph.keys()].sort()) if (!done.has(file)) visit(file);
  return found;
}

describe('the direction of imports', () => {
  it('every src/ file imports only the parts below it', () => {
    assert.deepEqual(violations(), []);
  });

  it('no import circle among src/ files: the imports between any two files point one way', () => {
    assert.deepEqual(circles(), []);
  });

  it('the check sees a wrong import (the decision importing a store)', () => {
    const decide = join(SRC, 'decide', 'decide.ts');
    assert.ok(importsOf(decide).length > 0, 'the scanner reads imports');
    assert.equal(ALLOWED['decide']!.includes(partOf(join(SRC, 'state', 'file.ts'))), false);
    assert.equal(ALLOWED['state']!.includes(partOf(join(SRC, 'target', 'http.ts'))), false);
  });
});

describe('the shape of the source', () => {
  it('no line in src/ is longer than 120 columns (a long expression becomes named steps)', () => {
    const long = files(SRC).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${relative(SRC, file)}:${i + 1}`, length: line.length }))
        .filter((l) => l.length > 120),
    );
    assert.deepEqual(long, []);
  });
});
