// A fault-injecting HTTP/1.1 proxy for integration tests: it stands between the scaler (a child
// process) and a real system — the kube-apiserver (TLS terminated with the harness CA's server
// certificate, re-encrypted upstream), DynamoDB Local, the probed service, the webhook target, a
// Locust master — and, per request or per connection, injects:
//   refused     the listener is closed: new connections are refused (refuse(true) / refuse(false))
//   hang        the request is read and never answered
//   slow        delayed before forwarding (beforeMs) and/or before answering (afterMs)
//   reset       forwarded, then the socket destroyed after `afterBytes` bytes of the answer (0: none)
//   status      answered here, not forwarded: 429 with Retry-After, 500/503, 409 … with a body
//   lostAnswer  forwarded and applied upstream, then the socket destroyed: the answer is lost
// A rule matches method and path (and optionally the body), skips `skip` matches, then applies
// `times` times (default once; Infinity for always). Every request is logged with the fault applied.
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { kind: 'hang' }
  | { kind: 'slow'; beforeMs?: number; afterMs?: number }
  | { kind: 'reset'; afterBytes?: number }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'lostAnswer' };

export interface Rule {
  method?: string;
  path?: RegExp;
  body?: (text: string) => boolean;
  skip?: number;
  times?: number;
  fault: Fault;
}

export interface LogEntry {
  method: string;
  path: string;
  /** The request body's start: what an RPC protocol's call is (an AWS action, a JSON target's fields). */
  body: string;
  fault?: Fault['kind'];
  upstreamStatus?: number;
}

export interface FaultProxy {
  url: string;
  log: LogEntry[];
  inject(rule: Rule): void;
  clear(): void;
  /** Closes (true) or reopens (false) the listener on the same port: new connections are refused. */
  refuse(on: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface ProxyOptions {
  upstream: string;
  /** Present this certificate to clients (the harness CA's server certificate) and trust `ca` upstream. */
  tls?: { cert: Buffer; key: Buffer; ca: Buffer };
}

/** Common answers: Kubernetes' Status body, DynamoDB's JSON protocol errors, ECS's and Auto Scaling's. */
export const answers = {
  kubeStatus(code: number, reason: string, message: string, headers: Record<string, string> = {}): Fault {
    const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
    return { kind: 'status', status: code, headers: { 'content-type': 'application/json', ...headers }, body };
  },
  dynamo(status: number, type: string, message: string): Fault {
    const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
    return {
      kind: 'status',
      status,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type },
      body,
    };
  },
  /** An error of AWS's JSON 1.1 protocol (ECS, Application Auto Scaling). */
  awsJson(status: number, type: string, message: string): Fault {
    const body = JSON.stringify({ __type: type, message });
    return {
      kind: 'status',
      status,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type },
      body,
    };
  },
  /** An error of AWS's query protocol (EC2 Auto Scaling): XML. */
  awsQueryError(status: number, code: string, message: string): Fault {
    const type = status >= 500 ? 'Receiver' : 'Sender';
    const body =
      '<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">' +
      `<Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error>` +
      '<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>';
    return { kind: 'status', status, headers: { 'content-type': 'text/xml' }, body };
  },
  /** A successful answer of the query protocol: `<ActionResponse><ActionResult>…` around `result`. */
  awsQueryResult(action: string, result: string): Fault {
    const body =
      `<${action}Response xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><${action}Result>${result}` +
      `</${action}Result><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId>` +
      `</ResponseMetadata></${action}Response>`;
    return { kind: 'status', status: 200, headers: { 'content-type': 'text/xml' }, body };
  },
};

interface ActiveRule extends Rule {
  seen: number;
  applied: number;
}

export async function startFaultProxy(options: ProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const rules: ActiveRule[] = [];
  const log: LogEntry[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const pick = (method: string, path: string, body: string): Fault | undefined => {
    for (const rule of rules) {
      if (rule.method && rule.method !== method) continue;
      if (rule.path && !rule.path.test(path)) continue;
      if (rule.body && !rule.body(body)) continue;
      rule.seen++;
      if (rule.seen <= (rule.skip ?? 0)) continue;
      if (rule.applied >= (rule.times ?? 1)) continue;
      rule.applied++;
      return rule.fault;
    }
    return undefined;
  };

  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
      const headers = { ...req.headers, host: upstream.host };
      const out = send(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          ...(options.tls ? { ca: options.tls.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const fault = pick(method, path, body.toString('utf8'));
    const entry: LogEntry = {
      method,
      path,
      body: body.toString('utf8', 0, 300),
      ...(fault ? { fault: fault.kind } : {}),
    };
    log.push(entry);
    if (fault?.kind === 'hang') return; // the socket is destroyed by close()
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, fault.headers ?? {}).end(fault.body ?? '');
      return;
    }
    if (fault?.kind === 'slow' && fault.beforeMs) await wait(fault.beforeMs);
    let answer;
    try {
      answer = await forward(req, body);
    } catch {
      res.socket?.destroy();
      return;
    }
    entry.upstreamStatus = answer.status;
    if (fault?.kind === 'lostAnswer') return void res.socket?.destroy();
    if (fault?.kind === 'slow' && fault.afterMs) await wait(fault.afterMs);
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(answer.body.length);
    if (fault?.kind === 'reset') {
      const socket = res.socket;
      res.writeHead(answer.status, headers);
      if (fault.afterBytes) res.write(answer.body.subarray(0, fault.afterBytes));
      res.once('drain', () => undefined);
      setImmediate(() => socket?.destroy());
      return;
    }
    res.writeHead(answer.status, headers).end(answer.body);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void =>
    void handle(req, res).catch(() => res.socket?.destroy());
  const makeServer = (): Server => {
    const server = options.tls
      ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
      : createHttpServer(onRequest);
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    return server;
  };

  let server = makeServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  let listening = true;
  const stopListening = (): Promise<void> =>
    new Promise((r) => {
      if (!listening) return r();
      listening = false;
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    log,
    inject(rule) {
      rules.push({ ...rule, seen: 0, applied: 0 });
    },
    clear() {
      rules.length = 0;
    },
    async refuse(on) {
      if (on) return stopListening();
      if (listening) return;
      server = makeServer();
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      listening = true;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      await stopListening();
    },
  };
}
