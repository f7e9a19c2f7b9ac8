// Real HTTP servers with scripted behaviour for load-test tests, on 127.0.0.1:0.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface TestServer {
  url: string;
  hits: number;
  openSockets(): number;
  close(): Promise<void>;
}

export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, hit: number) => void,
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const state = { hits: 0 };
  const server: Server = createServer((req, res) => handler(req, res, ++state.hits));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

export const fast = (): Promise<TestServer> => serve((_, res) => res.end('ok'));
export const slow = (ms: number): Promise<TestServer> => serve((_, res) => void setTimeout(() => res.end('ok'), ms));
/** Every other request answers 500. */
export const failing = (): Promise<TestServer> => serve((_, res, hit) => res.writeHead(hit % 2 ? 500 : 200).end());
/** Every third request: the connection is destroyed before any answer. */
export const resetting = (): Promise<TestServer> =>
  serve((req, res, hit) => (hit % 3 === 0 ? req.socket.destroy() : res.end('ok')));
/** Never answers. */
export const hanging = (): Promise<TestServer> => serve(() => undefined);
