// The fleet bench's services, in their own process (so the scaler's CPU and memory are its own): N
// loopback services answering after a fixed delay, each with its webhook scale target (GET → replicas,
// PUT → set). Prints one JSON line {services: [{service, scale}]} and runs until stdin closes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const count = Number(process.argv[2] ?? 100);
const delayMs = Number(process.argv[3] ?? 20);

function listen(server: Server): Promise<string> {
  server.keepAliveTimeout = 5000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

const servers: Server[] = [];
const services: { service: string; scale: string }[] = [];
for (let i = 0; i < count; i++) {
  let replicas = 2;
  const service = createServer((_req, res) => void setTimeout(() => res.end('ok'), delayMs));
  const scale = createServer((req, res) => {
    if (req.method === 'PUT') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        replicas = (JSON.parse(body) as { replicas: number }).replicas;
        res.end('{}');
      });
      return;
    }
    if (req.url?.startsWith('/reset')) replicas = 2;
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ replicas }));
  });
  servers.push(service, scale);
  services.push({ service: await listen(service), scale: `${await listen(scale)}/replicas` });
}
process.stdout.write(`${JSON.stringify({ services })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  for (const s of servers) s.closeAllConnections();
  process.exit(0); // eslint-disable-line no-restricted-syntax -- a bench helper process ends with its parent
});
