// A target's identity, shared by the configuration (default state path), the stores (which refuse
// another target's record) and the decision (the record's owner). Pure.
import { isHttpTarget, type TargetRef } from '../config/types.ts';

/** A stable, file- and key-safe identity of a target. */
export function targetKey(target: TargetRef): string {
  if (isHttpTarget(target)) {
    const url = new URL(target.url);
    return `http-${url.host}${url.pathname}`.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/-+$/, '');
  }
  return `${target.namespace}.${target.kind.toLowerCase()}.${target.name}`;
}

/** One file per target, so two targets run from one directory never share a record. */
export function defaultStatePath(target: TargetRef | undefined): string {
  return `.latency-scaler/${target ? targetKey(target) : 'default'}.json`;
}
