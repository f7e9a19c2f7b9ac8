// The Locust master client against a local stand-in that checks what a basic-auth proxy checks.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { serve, type TestServer } from '../../helpers/servers.ts';
import { LocustMaster, parseCsv } from '../../../src/loadtest/locust-master.ts';
import { ProbeError } from '../../../src/errors.ts';

let proxy: TestServer;
const seen: { auth?: string | undefined; type?: string | undefined; body: string }[] = [];
before(async () => {
  proxy = await serve((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ auth: req.headers.authorization, type: req.headers['content-type'], body });
      if (req.headers.authorization !== `Basic ${Buffer.from('scaler:s3cret').toString('base64')}`)
        return void res.writeHead(401).end('auth required');
      res
        .setHeader('content-type', 'application/json')
        .end(JSON.stringify({ success: true, message: 'Swarming started' }));
    });
  });
});
after(() => proxy.close());

it('sends basic auth and the swarm as form fields', async () => {
  await new LocustMaster(proxy.url, { username: 'scaler', password: 's3cret' }, 2_000).swarm(20, 5, 'http://svc:5000');
  const last = seen.at(-1)!;
  assert.equal(last.type, 'application/x-www-form-urlencoded');
  assert.deepEqual(Object.fromEntries(new URLSearchParams(last.body)), {
    user_count: '20',
    spawn_rate: '5',
    host: 'http://svc:5000',
  });
});

it('a refused login is a probe failure naming the step and what to check', async () => {
  await assert.rejects(
    new LocustMaster(proxy.url, { username: 'scaler', password: 'wrong' }, 2_000).reset(),
    (e: Error) =>
      e instanceof ProbeError &&
      /reset the statistics \(POST \/stats\/reset\) answered 401: check loadTest\.locust\.username\/password/.test(
        e.message,
      ),
  );
});

it("parses Locust's CSV, quoted fields included", () => {
  assert.deepEqual(parseCsv('"Type","Name","Request Count"\n"GET","/a,b",3\n,"Aggregated",3\n'), [
    { Type: 'GET', Name: '/a,b', 'Request Count': '3' },
    { Type: '', Name: 'Aggregated', 'Request Count': '3' },
  ]);
});
