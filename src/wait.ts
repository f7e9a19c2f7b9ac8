// The one abortable wait: Node's promise timer, ended at once by the run's signal with the signal's
// reason (the InterruptedError the run exits with), not the timer's own AbortError.
import { setTimeout as timer } from 'node:timers/promises';

export async function wait(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return; // no timer: a negative delay would only warn
  try {
    await timer(ms, undefined, { signal });
  } catch (err) {
    signal?.throwIfAborted();
    throw err;
  }
}
