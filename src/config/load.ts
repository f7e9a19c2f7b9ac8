// Where configuration comes from, lowest precedence first: defaults < YAML file (or inline YAML)
// < LPA environment aliases < SCALER_* environment < flags < per-invocation overrides.
import { readdir, readFile, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { load as loadYaml, loadAll as loadAllYaml, YAMLException } from 'js-yaml';
import { ConfigError, ScalerError } from '../errors.ts';
import { isObject, show, type Raw } from './fields.ts';
import { validateConfig, type ValidateOptions } from './validate.ts';
import { AWS_KINDS, type LoadTestOnlyConfig, type ScalerConfig } from './types.ts';

interface Override {
  path: string;
  env: string;
  flag?: string;
  lpa?: string; // the Locust Pod Autoscaler's variable for the same setting
}

export const OVERRIDES: readonly Override[] = [
  { path: 'loadTest.host', env: 'SCALER_HOST', flag: 'host', lpa: 'locustHost' },
  { path: 'loadTest.users', env: 'SCALER_USERS', flag: 'users', lpa: 'locustUsers' },
  { path: 'loadTest.spawnRate', env: 'SCALER_SPAWN_RATE', flag: 'spawn-rate', lpa: 'locustHatchRate' },
  { path: 'loadTest.duration', env: 'SCALER_DURATION', flag: 'duration', lpa: 'locustRunTime' },
  { path: 'loadTest.engine', env: 'SCALER_ENGINE', flag: 'engine' },
  { path: 'loadTest.locust.locustfile', env: 'SCALER_LOCUSTFILE', flag: 'locustfile', lpa: 'locustFilePath' },
  { path: 'target.kind', env: 'SCALER_TARGET_KIND', flag: 'target-kind' },
  { path: 'target.apiVersion', env: 'SCALER_TARGET_API_VERSION', flag: 'target-api-version' },
  { path: 'target.name', env: 'SCALER_TARGET_NAME', flag: 'target-name' },
  { path: 'target.namespace', env: 'SCALER_TARGET_NAMESPACE', flag: 'target-namespace' },
  { path: 'target.url', env: 'SCALER_TARGET_URL', flag: 'target-url' },
  { path: 'target.cluster', env: 'SCALER_TARGET_CLUSTER' },
  { path: 'target.service', env: 'SCALER_TARGET_SERVICE' },
  { path: 'replicas.min', env: 'SCALER_MIN_REPLICAS', flag: 'min-replicas' },
  { path: 'replicas.max', env: 'SCALER_MAX_REPLICAS', flag: 'max-replicas' },
  { path: 'state.store', env: 'SCALER_STATE_STORE', flag: 'state-store' },
  { path: 'state.path', env: 'SCALER_STATE_PATH', flag: 'state-path' },
  { path: 'state.name', env: 'SCALER_STATE_CONFIGMAP' },
  { path: 'state.table', env: 'SCALER_STATE_TABLE', flag: 'state-table' },
  { path: 'state.region', env: 'SCALER_STATE_REGION' },
  { path: 'state.endpoint', env: 'SCALER_STATE_ENDPOINT' },
  { path: 'metrics.pushgateway', env: 'SCALER_PUSHGATEWAY', flag: 'pushgateway' },
];

export interface ConfigSources {
  /** --config; else SCALER_CONFIG, LPA's evaluationConfigFilePath, then ./scaler.yaml. */
  configPath?: string | undefined;
  env: Record<string, string | undefined>;
  flags?: Record<string, unknown>;
  /** Dotted paths → values (`--set loadTest.users=20`, a Lambda event's `overrides`). */
  overrides?: Record<string, unknown>;
  /** Who named configPath(s), for messages: `--config` unless said (`environment SCALER_CONFIG`). */
  configFrom?: string;
  /** Who set the overrides, for messages: `--set` on the command line; `override` (a Lambda event's) else. */
  overridesFrom?: string;
  /** `loadtest --host …`: flags alone are enough, no file needed. */
  fileOptional?: boolean;
  /**
   * The namespace of the pod that will run these configurations (`manifests --namespace`): a target
   * without one is in it there, so the RBAC written for it must say so. Default: this pod's own.
   */
  podNamespace?: string | undefined;
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function detectEnvironment(env: Record<string, string | undefined>): ValidateOptions['environment'] {
  if (env['AWS_LAMBDA_FUNCTION_NAME']) return 'lambda';
  if (env['KUBERNETES_SERVICE_HOST']) return 'cluster';
  return 'local';
}

/** The configuration of a run: a scale target is required. `document`: one already read (a fleet's). */
export async function loadConfig(
  sources: ConfigSources,
  document?: { raw: Raw; source: string },
): Promise<ScalerConfig> {
  const { raw, origins, source, environment } = await merge(sources, document);
  return validateConfig(raw, { source, origins, requireTarget: true, environment });
}

/** One autoscaler of a fleet: where its document came from, and its configuration or why it has none. */
export interface FleetMember {
  source: string; // `fleet/web.yaml`, or `fleet.yaml#2` for the second document of a file
  config?: ScalerConfig;
  error?: ScalerError;
}

/**
 * Several autoscalers at once (DESIGN §7), as `kubectl apply -f` reads them: each path a file or a
 * directory (its *.yaml and *.yml, in name order), each file one or more documents (`---`); or the
 * documents of SCALER_CONFIG_YAML. The environment, flags and overrides apply to every document. A
 * document that does not validate is a member with its error — it never stops the others.
 */
export async function loadFleet(sources: ConfigSources & { configPaths: string[] }): Promise<FleetMember[]> {
  const documents = await readDocuments(sources);
  return Promise.all(
    documents.map(async (doc): Promise<FleetMember> => {
      const { source } = doc;
      if ('error' in doc) return { source, error: doc.error };
      try {
        return { source, config: await loadConfig({ ...sources, configPath: undefined }, doc) };
      } catch (err) {
        if (err instanceof ScalerError) return { source, error: err };
        throw err;
      }
    }),
  );
}

/** A document of a fleet, or why its file or document could not be read (a member's own error). */
type Document = { raw: Raw; source: string } | { source: string; error: ScalerError };

async function readDocuments(sources: ConfigSources & { configPaths: string[] }): Promise<Document[]> {
  const { env } = sources;
  let paths = sources.configPaths;
  let from = sources.configFrom ?? '--config';
  if (paths.length === 0) {
    if (env['SCALER_CONFIG_YAML']) return documentsOf(env['SCALER_CONFIG_YAML'], 'environment SCALER_CONFIG_YAML');
    const named = namedConfig(env);
    if (!named) return [await readRaw(sources)];
    // SCALER_CONFIG may name a directory, as --config may: a fleet.
    paths = [named.path];
    from = named.from;
  }
  const files: string[] = [];
  for (const path of paths) files.push(...(await filesOf(path, from)));
  // One file's typo, or one unreadable file, stays with its member: the fleet's others still run.
  const read = await Promise.all(
    files.map((file) =>
      readText(file, from).then(
        (text) => documentsOf(text, file),
        (err: unknown) => [memberError(err, file)],
      ),
    ),
  );
  return read.flat();
}

/** A path's configuration files: itself, or a directory's *.yaml and *.yml in name order. */
async function filesOf(path: string, from: string): Promise<string[]> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError([{ path: from, message: `cannot read ${where(path)}: ${readWhy(err)}` }]);
  });
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => /\.ya?ml$/.test(n)).sort();
  if (names.length === 0)
    throw new ConfigError([{ path: from, message: `${where(path)} is a directory with no *.yaml file` }]);
  return names.map((n) => join(path, n));
}

