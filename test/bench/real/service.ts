// A real loopback service for the closed-loop benchmark on the real bundle (real-loop.ts): `replicas`
// replicas of `slots` request slots each, behind one FIFO queue (a load balancer); each request holds
// a slot for an exponentially distributed time (mean `serviceMs`, seeded) spent in a timer, not on the
// CPU; a request that has waited longer than `queueTimeoutMs` in the queue is answered 503 at once (the
// service fails past saturation). Only ready replicas serve. Production traffic is Poisson, generated
// in-process straight into the queue (no HTTP) and measured per run window; the scaler's probe comes
// over HTTP into the same queue. A webhook holds the replica count (the http scale target). GET /metrics
// exports the requests offered (production and probe, failures included) as a Prometheus counter,
// `requests_total`, for the load signal (a Prometheus scraping it reads the rate as production's).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seeded } from '../sim/service.ts';

export interface ServiceOptions {
  replicas: number; // initial, all ready
  slots: number; // request slots per replica
  serviceMs: number; // mean service time
  queueTimeoutMs: number; // a request that waited longer gets a 503
  readyAfter: number; // runs a new replica waits beyond the next run before it serves
  seed: number;
}

/** What production saw in one run window. Latencies in ms, failures (503s) included at their time. */
export interface WindowStats {
  count: number;
  failures: number;
  meanMs: number;
  p95Ms: number;
  /** The measured time in a slot of the requests served (the model's 1/μ, plus timer lateness). */
  serviceMeanMs: number;
  seconds: number;
  /** Production's busy slot-time over the window's slot-time (ready slots): what an HPA on CPU sees. */
  utilization: number;
}

interface Job {
  arrived: number;
  serviceMs: number;
  finish(status: 200 | 503, elapsedMs: number, inSlotMs: number): void;
}

class Window {
  readonly startedAt = performance.now();
  readonly slots: number;
  constructor(slots: number) {
    this.slots = slots;
  }
  latencies: number[] = [];
  failures = 0;
  inSlotSum = 0;
  served = 0;
  stats(): WindowStats {
    const sorted = Float64Array.from(this.latencies).sort();
    const n = sorted.length;
    const sum = sorted.reduce((a, b) => a + b, 0);
    return {
      count: n,
      failures: this.failures,
      meanMs: n ? sum / n : 0,
      p95Ms: n ? sorted[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]! : 0,
      serviceMeanMs: this.served ? this.inSlotSum / this.served : 0,
      seconds: (performance.now() - this.startedAt) / 1000,
      utilization:
        this.slots > 0 ? Math.min(1, this.inSlotSum / ((performance.now() - this.startedAt) * this.slots)) : 1,
    };
  }
}

/** Exponential sample of mean `mean` from a uniform source. */
const exponential = (random: () => number, mean: number): number => -mean * Math.log(1 - random());

export interface RealService {
  /** The service: GET /work. */
  url: string;
  /** The http scale target: GET → {replicas, readyReplicas}; PUT {replicas, expectedReplicas}. */
  scaleUrl: string;
  /** Starts run `run`: replicas due become ready, production switches to `lambda` req/s, a new window opens. */
  startRun(run: number, lambda: number): void;
  /** Closes the current window: what production saw since startRun. */
  endRun(): WindowStats;
  spec(): number;
  ready(): number;
  /** Sets the count directly (an autoscaler in-process, as an HPA's controller). */
  setReplicas(next: number): void;
  close(): Promise<void>;
}

