// One replica of the demo service: the Fibonacci app, serving one request at a time. Each request
// also waits SERVICE_MS — a stand-in for per-replica capacity, so that on a 2-core laptop more
// replicas really mean less queueing (CPU-bound replicas could not get faster beyond 2 cores).
import { createServer } from 'node:http';
import { handle } from '../fibonacci/fibonacci.ts';

const SERVICE_MS = Number(process.env['SERVICE_MS'] ?? 10);
let busy: Promise<void> = Promise.resolve();

const server = createServer((req, res) => {
  // One at a time: each request waits for the one before it on this replica.
  busy = busy.then(
    () =>
      new Promise<void>((done) => {
        setTimeout(() => {
          handle(req, res);
          done();
        }, SERVICE_MS);
      }),
  );
});
server.keepAliveTimeout = 1000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.send?.({ port });
});
// This file is a process entry point: it ends itself when the pool goes away.
process.on('disconnect', () => process.exit(0)); // eslint-disable-line no-restricted-syntax
process.on('SIGTERM', () => server.close(() => process.exit(0))); // eslint-disable-line no-restricted-syntax