/** The documents of one YAML text (`---`-separated); empty documents are skipped. */
function documentsOf(text: string, file: string): Document[] {
  const one = (): Document => {
    try {
      return { raw: parseYaml(text, file), source: file }; // the same message as for one document
    } catch (err) {
      return memberError(err, file);
    }
  };
  let docs: unknown[];
  try {
    docs = loadAllYaml(text, null, { filename: file }).filter((d) => d !== null && d !== undefined);
  } catch {
    return [one()];
  }
  if (docs.length <= 1) return [one()];
  return docs.map((doc, i) => {
    const source = `${file}#${i + 1}`;
    if (isObject(doc)) return { raw: doc, source };
    const message = `the document is ${show(doc)}, expected a YAML mapping of settings`;
    return { source, error: new ConfigError([{ path: '', message }], source) };
  });
}

function memberError(err: unknown, source: string): Document {
  if (err instanceof ScalerError) return { source, error: err };
  throw err;
}

/** The configuration of a load test alone (`loadtest`): no scale target needed. */
export async function loadLoadTestConfig(sources: ConfigSources): Promise<LoadTestOnlyConfig> {
  const { raw, origins, source, environment } = await merge(sources);
  return validateConfig(raw, { source, origins, requireTarget: false, environment });
}

async function merge(
  sources: ConfigSources,
  document?: { raw: Raw; source: string },
): Promise<{ raw: Raw; origins: Map<string, string>; source: string; environment: ValidateOptions['environment'] }> {
  const { env } = sources;
  const origins = new Map<string, string>();
  const { raw, source } = document ?? (await readRaw(sources));

  for (const o of OVERRIDES) {
    if (o.lpa && env[o.lpa] !== undefined) setPath(raw, o.path, env[o.lpa], origins, `environment ${o.lpa}`);
  }
  for (const o of OVERRIDES) {
    if (env[o.env] !== undefined) setPath(raw, o.path, env[o.env], origins, `environment ${o.env}`);
  }
  for (const o of OVERRIDES) {
    const value = o.flag ? sources.flags?.[o.flag] : undefined;
    if (value !== undefined) setPath(raw, o.path, value, origins, `--${o.flag}`);
  }
  for (const [path, value] of Object.entries(sources.overrides ?? {}))
    setPath(raw, path, value, origins, `${sources.overridesFrom ?? 'override'} ${path}`);

  refuseForbiddenKeys(raw, '', source);
  const environment = detectEnvironment(env);
  const target = raw['target'];
  if (isObject(target)) {
    if (target['url'] !== undefined && target['kind'] === undefined) target['kind'] = 'http';
    // As kubectl: in a pod, the pod's own namespace; outside, the kubeconfig context's. `manifests`
    // places a target as its Job's pod would (sources.podNamespace).
    const kubernetes = target['kind'] !== 'http' && !(AWS_KINDS as readonly unknown[]).includes(target['kind']);
    if (kubernetes && target['namespace'] === undefined) {
      const found =
        sources.podNamespace !== undefined
          ? { namespace: sources.podNamespace, from: 'the Job namespace (--namespace)' }
          : environment === 'cluster'
            ? podNamespace()
            : contextNamespace(env);
      if (found) {
        target['namespace'] = found.namespace;
        origins.set('target.namespace', found.from);
      }
    }
  }
  return { raw, origins, source, environment };
}

