// The tools the harness builds once from the Go module proxy (kube/, kustomize/, pushgateway/ build.sh)
// and caches outside the repo. A test asks where they are, and never starts a build.
import { execFileSync } from 'node:child_process';

/**
 * What `build.sh` prints in check-only mode (its `checkOnly` variable set): where it keeps its output.
 * Empty when it printed nothing or failed; the caller names what is missing and how to build it.
 */
export function builtPath(buildScript: string, checkOnly: string): string {
  try {
    // build.sh owns the cache layout; in check-only mode it just prints the path.
    return execFileSync('bash', [buildScript], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [checkOnly]: '1' },
      timeout: 10_000,
    }).trim();
  } catch {
    return '';
  }
}
