// The rules of the production signals (DESIGN §9): a query needs a server, a secret has one source, a
// production target is named and reads no load test. Pure; problems go to the caller's list.
import type * as v from 'valibot';
import type { Issues } from './issues.ts';
import type { ConfigSchema } from './schema.ts';
import type { ScalerConfig } from './types.ts';

type Parsed = v.InferOutput<typeof ConfigSchema>;
type Signals = Parsed['signals'];

/**
 * Demand can be seen at zero replicas (DESIGN §4.14): a production load query is configured. The one
 * condition under which `replicas.min: 0` is allowed.
 */
export function hasProductionLoadQuery(config: { signals?: { rate?: { query?: string } | undefined } }): boolean {
  return config.signals?.rate?.query !== undefined;
}

/** One query the run reads: a production target's (by its name) or the load signal's (`rate`). */
export interface ProductionQuery {
  kind: 'target' | 'rate';
  name: string;
  query: string;
  /** The configuration field it came from, for `validate`'s messages: `targets[2].query`. */
  path: string;
}

/** The queries of a configuration, targets first, in their order; none without signals.prometheus. */
export function productionQueries(config: Pick<ScalerConfig, 'targets' | 'signals'>): ProductionQuery[] {
  if (!config.signals.prometheus) return [];
  const out: ProductionQuery[] = [];
  config.targets.forEach((t, i) => {
    if (t.query !== undefined)
      out.push({ kind: 'target', name: t.request, query: t.query, path: `targets[${i}].query` });
  });
  const rate = config.signals.rate;
  if (rate) out.push({ kind: 'rate', name: 'rate', query: rate.query, path: 'signals.rate.query' });
  return out;
}

/** The rules inside `signals`, and between it and the targets that read it. */
export function checkSignals(
  signals: Signals | undefined,
  targets: Parsed['targets'] | undefined,
  issues: Issues,
): void {
  const prometheus = signals?.prometheus;
  const where = 'signals.prometheus.url';
  if (signals?.rate && !prometheus) issues.add('signals.rate', `reads Prometheus: set ${where} too`);
  (targets ?? []).forEach((t, i) => {
    if (t.query === undefined) return;
    const path = `targets[${i}]`;
    if (!prometheus) issues.add(`${path}.query`, `reads Prometheus: set ${where} too`);
    if (t.name === undefined)
      issues.add(`${path}.name`, 'is required for a production target: it names the query in records and Events');
    else if (t.name === 'rate') issues.add(`${path}.name`, '"rate" is the load signal\'s name; choose another');
    if (t.type !== undefined) {
      issues.add(`${path}.type`, "names a statistic of the load test; a production target's value is its query's");
    }
    if (t.endpoint !== undefined) issues.add(`${path}.endpoint`, 'names a probe request; a production target has none');
  });
  const names = (targets ?? []).filter((t) => t.query !== undefined).map((t) => t.name);
  names.forEach((name, i) => {
    if (name !== undefined && names.indexOf(name) !== i)
      issues.add('targets', `two production targets are named ${JSON.stringify(name)}; names must be unique`);
  });
  const auth = prometheus?.auth;
  if (!auth) return;
  if (auth.bearer && auth.basic) issues.add('signals.prometheus.auth', 'has both bearer and basic: choose one');
  if (!auth.bearer && !auth.basic) issues.add('signals.prometheus.auth', 'needs bearer or basic');
  const oneSource = (s: { file?: string | undefined; env?: string | undefined } | undefined, at: string): void => {
    if (s && (s.file === undefined) === (s.env === undefined))
      issues.add(at, 'needs exactly one of file (e.g. a mounted Secret) and env (an environment variable)');
  };
  oneSource(auth.bearer, 'signals.prometheus.auth.bearer');
  oneSource(auth.basic?.password, 'signals.prometheus.auth.basic.password');
  if (auth.basic && new URL(prometheus.url).username)
    issues.add('signals.prometheus.auth.basic', 'and credentials in signals.prometheus.url: choose one');
}
