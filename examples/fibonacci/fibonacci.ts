// The classic example service: GET /fibonacci?n=7 → 13 (F(0)=0, F(1)=1), computed by deliberately
// naive recursion so that load costs CPU. n is capped so one request cannot pin a core for minutes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export const MAX_N = 32; // F(32) naive: ~7M calls, a few tens of ms; F(45) would take minutes

export function fibonacci(n: number): number {
  return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);
}

/** n from the query, or the reason it is refused. */
export function parseN(raw: string | null): { n: number } | { error: string } {
  if (raw === null || raw.trim() === '') return { error: 'missing query parameter n, e.g. /fibonacci?n=10' };
  if (!/^\d+$/.test(raw.trim())) return { error: `n must be a non-negative integer, got ${JSON.stringify(raw)}` };
  const n = Number(raw);
  if (n > MAX_N) return { error: `n must be at most ${MAX_N}, got ${n}` };
  return { n };
}

export function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' || url.pathname !== '/fibonacci') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /fibonacci?n=10\n');
    return;
  }
  const parsed = parseN(url.searchParams.get('n'));
  if ('error' in parsed) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`${parsed.error}\n`);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' }).end(String(fibonacci(parsed.n)));
}

export function fibonacciServer(): Server {
  return createServer(handle);
}

// `node examples/fibonacci/fibonacci.ts` (or the container) serves on $PORT (default 5000).
if (import.meta.main) {
  const port = Number(process.env['PORT'] ?? 5000);
  const server = fibonacciServer().listen(port, process.env['HOST'] ?? '0.0.0.0', () =>
    console.log(`fibonacci listening on :${port}`),
  );
  process.on('SIGTERM', () => server.close());
}
