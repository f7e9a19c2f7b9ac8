// Entry of dist/scale.js: the CLI when executed (`node dist/scale.js`, a symlink to it, a
// container), the cloud-function `handler` when imported. Importing never runs the CLI.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCli } from './cli.ts';
import { InterruptedError } from './errors.ts';

export { handler } from './lambda.ts';

function executedDirectly(): boolean {
  const meta = import.meta as ImportMeta & { main?: boolean };
  if (typeof meta.main === 'boolean') return meta.main;
  // Before import.meta.main: compare real paths, so a symlinked bin still counts.
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const controller = new AbortController();
  const started = Date.now();
  // The first signal interrupts the run (it stops within a second, writing nothing unless the
  // decision was already claimed); a second one ends the process at once.
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    // eslint-disable-next-line no-restricted-syntax -- the entry point: a second signal means now
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    const after = `${((Date.now() - started) / 1000).toFixed(1)} s into the run`;
    controller.abort(new InterruptedError(signal, after));
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.exitCode = await runCli({
    argv: process.argv.slice(2),
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    signal: controller.signal,
  });
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
}

if (executedDirectly()) await main();
