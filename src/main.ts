// Entry of dist/scale.js: the CLI when executed (`node dist/scale.js`, a symlink to it, a
// container), the cloud-function `handler` when imported. Importing never runs the CLI.
// Start-up: this module imports nothing heavy. Everything else is reached through dynamic imports,
// which esbuild turns into lazily initialised parts of the one bundle: `--version` and an import
// of the bundle evaluate none of yargs, undici, the Kubernetes client or the AWS SDK (a test checks).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { InvocationContext } from './lambda.ts';
import { VERSION } from './version.ts';

/** The Lambda handler (`scale.handler`): one cycle per invocation; see lambda.ts. */
export async function handler(event?: unknown, context?: InvocationContext): Promise<unknown> {
  const lambda = await import('./lambda.ts');
  return lambda.handler(event, context);
}

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
  const argv = process.argv.slice(2);
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${VERSION}\n`); // the same answer as yargs', without loading it
    return;
  }
  const { runProcess } = await import('./process.ts');
  await runProcess(argv);
}

if (executedDirectly()) await main();
