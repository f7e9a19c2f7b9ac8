// `latency-scaler manifests`: least-privilege RBAC for a fleet, written from its configurations
// (DESIGN §7), so a fleet's Role is never widened by hand to "all deployments" as it grows. For each
// namespace the fleet reaches: a Role naming exactly the workloads it scales and the state
// ConfigMaps it writes, a RoleBinding of it to the Job's ServiceAccount, and those ConfigMaps
// themselves, created empty so that no Role needs `create` on ConfigMaps (jobs/base/rbac.yaml, jobs/fleet/).
// The generation is pure (fleetManifests, renderManifests); the command only loads and prints.
import type { FleetMember } from '../config/load.ts';
import { isAwsTarget, isHttpTarget, type KubernetesTargetRef, type ScalerConfig } from '../config/types.ts';
import { ConfigError, InvalidArgumentError, messageOf, type FieldIssue } from '../errors.ts';
import { stateConfigMap } from '../model/target-key.ts';
import { APPS_PLURALS } from '../target/discover.ts';
import type { CommandContext } from './context.ts';
import { fleetIamPolicy, type IamOptions } from './iam-policy.ts';
import { plural } from '../plural.ts';

export interface ManifestOptions {
  /** The Job's ServiceAccount, bound in every namespace the fleet reaches. */
  serviceAccount: string;
  /** The Job's namespace: where the ServiceAccount is. */
  namespace: string;
}

export interface Rule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  rules?: Rule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
}

/** One YAML document: the comment lines above it, the object, and comment lines above some of its rules. */
export interface ManifestDocument {
  comments: string[];
  object: ManifestObject;
  ruleComments?: Record<number, string[]>;
}

export interface Manifests {
  /** Comment lines for the top of the output: what it is, and what needs no RBAC. */
  header: string[];
  documents: ManifestDocument[];
}

const LABELS = { 'app.kubernetes.io/name': 'latency-scaler' };
const STATE_LABELS = { ...LABELS, 'app.kubernetes.io/managed-by': 'latency-scaler' };
const RBAC = 'rbac.authorization.k8s.io';

interface Workloads {
  group: string;
  plural: string;
  /** Set when the plural is lowercase(kind)+'s', not known: `kind (apiVersion)` to check it for. */
  guessedFor?: string;
  names: Set<string>;
}

/** What the fleet does in one namespace. */
interface NamespaceNeeds {
  workloads: Map<string, Workloads>; // by group/plural
  configMaps: Set<string>;
  /** Targets are scaled here: Events are recorded and other autoscalers looked for. */
  scales: boolean;
}

/** The RBAC object name: one per (ServiceAccount, Job namespace), so two fleets never overwrite each other's. */
export function roleName(options: ManifestOptions): string {
  return `${options.serviceAccount}.${options.namespace}`;
}

/**
 * The manifests for a fleet's configurations (pure). Namespaces, resources and names are sorted so
 * the output depends only on what the fleet scales, not on the order of its documents.
 */
