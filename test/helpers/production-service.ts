// A loopback service with production traffic, as Prometheus sees one: it exports a request counter and
// a latency histogram in the text exposition format on GET /metrics. The production traffic is
// simulated inside (`traffic`: so many requests a second at so many ms, counted every 100 ms, with no
// socket of its own), and every request the service really answers (the probe's) counts too, as in
// production. `probes` counts those real requests: the probe-less mode must send none.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The histogram's bucket bounds, in seconds (Prometheus's convention). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface ProductionService {
  url: string;
  /** host:port, for Prometheus's scrape config. */
  address: string;
  /** Requests the service answered other than /metrics (the probe's). */
  probes(): number;
  /** The simulated production traffic from now on: `rps` requests a second taking `latencyMs` each. */
  traffic(t: { rps: number; latencyMs: number }): void;
  /** How long the service takes to answer a real request (the probe's). */
  answerAfter(ms: number): void;
  /** The exporter dies: the listener closes (Prometheus's scrapes are refused) and the traffic stops. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

export async function startProductionService(): Promise<ProductionService> {
  let count = 0;
  let sum = 0;
  const buckets = BUCKETS.map(() => 0);
  let probes = 0;
  let delayMs = 2;
  let rate = { rps: 0, latencyMs: 0 };
  let carry = 0;
  const observe = (ms: number, n = 1): void => {
    count += n;
    sum += (ms / 1000) * n;
    BUCKETS.forEach((le, i) => {
      if (ms / 1000 <= le) buckets[i]! += n;
    });
  };
  const tick = setInterval(() => {
    carry += rate.rps / 10;
    const n = Math.floor(carry);
    carry -= n;
    if (n > 0) observe(rate.latencyMs, n);
  }, 100);

  const exposition = (): string => {
    const lines = [
      '# HELP http_requests_total Requests served.',
      '# TYPE http_requests_total counter',
      `http_requests_total{handler="/work"} ${count}`,
      '# HELP http_request_duration_seconds Time to serve a request.',
      '# TYPE http_request_duration_seconds histogram',
      ...BUCKETS.map((le, i) => `http_request_duration_seconds_bucket{handler="/work",le="${le}"} ${buckets[i]}`),
      `http_request_duration_seconds_bucket{handler="/work",le="+Inf"} ${count}`,
      `http_request_duration_seconds_sum{handler="/work"} ${sum}`,
      `http_request_duration_seconds_count{handler="/work"} ${count}`,
    ];
    return `${lines.join('\n')}\n`;
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition());
      return;
    }
    probes++;
    const started = Date.now();
    setTimeout(() => {
      observe(Date.now() - started);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    }, delayMs);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  let closed = false;
  const close = async (): Promise<void> => {
    clearInterval(tick);
    if (closed) return;
    closed = true;
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    probes: () => probes,
    traffic: (t) => void (rate = t),
    answerAfter: (ms) => void (delayMs = ms),
    kill: close,
    close,
  };
}
