// The load generator's own delay: how late its event loop ran while the load test measured. A
// generator starved of CPU (a 250m Job, a busy node) answers its sockets late, and that lateness
// is added to every latency it records — it would be read as the service's (DESIGN §4.1).
import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import type { GeneratorDelay } from '../model/observations.ts';

/** The sampling interval: each sample is how long a 10 ms timer took beyond 10 ms. */
const RESOLUTION_MS = 10;

export class GeneratorLag {
  private histogram: ELDHistogram | undefined;

  start(): void {
    if (this.histogram) return;
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
  }

  stop(): void {
    this.histogram?.disable();
  }

  summary(): GeneratorDelay {
    const h = this.histogram;
    // The histogram holds whole intervals in ns: the delay is what exceeds the resolution.
    const lateMs = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    if (!h || h.count === 0) return { meanMs: 0, p99Ms: 0, maxMs: 0, samples: 0 };
    return { meanMs: lateMs(h.mean), p99Ms: lateMs(h.percentile(99)), maxMs: lateMs(h.max), samples: h.count };
  }
}
