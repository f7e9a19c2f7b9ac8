// Per-call options for the generated client: an abort signal and a timeout on every request,
// set through a middleware (the generated API has no per-call signal parameter).
// The middleware answers with the package's own Observable (exported from its root).
import { Observable, type ConfigurationOptions } from './client.ts';

export interface KubeCallLimits {
  deadlineMs: number; // retries of one API call stop after this (api.retryFor)
  callTimeoutMs: number; // one API request (api.timeout)
}

export function callOptions(signal: AbortSignal | undefined, timeoutMs: number): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          const timeout = AbortSignal.timeout(timeoutMs);
          context.setSignal(signal ? AbortSignal.any([signal, timeout]) : timeout);
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}
