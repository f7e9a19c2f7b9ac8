// Real HTTP servers for frame tests: a service that counts the requests it answers, and an http
// scale target (DESIGN §3) that holds a replica count and counts reads and writes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingService {
  url: string;
  requests: number;
  delayMs: number;
  /** Called on the next request only: lets a test act while a load test is running. */
  onRequest?: (() => void) | undefined;
  close(): Promise<void>;
}

export async function startService(delayMs = 0): Promise<CountingService> {
  const state: { requests: number; delayMs: number; onRequest?: (() => void) | undefined } = { requests: 0, delayMs };
  const server = createServer((req, res) => {
    state.requests++;
    const hook = state.onRequest;
    state.onRequest = undefined; // once: the next request that arrives
    hook?.();
    setTimeout(() => res.end('ok'), state.delayMs);
  });
  const url = await listen(server);
  return Object.assign(state, { url, close: () => close(server) });
}

export interface ScaleServer {
  url: string;
  replicas: number;
  readyReplicas?: number;
  paused: boolean;
  /** Sent as they are when set (the http target's pause vocabulary). */
  pausedReplicas?: unknown;
  pausedScaleDown?: unknown;
  reads: number;
  writes: number[];
  close(): Promise<void>;
}

export async function startScaleServer(replicas: number): Promise<ScaleServer> {
  const state: Omit<ScaleServer, 'url' | 'close'> = { replicas, paused: false, reads: 0, writes: [] };
  const server = createServer((req, res) => answerScale(state, req, res));
  const url = `${await listen(server)}/replicas`;
  return Object.assign(state, { url, close: () => close(server) }) as ScaleServer;
}

export interface PoolServer {
  /** The server's origin: a pool's webhook is `${url}${path}`. */
  url: string;
  /** Each pool's count, reads and writes, by its path. */
  pools: Record<string, Omit<ScaleServer, 'url' | 'close'>>;
  close(): Promise<void>;
}

/** One http scale target per path on one server: webhooks that differ only in their path (`/pool-a`, `/pool_a`). */
export async function startPoolServer(replicasByPath: Record<string, number>): Promise<PoolServer> {
  const pools = Object.fromEntries(
    Object.entries(replicasByPath).map(([path, replicas]) => [path, { replicas, paused: false, reads: 0, writes: [] }]),
  );
  const server = createServer((req, res) => {
    const pool = pools[new URL(req.url ?? '/', 'http://x').pathname];
    if (!pool) return void res.writeHead(404).end();
    answerScale(pool, req, res);
  });
  const url = await listen(server);
  return { url, pools, close: () => close(server) };
}

/** The webhook's protocol (README, http target): GET the count, PUT a new one with the count it expects. */
function answerScale(state: Omit<ScaleServer, 'url' | 'close'>, req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'PUT') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { replicas: next, expectedReplicas } = JSON.parse(body) as {
        replicas: number;
        expectedReplicas?: number;
      };
      if (expectedReplicas !== undefined && expectedReplicas !== state.replicas) {
        res.writeHead(409).end(JSON.stringify({ error: `replicas are ${state.replicas}, not ${expectedReplicas}` }));
        return;
      }
      state.writes.push(next);
      state.replicas = next;
      res.end(JSON.stringify({ replicas: next }));
    });
    return;
  }
  state.reads++;
  res.setHeader('content-type', 'application/json');
  const pause = { pausedReplicas: state.pausedReplicas, pausedScaleDown: state.pausedScaleDown };
  const ready = state.readyReplicas !== undefined ? { readyReplicas: state.readyReplicas } : {};
  res.end(JSON.stringify({ replicas: state.replicas, paused: state.paused, ...ready, ...pause }));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
