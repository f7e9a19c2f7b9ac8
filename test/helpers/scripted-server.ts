// A TCP server on 127.0.0.1 that answers each HTTP request with exactly the bytes a test scripts,
// split exactly as scripted: for the raw HTTP/1.1 client's protocol edges and its fuzz test.
import { createServer, type Server, type Socket } from 'node:net';

export type Part = string | Buffer | { delayMs: number } | 'close' | 'destroy' | 'hold';

export interface Exchange {
  connection: number; // 1-based, in accept order
  request: number; // 1-based, on that connection
  head: string; // the request line and headers
}

export interface ScriptedServer {
  url: string;
  connections: number;
  requests: Exchange[];
  /** Sockets the client closed, by connection number. */
  clientClosed: Set<number>;
  openSockets(): number;
  close(): Promise<void>;
}

export async function scriptedServer(script: (x: Exchange) => Part[]): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  const state = { connections: 0, requests: [] as Exchange[], clientClosed: new Set<number>() };
  const server: Server = createServer((socket) => {
    const connection = ++state.connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('end', () => state.clientClosed.add(connection));
    socket.on('error', () => undefined);
    let buffered = '';
    let request = 0;
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const exchange = { connection, request: ++request, head };
        state.requests.push(exchange);
        void play(socket, script(exchange));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  });
}

async function play(socket: Socket, parts: Part[]): Promise<void> {
  for (const part of parts) {
    if (socket.destroyed) return;
    if (part === 'hold') return; // say nothing more
    if (part === 'close') return void socket.end();
    if (part === 'destroy') return void socket.destroy();
    if (typeof part === 'object' && 'delayMs' in part) {
      await new Promise((r) => setTimeout(r, part.delayMs));
      continue;
    }
    socket.write(part);
  }
}

/** A response's bytes, one string per line (CRLF added). */
export function lines(...ls: string[]): string {
  return ls.map((l) => `${l}\r\n`).join('');
}