function podNamespace(): { namespace: string; from: string } | undefined {
  if (!existsSync(SA_NAMESPACE_FILE)) return undefined;
  return { namespace: readFileSync(SA_NAMESPACE_FILE, 'utf8').trim(), from: "the pod's service account namespace" };
}

/**
 * The current kubeconfig context's namespace, as kubectl takes it: KUBECONFIG's files (the first that
 * names a current context), else ~/.kube/config. Read as YAML here, so no Kubernetes client is loaded.
 */
export function contextNamespace(
  env: Record<string, string | undefined>,
): { namespace: string; from: string } | undefined {
  const files = env['KUBECONFIG']
    ? env['KUBECONFIG'].split(':').filter(Boolean)
    : env['HOME']
      ? [join(env['HOME'], '.kube', 'config')]
      : [];
  const docs = files.flatMap((file) => {
    try {
      return [{ file, doc: loadYaml(readFileSync(file, 'utf8')) as Kubeconfig | null }];
    } catch {
      return []; // unreadable or not YAML: the Kubernetes client says so when it loads it
    }
  });
  const current = docs.find((d) => d.doc?.['current-context'])?.doc?.['current-context'];
  if (!current) return undefined;
  for (const { file, doc } of docs) {
    const namespace = doc?.contexts?.find((c) => c?.name === current)?.context?.namespace;
    if (namespace) return { namespace, from: `kubeconfig context ${JSON.stringify(current)} (${file})` };
  }
  return undefined;
}