export async function startRealService(options: ServiceOptions): Promise<RealService> {
  const { slots, queueTimeoutMs } = options;
  // Separate streams, so production's arrivals and service times do not depend on the probe's timing.
  const arrivals = seeded(options.seed);
  const productionWork = seeded(options.seed + 1_000_003);
  const probeWork = seeded(options.seed + 2_000_003);

  // Replicas: the run from which each serves (appended in order, so removing from the end removes
  // the ones not ready yet first, as a Deployment does).
  let run = 0;
  let readyFrom: number[] = Array.from({ length: options.replicas }, () => 0);
  const readyCount = (): number => readyFrom.filter((r) => r <= run).length;

  // The load balancer: one FIFO queue in front of the ready replicas' slots.
  let queue: Job[] = [];
  let head = 0;
  let busy = 0;
  let capacity = readyCount() * slots;
  const timers = new Set<NodeJS.Timeout>();
  let window = new Window(readyCount() * slots);
  let closed = false;

  const dispatch = (): void => {
    while (busy < capacity && head < queue.length) {
      const job = queue[head++]!;
      busy++;
      const started = performance.now();
      const t = setTimeout(() => {
        timers.delete(t);
        busy--;
        const now = performance.now();
        job.finish(200, now - job.arrived, now - started);
        dispatch();
      }, job.serviceMs);
      timers.add(t);
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  };
  let offered = 0; // every request that entered the queue: the counter /metrics exports
  const submit = (job: Job): void => {
    if (closed) return;
    offered++;
    queue.push(job);
    dispatch();
  };
  // Requests that waited too long are refused (a fast 503 once the wait passes the limit).
  const sweeper = setInterval(() => {
    const now = performance.now();
    while (head < queue.length && now - queue[head]!.arrived > queueTimeoutMs) {
      const job = queue[head++]!;
      job.finish(503, now - job.arrived, 0);
    }
  }, 5);

  const record = (status: 200 | 503, elapsedMs: number, inSlotMs: number): void => {
    window.latencies.push(elapsedMs);
    if (status === 503) window.failures++;
    else {
      window.served++;
      window.inSlotSum += inSlotMs;
    }
  };

  // Production: Poisson arrivals at `lambda`, released by a timer chain (a late timer releases every
  // arrival that is due; each is timed from when it entered the queue).
  let lambda = 0;
  let nextArrival = Infinity;
  let arrivalTimer: NodeJS.Timeout | undefined;
  const scheduleArrivals = (): void => {
    if (arrivalTimer) clearTimeout(arrivalTimer);
    arrivalTimer = undefined;
    if (closed || !(lambda > 0)) return;
    const now = performance.now();
    while (nextArrival <= now) {
      submit({ arrived: now, serviceMs: exponential(productionWork, options.serviceMs), finish: record });
      nextArrival += exponential(arrivals, 1000 / lambda);
    }
    arrivalTimer = setTimeout(scheduleArrivals, nextArrival - now);
  };

  const service = createServer((req, res) => {
    req.resume();
    if (req.url === '/metrics') {
      const text = `# HELP requests_total Requests offered.\n# TYPE requests_total counter\nrequests_total ${offered}\n`;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
      return;
    }
    if (req.url !== '/work') {
      res.writeHead(404).end();
      return;
    }
    submit({
      arrived: performance.now(),
      serviceMs: exponential(probeWork, options.serviceMs),
      finish: (status) => {
        if (!res.destroyed) res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'busy');
      },
    });
  });
  service.keepAliveTimeout = 10_000;

  const setSpec = (next: number): void => {
    if (next > readyFrom.length) {
      const from = run + 1 + options.readyAfter;
      readyFrom = [...readyFrom, ...Array.from({ length: next - readyFrom.length }, () => from)];
    } else readyFrom = readyFrom.slice(0, next); // removed replicas stop at once; their jobs finish
    capacity = readyCount() * slots;
    dispatch();
  };
  const webhook = createServer((req, res) => void answerWebhook(req, res));
  const answerWebhook = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('content-type', 'application/json');
    if (req.url !== '/replicas') {
      res.writeHead(404).end('{}');
      return;
    }
    if (req.method === 'PUT') {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      let parsed: { replicas?: unknown; expectedReplicas?: unknown };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        res.writeHead(400).end(JSON.stringify({ error: 'not JSON' }));
        return;
      }
      const next = parsed.replicas;
      if (typeof next !== 'number' || !Number.isInteger(next) || next < 0) {
        res.writeHead(400).end(JSON.stringify({ error: `replicas: ${String(next)} is not a count` }));
        return;
      }
      if (parsed.expectedReplicas !== undefined && parsed.expectedReplicas !== readyFrom.length) {
        res.writeHead(409).end(JSON.stringify({ error: `replicas are ${readyFrom.length}` }));
        return;
      }
      setSpec(next);
      res.end(JSON.stringify({ replicas: readyFrom.length }));
      return;
    }
    req.resume();
    res.end(JSON.stringify({ replicas: readyFrom.length, readyReplicas: readyCount() }));
  };

  const url = await listen(service);
  const scaleUrl = `${await listen(webhook)}/replicas`;
  return {
    url,
    scaleUrl,
    startRun(r, rate) {
      run = r;
      capacity = readyCount() * slots;
      dispatch();
      if (rate !== lambda) {
        lambda = rate;
        nextArrival = performance.now() + (rate > 0 ? exponential(arrivals, 1000 / rate) : Infinity);
        scheduleArrivals();
      }
      window = new Window(readyCount() * slots);
    },
    endRun: () => window.stats(),
    spec: () => readyFrom.length,
    setReplicas: (next) => setSpec(next),
    ready: readyCount,
    async close() {
      closed = true;
      lambda = 0;
      if (arrivalTimer) clearTimeout(arrivalTimer);
      clearInterval(sweeper);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      queue = [];
      head = 0;
      await Promise.all([stop(service), stop(webhook)]);
    },
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