export function fleetManifests(
  members: readonly { source: string; config: ScalerConfig }[],
  options: ManifestOptions,
): Manifests {
  checkName('--service-account', options.serviceAccount, DNS_SUBDOMAIN);
  checkName('--namespace', options.namespace, DNS_LABEL);
  const needs = new Map<string, NamespaceNeeds>();
  const at = (ns: string): NamespaceNeeds => {
    let n = needs.get(ns);
    if (!n) needs.set(ns, (n = { workloads: new Map(), configMaps: new Set(), scales: false }));
    return n;
  };
  const scaled = (ref: KubernetesTargetRef): void => {
    const n = at(ref.namespace);
    n.scales = true;
    const { group, plural, guessedFor } = resourceOf(ref);
    const key = `${group}/${plural}`;
    let w = n.workloads.get(key);
    if (!w) n.workloads.set(key, (w = { group, plural, names: new Set(), ...(guessedFor ? { guessedFor } : {}) }));
    w.names.add(ref.name);
  };
  const http: string[] = [];
  const aws: string[] = [];
  const dynamodb: string[] = [];
  for (const { source, config } of members) {
    // Locust workers are scaled through the same /scale calls as a target (commands/engine.ts).
    const workers = config.loadTest?.locust?.workers?.target;
    if (workers) scaled(workers);
    if (isAwsTarget(config.target)) {
      aws.push(source);
      continue;
    }
    // A webhook needs no rule to scale, but its state ConfigMap (in a cluster) does: below.
    if (isHttpTarget(config.target)) http.push(source);
    else scaled(config.target);
    if (config.state.store === 'configmap') {
      const cm = stateConfigMap(config.state, config.target);
      at(cm.namespace).configMaps.add(cm.name);
    } else if (config.state.store === 'dynamodb') dynamodb.push(source);
  }

  const name = roleName(options);
  const documents: ManifestDocument[] = [];
  for (const ns of [...needs.keys()].sort()) {
    const n = needs.get(ns)!;
    documents.push(roleOf(ns, n, name), bindingOf(ns, name, options));
    for (const cm of [...n.configMaps].sort()) documents.push(configMapOf(ns, cm));
  }
  const header = [
    `Generated by 'latency-scaler manifests' from ${plural(members.length, 'configuration')}:`,
    'regenerate it when they change, do not widen it by hand. Least privilege: in each namespace the fleet',
    'reaches, exactly its workloads and their /scale (the workloads read-only, for the paused annotations,',
    'rollout status and who manages spec.replicas), exactly its state ConfigMaps (shipped here empty, so no',
    'create; re-applying them keeps what the scaler wrote: apply only touches fields it set), Events (create',
    'cannot be limited by name: Events get generated names; list, for a cluster autoscaler adding a node),',
    'listing pods (pods the cluster cannot place are no capacity: no replica is added for them), and listing',
    'HPAs and KEDA ScaledObjects, to refuse scaling a workload another autoscaler scales. No wildcard anywhere.',
    `Bound to the ServiceAccount ${options.namespace}/${options.serviceAccount} (the Job's).`,
  ];
  if (http.length > 0)
    header.push(
      `http targets need no RBAC to scale (the scaler calls their URL, not the API server): ${http.join(', ')}`,
    );
  if (aws.length > 0)
    header.push(`AWS targets need an IAM policy, not RBAC ('manifests --iam' prints it): ${aws.join(', ')}`);
  if (dynamodb.length > 0)
    header.push(`State in DynamoDB needs AWS credentials for its table, not RBAC: ${dynamodb.join(', ')}`);
  return { header, documents };
}

function resourceOf(ref: KubernetesTargetRef): { group: string; plural: string; guessedFor?: string } {
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  // apps/v1's scalable kinds are known; any other kind's resource is guessed (and the guess is said).
  const known = ref.apiVersion === 'apps/v1' ? APPS_PLURALS[ref.kind] : undefined;
  if (known) return { group, plural: known };
  return { group, plural: `${ref.kind.toLowerCase()}s`, guessedFor: `${ref.kind} (${ref.apiVersion})` };
}

function roleOf(ns: string, n: NamespaceNeeds, name: string): ManifestDocument {
  const rules: Rule[] = [];
  const ruleComments: Record<number, string[]> = {};
  const workloads = [...n.workloads.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, w]) => w);
  for (const w of workloads) {
    const names = [...w.names].sort();
    if (w.guessedFor) {
      const check = `kubectl api-resources --api-group=${w.group}`;
      ruleComments[rules.length] = [`"${w.plural}" is lowercase(kind)+s for ${w.guessedFor}: check it (${check})`];
    }
    rules.push({ apiGroups: [w.group], resources: [w.plural], resourceNames: names, verbs: ['get'] });
    rules.push({
      apiGroups: [w.group],
      resources: [`${w.plural}/scale`],
      resourceNames: names,
      verbs: ['get', 'patch'],
    });
  }
  if (n.configMaps.size > 0)
    rules.push({
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: [...n.configMaps].sort(),
      verbs: ['get', 'update'],
    });
  if (n.scales) {
    // Events: created on the target; listed for a cluster autoscaler's word on pods that cannot be placed.
    rules.push({ apiGroups: [''], resources: ['events'], verbs: ['create', 'list'] });
    rules.push({ apiGroups: [''], resources: ['pods'], verbs: ['list'] });
    rules.push({ apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['list'] });
    rules.push({ apiGroups: ['keda.sh'], resources: ['scaledobjects'], verbs: ['list'] });
  }
  const what = n.scales ? 'scales here' : 'keeps state here (state.namespace)';
  return {
    comments: [`Namespace ${ns}: what the fleet ${what}.`],
    object: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name, namespace: ns, labels: LABELS }, rules },
    ...(Object.keys(ruleComments).length > 0 ? { ruleComments } : {}),
  };
}