interface Kubeconfig {
  'current-context'?: string;
  contexts?: { name?: string; context?: { namespace?: string } }[];
}

async function readRaw(sources: ConfigSources): Promise<{ raw: Raw; source: string }> {
  const { env } = sources;
  if (!sources.configPath && env['SCALER_CONFIG_YAML']) {
    return {
      raw: parseYaml(env['SCALER_CONFIG_YAML'], 'environment SCALER_CONFIG_YAML'),
      source: 'environment SCALER_CONFIG_YAML',
    };
  }
  const named = sources.configPath
    ? { path: sources.configPath, from: sources.configFrom ?? '--config' }
    : (namedConfig(env) ?? (existsSync('scaler.yaml') ? { path: 'scaler.yaml', from: 'default' } : undefined));
  if (!named && sources.fileOptional) return { raw: {}, source: 'the command line' };
  if (!named) {
    throw new ConfigError([
      {
        path: '--config',
        message:
          'no configuration given: pass --config <file>, set SCALER_CONFIG or SCALER_CONFIG_YAML, ' +
          'or put a scaler.yaml in the working directory',
      },
    ]);
  }
  return { raw: parseYaml(await readText(named.path, named.from), named.path), source: named.path };
}

/** The configuration file the environment names, and which variable named it. */
function namedConfig(env: Record<string, string | undefined>): { path: string; from: string } | undefined {
  if (env['SCALER_CONFIG']) return { path: env['SCALER_CONFIG'], from: 'environment SCALER_CONFIG' };
  const lpa = env['evaluationConfigFilePath'];
  return lpa ? { path: lpa, from: 'environment evaluationConfigFilePath' } : undefined;
}

/** A path as the operator can find it: a relative one with the directory it was read from. */
function where(path: string): string {
  return isAbsolute(path) ? show(path) : `${show(path)} (in ${process.cwd()})`;
}

/** `from`: who named the file (`--config`, `environment SCALER_CONFIG`), for the message. */
async function readText(path: string, from = '--config'): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: from, message: `cannot read ${where(path)}: ${readWhy(err)}` }]);
  }
}

function readWhy(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  const words: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
  };
  return words[code] ?? code;
}

function parseYaml(text: string, source: string): Raw {
  let doc: unknown;
  try {
    doc = loadYaml(text, { filename: source });
  } catch (err) {
    const reason = err instanceof YAMLException ? err.reason : String(err);
    const mark =
      err instanceof YAMLException && err.mark ? ` at line ${err.mark.line + 1}, column ${err.mark.column + 1}` : '';
    throw new ConfigError([{ path: '', message: `malformed YAML${mark}: ${reason}` }], source);
  }
  if (doc === undefined || doc === null) return {};
  if (!isObject(doc))
    throw new ConfigError(
      [{ path: '', message: `the document is ${show(doc)}, expected a YAML mapping of settings` }],
      source,
    );
  return doc;
}

/** Keys that would reach an object's prototype if written: never a setting, anywhere. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * `loadTest.users`, `targets[0].target` or `targets.0.target` → the steps to walk: keys and list indices.
 * An index reaches an item that exists: `--set` changes a list, it does not grow one.
 */
