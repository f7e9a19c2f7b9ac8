// `init --overlay DIR`: a kustomize overlay of the CronJob of jobs/base for one workload, its RBAC
// generated as `manifests` writes it. It deploys as written (the Role covers the store the CronJob uses),
// and it never replaces a file of DIR without --force (overlays get edited by hand).
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { isKubernetesTarget } from '../config/types.ts';
import type { FieldIssue } from '../errors.ts';
import type { Found } from '../target/discover.ts';
import type { CommandContext } from './context.ts';

const FILES = ['scaler.yaml', 'rbac.yaml', 'kustomization.yaml'];

/** What stops the overlay before anything is read or sent: files it would replace, a base that is not there. */
export function refuseOverlayFiles(o: { overlay?: string | undefined; jobs: string; force: boolean }): FieldIssue[] {
  const dir = o.overlay!;
  const issues: FieldIssue[] = [];
  const existing = FILES.map((f) => join(dir, f)).filter((f) => existsSync(f));
  if (existing.length > 0 && !o.force) {
    const them = existing.length === 1 ? 'it' : 'them';
    issues.push({ path: '--overlay', message: `${existing.join(', ')} exist; pass --force to replace ${them}` });
  }
  if (!existsSync(join(o.jobs, 'kustomization.yaml'))) {
    const where = `${JSON.stringify(o.jobs)} (${resolve(o.jobs)})`;
    issues.push({
      path: '--jobs',
      message:
        `${where} holds no kustomization.yaml, so the overlay's base would not exist: pass --jobs with the path ` +
        "of the project's jobs/base (or run init in the checkout)",
    });
  }
  return issues;
}

/**
 * The CronJob of jobs/base for this one workload: its scaler.yaml as the config, the base's example Role,
 * RoleBinding, state ConfigMap and config left out, and RBAC generated for exactly this workload and its
 * state store (as `manifests` writes it), everything in the workload's namespace. `kubectl apply -k <dir>`.
 */
export async function writeOverlay(
  o: { overlay?: string | undefined; jobs: string; out: string; namespace?: string | undefined },
  yaml: string,
  found: Found,
  ctx: CommandContext,
): Promise<void> {
  const dir = o.overlay!;
  const { loadConfig } = await import('../config/load.ts');
  const { fleetManifests, renderManifests } = await import('./manifests.ts');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'scaler.yaml'), yaml);
  const config = await loadConfig({ configPath: join(dir, 'scaler.yaml'), env: ctx.env });
  const namespace = isKubernetesTarget(config.target)
    ? config.target.namespace
    : (found.webhook?.namespace ?? o.namespace ?? 'default');
  const options = { serviceAccount: 'latency-scaler', namespace };
  await writeFile(join(dir, 'rbac.yaml'), renderManifests(fleetManifests([{ source: o.out, config }], options)));
  const base = relative(resolve(dir), resolve(o.jobs)) || '.';
  const drop = (apiVersion: string, kind: string, name: string): string =>
    ['  - patch: |-', '      $patch: delete', `      apiVersion: ${apiVersion}`, `      kind: ${kind}`]
      .concat(`      metadata: { name: ${name} }`)
      .join('\n');
  await writeFile(
    join(dir, 'kustomization.yaml'),
    `# Written by \`latency-scaler init\` for ${found.describe}: kubectl apply -k ${dir}
# The CronJob of jobs/base, its config this scaler.yaml, its RBAC (rbac.yaml) narrowed to exactly this
# workload and its state ConfigMap — regenerate it with \`latency-scaler manifests -c ${join(dir, 'scaler.yaml')}
# --namespace ${namespace}\` after changing the target.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${namespace}
resources:
  - ${base}
  - rbac.yaml
configMapGenerator:
  - name: latency-scaler-config
    behavior: replace # the base's example config
    files: [scaler.yaml]
    options: { disableNameSuffixHash: true, labels: { app.kubernetes.io/name: latency-scaler } }
patches:
  # The base's example target (fibonacci): this overlay's RBAC replaces its Role and state ConfigMap.
${drop('rbac.authorization.k8s.io/v1', 'Role', 'latency-scaler')}
${drop('rbac.authorization.k8s.io/v1', 'RoleBinding', 'latency-scaler')}
${drop('v1', 'ConfigMap', 'latency-scaler-deployment-fibonacci')}
`,
  );
  ctx.log.log('info', `wrote the kustomize overlay ${dir} (kubectl apply -k ${dir})`);
}