function bindingOf(ns: string, name: string, options: ManifestOptions): ManifestDocument {
  return {
    comments: [],
    object: {
      apiVersion: `${RBAC}/v1`,
      kind: 'RoleBinding',
      metadata: { name, namespace: ns, labels: LABELS },
      roleRef: { apiGroup: RBAC, kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: options.serviceAccount, namespace: options.namespace }],
    },
  };
}

function configMapOf(ns: string, name: string): ManifestDocument {
  return {
    comments: [],
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: STATE_LABELS } },
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkName(flag: string, value: string, pattern: RegExp): void {
  if (!pattern.test(value)) {
    const what = pattern === DNS_LABEL ? 'a DNS label' : 'a DNS subdomain';
    throw new InvalidArgumentError([
      { path: flag, message: `${JSON.stringify(value)} is not a Kubernetes name (${what})` },
    ]);
  }
}

// ---- YAML: the few shapes above, written as jobs/ writes them (flow lists, a flow map of scalars) ----

const MAX_LINE = 120;

/** The manifests as YAML: the header's comments, then the documents separated by `---`. */
export function renderManifests(m: Manifests): string {
  const header = m.header.map((l) => `# ${l}\n`).join('');
  const docs = m.documents.map((d) => comment(d.comments, '') + mapping(d.object, '', d.ruleComments));
  return header + docs.join('---\n');
}

function comment(lines: string[], indent: string): string {
  return lines.map((l) => `${indent}# ${l}\n`).join('');
}

function scalar(value: string): string {
  // Plain where YAML reads it back as this string; quoted where it would read a number, bool or null.
  const plain = /^[A-Za-z][A-Za-z0-9._/-]*$/.test(value) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

function isScalarMap(value: object): value is Record<string, string> {
  return !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

function mapping(value: object, indent: string, itemComments?: Record<number, string[]>): string {
  let out = '';
  for (const [key, v] of Object.entries(value) as [string, unknown][]) {
    if (v === undefined) continue;
    const head = `${indent}${key}:`;
    if (typeof v === 'string') out += `${head} ${scalar(v)}\n`;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
      const flow = `${head} [${(v as string[]).map((x) => JSON.stringify(x)).join(', ')}]`;
      out += flow.length <= MAX_LINE ? `${flow}\n` : `${head}\n${v.map((x) => `${indent}  - ${scalar(x)}\n`).join('')}`;
    } else if (Array.isArray(v)) {
      out += `${head}\n`;
      v.forEach((item: object, i) => {
        out += comment(itemComments?.[i] ?? [], `${indent}  `);
        const body = mapping(item, `${indent}    `);
        out += `${indent}  - ${body.slice(indent.length + 4)}`;
      });
    } else if (isScalarMap(v as object)) {
      const entries = Object.entries(v as Record<string, string>).map(([k, x]) => `${k}: ${scalar(x)}`);
      const flow = `${head} { ${entries.join(', ')} }`;
      out += flow.length <= MAX_LINE ? `${flow}\n` : `${head}\n${mapping(v as object, `${indent}  `)}`;
    } else out += `${head}\n${mapping(v as object, `${indent}  `)}`;
  }
  return out;
}

/**
 * Prints the manifests for a fleet (or with `iam`, the IAM policy of its AWS side, as JSON); any
 * document that does not validate is an error (exit 2), naming where.
 */
export function manifestsCommand(
  members: FleetMember[],
  ctx: CommandContext,
  options: ManifestOptions & { iam?: IamOptions | undefined },
): void {
  const issues: FieldIssue[] = members.flatMap((m) => {
    if (!m.error) return [];
    if (!(m.error instanceof ConfigError)) return [{ path: m.source, message: messageOf(m.error) }];
    return m.error.issues.map((i) => ({ path: i.path ? `${m.source}: ${i.path}` : m.source, message: i.message }));
  });
  if (issues.length > 0) throw new ConfigError(issues);
  const configured = members.map((m) => ({ source: m.source, config: m.config! }));
  if (!options.iam) return ctx.out(renderManifests(fleetManifests(configured, options)));
  const policy = fleetIamPolicy(
    configured.map((m) => m.config),
    options.iam,
  );
  if (!policy) {
    const what = 'no AWS target and no DynamoDB state in the fleet: it needs no IAM policy';
    throw new InvalidArgumentError([{ path: '--iam', message: what }]);
  }
  ctx.out(`${JSON.stringify(policy, null, 2)}\n`);
}