function pathSteps(path: string): (string | number)[] {
  const steps: (string | number)[] = [];
  for (const segment of path.split('.')) {
    const [key, ...indices] = segment.split('[');
    steps.push(/^\d+$/.test(key!) ? Number(key) : key!);
    for (const index of indices) steps.push(/^\d+\]$/.test(index) ? Number(index.slice(0, -1)) : `[${index}`);
  }
  return steps;
}

/** The validator's spelling of a path (`targets[0].target`), so a value's origin is found by its issue. */
function pathName(steps: (string | number)[]): string {
  return steps.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function setPath(raw: Raw, path: string, value: unknown, origins: Map<string, string>, origin: string): void {
  const steps = pathSteps(path);
  const refuse = (why: string): never => {
    throw new ConfigError([{ path: origin, message: why }]);
  };
  const bad = steps.find((k) => typeof k === 'string' && (FORBIDDEN_KEYS.has(k) || k === '' || k.startsWith('[')));
  if (bad !== undefined) {
    const why =
      bad === ''
        ? 'has an empty segment'
        : String(bad).startsWith('[')
          ? `has ${JSON.stringify(bad)}, which is no list index (a number in brackets, e.g. targets[0])`
          : `names ${JSON.stringify(bad)}, which is no setting`;
    refuse(`${why}; expected a dotted path such as loadTest.users or targets[0].target`);
  }
  let node: Raw | unknown[] = raw;
  for (const [i, step] of steps.entries()) {
    const last = i === steps.length - 1;
    const at = pathName(steps.slice(0, i));
    if (typeof step === 'number') {
      if (!Array.isArray(node)) refuse(`indexes ${at}, which is no list here`);
      const list = node as unknown[];
      if (step >= list.length) {
        const count = list.length;
        const has =
          count === 0 ? 'no items' : count === 1 ? `one, ${at}[0]` : `${count}, ${at}[0] to ${at}[${count - 1}]`;
        refuse(`reaches no item: ${at} has ${has} (an item is changed, not added, by a path)`);
      }
      if (last) list[step] = value;
      else if (isObject(list[step]) || Array.isArray(list[step])) node = list[step] as Raw | unknown[];
      else refuse(`goes inside ${at}[${step}], which is ${show(list[step])}, not a mapping`);
      continue;
    }
    if (Array.isArray(node))
      refuse(`names ${JSON.stringify(step)} inside the list ${at}; expected an index, e.g. ${at}[0]`);
    const map = node as Raw;
    if (last) map[step] = value;
    else {
      const nextIsIndex = typeof steps[i + 1] === 'number';
      if (nextIsIndex && !Array.isArray(map[step]))
        refuse(`indexes ${pathName(steps.slice(0, i + 1))}, which is no list here`);
      if (!nextIsIndex && !isObject(map[step]) && !Array.isArray(map[step])) map[step] = {};
      node = map[step] as Raw | unknown[];
    }
  }
  origins.set(pathName(steps), origin);
}

/** A document key that could reach a prototype (`__proto__`, `constructor`, `prototype`) is refused. */
function refuseForbiddenKeys(value: unknown, path: string, source: string): void {
  if (Array.isArray(value)) return value.forEach((v, i) => refuseForbiddenKeys(v, `${path}[${i}]`, source));
  if (!isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    if (FORBIDDEN_KEYS.has(k))
      throw new ConfigError(
        [{ path: at, message: "is not a setting (a key that could reach an object's prototype)" }],
        source,
      );
    refuseForbiddenKeys(v, at, source);
  }
}

/** `a.b=3` → ['a.b', 3]; the value is read as a YAML scalar so numbers stay numbers. */
export function parseSet(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new ConfigError([{ path: '--set', message: `${show(text)} is not path=value, e.g. loadTest.users=20` }]);
  const value = text.slice(eq + 1);
  let parsed: unknown = value;
  try {
    parsed = loadYaml(value);
  } catch {
    // keep the raw string
  }
  return [text.slice(0, eq), parsed ?? value];
}
