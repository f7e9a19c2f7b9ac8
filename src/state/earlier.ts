// A record written under the key earlier versions gave the target (model/target-key.ts earlierTargetKey):
// every store accepts it as this target's and moves it on the next write. Where it lives elsewhere (the
// earlier default file, the earlier DynamoDB item) the version read says so, so the write knows to move it.
import type { StateRecord } from '../model/state-record.ts';

const EARLIER = 'earlier:';

/** The record as this target's: its own, or one under the earlier key, now owned by this one; else null. */
export function ownedRecord(record: StateRecord, key: string, earlierKey: string | undefined): StateRecord | null {
  if (record.target === key) return record;
  return earlierKey !== undefined && record.target === earlierKey ? { ...record, target: key } : null;
}

/** The version of a record read at the earlier place, `earlier:<its version there>`. */
export function earlierVersion(version: string): string {
  return `${EARLIER}${version}`;
}

/** Its version at the earlier place when `version` was read there; else undefined. */
export function versionAtEarlier(version: string | null): string | undefined {
  return version?.startsWith(EARLIER) ? version.slice(EARLIER.length) : undefined;
}
