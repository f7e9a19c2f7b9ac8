// The demo's "deployment": worker processes behind one port, sent the request to the replica with
// the fewest in flight, plus the http scale target of DESIGN §3 that resizes the pool:
//   GET /replicas → {"replicas", "readyReplicas"}; PUT /replicas {"replicas", "expectedReplicas"}.
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

interface Replica {
  child: ChildProcess;
  port?: number;
  inFlight: number;
}

export interface Pool {
  url: string; // the service
  scaleUrl: string; // the scale target
  replicas(): number;
  /** Adds or removes workers to n (bounded by max); resolves when the new ones listen. */
  resize(n: number): Promise<void>;
  pids(): number[];
  close(): Promise<void>;
}

export async function startPool(options: { replicas: number; serviceMs: number; max: number }): Promise<Pool> {
  const replicas: Replica[] = [];
  const allPids = new Set<number>();
  const add = (): void => {
    const child = fork(WORKER, [], {
      env: { ...process.env, SERVICE_MS: String(options.serviceMs) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const replica: Replica = { child, inFlight: 0 };
    child.on('message', (m: { port?: number }) => (replica.port = m.port));
    if (child.pid) allPids.add(child.pid);
    replicas.push(replica);
  };
  const remove = (): void => {
    const replica = replicas.pop();
    if (!replica) return;
    // Out of rotation now; ends once its requests are answered (SIGTERM closes the server gracefully).
    replica.child.kill('SIGTERM');
  };
  const setCount = (n: number): void => {
    const wanted = Math.max(0, Math.min(options.max, n));
    while (replicas.length < wanted) add();
    while (replicas.length > wanted) remove();
  };
  for (let i = 0; i < options.replicas; i++) add();

  const front = createServer((req, res) => {
    const ready = replicas.filter((r) => r.port !== undefined);
    if (ready.length === 0) return void res.writeHead(503).end('no replica ready\n');
    const target = ready.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    target.inFlight++;
    const upstream = httpRequest(
      { host: '127.0.0.1', port: target.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('end', () => target.inFlight--);
      },
    );
    upstream.on('error', () => {
      target.inFlight--;
      if (!res.headersSent) res.writeHead(502).end('replica went away\n');
    });
    req.pipe(upstream);
  });

  const admin = createServer((req, res) => {
    const state = () => ({
      replicas: replicas.length,
      readyReplicas: replicas.filter((r) => r.port !== undefined).length,
    });
    if (req.method === 'PUT') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const { replicas: wanted, expectedReplicas } = JSON.parse(body) as {
          replicas: number;
          expectedReplicas?: number;
        };
        if (expectedReplicas !== undefined && expectedReplicas !== replicas.length)
          return void res.writeHead(409).end(JSON.stringify(state()));
        setCount(wanted);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state()));
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state()));
  });

  const listen = (s: Server): Promise<number> =>
    new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
  const [port, adminPort] = await Promise.all([listen(front), listen(admin)]);
  // Wait until the first replicas are up, so the first run measures a ready service.
  while (replicas.some((r) => r.port === undefined)) await new Promise((r) => setTimeout(r, 50));

  return {
    url: `http://127.0.0.1:${port}`,
    scaleUrl: `http://127.0.0.1:${adminPort}/replicas`,
    replicas: () => replicas.length,
    async resize(n) {
      setCount(n);
      while (replicas.some((r) => r.port === undefined)) await new Promise((r) => setTimeout(r, 50));
    },
    pids: () => [...allPids],
    async close() {
      for (const r of replicas.splice(0)) r.child.kill('SIGTERM');
      front.closeAllConnections();
      admin.closeAllConnections();
      await Promise.all([new Promise((r) => front.close(r)), new Promise((r) => admin.close(r))]);
      // Wait until every worker process ever started is gone.
      for (let i = 0; i < 100 && [...allPids].some(alive); i++) await new Promise((r) => setTimeout(r, 50));
      for (const pid of allPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    },
  };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
