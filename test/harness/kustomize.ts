// kustomize, built once by test/harness/kustomize/build.sh (npm test's prepare step) and cached outside
// the repo: the tests render an overlay with it exactly as `kubectl apply -k` renders it for a user.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtPath } from './built.ts';

const BUILD = fileURLToPath(new URL('./kustomize/build.sh', import.meta.url));

/** Where build.sh keeps kustomize; throws if it is not built (a test must not start the build). */
export function kustomizeBinary(): string {
  const bin = builtPath(BUILD, 'KUSTOMIZE_BUILD_CHECK_ONLY');
  if (!bin || !existsSync(bin))
    throw new Error(
      `kustomize is not built: run 'bash test/harness/kustomize/build.sh' (a minute or two once; npm test does it)` +
        ` — looked for ${bin || '(build.sh printed nothing)'}`,
    );
  return bin;
}

/** `kustomize build DIR`: the rendered YAML stream. */
export function kustomizeBuild(dir: string): string {
  return execFileSync(kustomizeBinary(), ['build', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
