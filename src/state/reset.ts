// `state reset` removes only this target's record: each store reads first, and what is not ours —
// another target's record, or something that is no record at all — is left alone (exit 2) unless
// the operator says --force.
import { NotOurStateError, RefusedError } from '../errors.ts';

export interface RemoveOptions {
  /** Remove what is there even when it is not this target's record. */
  force?: boolean;
}

/**
 * What a reset found, read as `state show` reads it: `ours` (this target's record, or nothing
 * stored), or `foreign` when forced over what is not ours. Unforced, that is refused.
 */
export async function readBeforeReset<T>(
  read: () => Promise<T>,
  options: RemoveOptions,
): Promise<{ ours: T } | { foreign: NotOurStateError }> {
  try {
    return { ours: await read() };
  } catch (err) {
    if (!(err instanceof NotOurStateError)) throw err;
    if (!options.force) {
      const why = "it is not this target's record, so it was left as it is";
      throw new RefusedError(`state reset: ${err.found}: ${why}; to remove it anyway: state reset --force`, {
        cause: err,
      });
    }
    return { foreign: err };
  }
}
