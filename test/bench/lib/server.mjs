// The benchmark's target: a plain Node HTTP server, answering at once or after DELAY_MS.
import { createServer } from 'node:http';
const delay = Number(process.env.DELAY_MS ?? 0);
const server = createServer((req, res) => (delay ? setTimeout(() => res.end('ok'), delay) : res.end('ok')));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
}); // closing ends this process
