// A source of production signals (DESIGN §9): an adapter that adds observations to a run. Reading
// never fails the run: a signal it cannot read is unmeasured, and its reading says why.
import type { ProductionQuery } from '../config/signals.ts';
import type { ProductionObservations, ProductionReading } from '../model/observations.ts';

export interface ReadBounds {
  signal?: AbortSignal | undefined;
  /** No call outlasts this (epoch ms): the run's deadline. */
  until?: number | undefined;
}

/** What `validate` learns of one query: its syntax (when the server could be asked), and its value now. */
export interface QueryCheck {
  query: ProductionQuery;
  /** The server's parse error: a typo, found before the schedule runs. */
  syntaxError?: string;
  /** The server could not be asked (refused, timed out, an error status): nothing was checked. */
  unreachable?: string;
  reading?: ProductionReading;
}

export interface SignalSource {
  /** `Prometheus at http://prometheus:9090` (credentials masked). */
  describe(): string;
  /** Every query's reading, concurrently, each bounded by api.timeout, the run's signal and deadline. */
  read(queries: readonly ProductionQuery[], bounds: ReadBounds): Promise<ProductionObservations>;
  check(queries: readonly ProductionQuery[], bounds: ReadBounds): Promise<QueryCheck[]>;
  close(): Promise<void>;
}
