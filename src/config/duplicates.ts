// One target, one autoscaler: within one invocation (a fleet), two documents that scale the same target,
// or whose records would fold into one, are refused before any load, each naming the other. Pure.
import { resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { stateConfigMap, targetKey } from '../model/target-key.ts';
import { describeTarget, type ScalerConfig } from './types.ts';

interface Member {
  source: string;
  config?: ScalerConfig;
  error?: unknown;
}

/** The members, with those that share a target (or a record) turned into invalid members. */
export function refuseDuplicateTargets<M extends Member>(members: readonly M[]): M[] {
  const byKey = new Map<string, M[]>();
  for (const m of members) {
    if (!m.config) continue;
    const key = targetKey(m.config.target);
    byKey.set(key, [...(byKey.get(key) ?? []), m]);
  }
  return members.map((m) => {
    if (!m.config) return m;
    const key = targetKey(m.config.target);
    const others = (byKey.get(key) ?? []).filter((o) => o !== m);
    const what = describeTarget(m.config.target);
    const same = others.filter((o) => describeTarget(o.config!.target) === what);
    if (same.length > 0) {
      const message =
        `${what} is also scaled by ${names(same)}: one target, one autoscaler — two would each load it and ` +
        'undo the other’s changes; keep one document';
      return { ...m, config: undefined, error: new ConfigError([{ path: 'target', message }], m.source) };
    }
    const shared = others.filter((o) => stateWhere(o.config!) === stateWhere(m.config!));
    if (shared.length === 0) return m;
    const message =
      `${what} and ${shared.map((o) => describeTarget(o.config!.target)).join(', ')} (${names(shared)}) would ` +
      `share one state record (${stateWhere(m.config)}, key ${key}): give one of them its own state.path or state.name`;
    return { ...m, config: undefined, error: new ConfigError([{ path: 'state', message }], m.source) };
  });
}

function names(members: readonly Member[]): string {
  return members.map((o) => o.source).join(', ');
}

/** Where a configuration's record lives. */
function stateWhere(config: ScalerConfig): string {
  const state = config.state;
  if (state.store === 'file') return `file ${resolve(state.path)}`;
  if (state.store === 'dynamodb') return `dynamodb table ${state.table}`;
  const { namespace, name } = stateConfigMap(state, config.target);
  return `configmap ${namespace}/${name}`;
}
