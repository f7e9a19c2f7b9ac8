// The one JSON-over-HTTP call (src/http-json.ts) and its two callers, against a server that sends
// the status and headers, part of the body, then destroys the socket: the body read fails midway.
// That failure is the caller's typed error naming the address and the cause in words, not undici's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serve, type TestServer } from '../../helpers/servers.ts';
import { httpJson } from '../../../src/http-json.ts';
import { HttpScaleTarget } from '../../../src/target/http.ts';
import { LocustMaster } from '../../../src/loadtest/locust-master.ts';
import { ProbeError, TargetError } from '../../../src/errors.ts';

const CLOSED = 'connection closed by the other side'; // the cause in words, not undici's SocketError

let cut: TestServer;
before(async () => {
  cut = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"replicas": 3, "user_count"', () => res.socket?.destroy());
  });
});
after(() => cut.close());

describe('a body cut midway', () => {
  it('the helper hands the failure to the caller, the cause in words and the answer marked cut', async () => {
    const seen: { cause: string; cut: boolean }[] = [];
    await assert.rejects(
      httpJson(
        { method: 'GET', url: `${cut.url}/x`, timeoutMs: 2_000 },
        {
          transport: ({ cause, cut: wasCut }) => {
            seen.push({ cause, cut: wasCut });
            return new TargetError(`cut: ${cause}`);
          },
          status: () => new TargetError('status'),
          notJson: () => new TargetError('notJson'),
        },
      ),
      TargetError,
    );
    assert.deepEqual(seen, [{ cause: CLOSED, cut: true }]);
  });

  it('the webhook target: a TargetError naming the URL and the cause', async () => {
    const target = new HttpScaleTarget({ kind: 'http', url: `${cut.url}/replicas`, headers: {} }, 2_000);
    await assert.rejects(target.read(), (e: Error) => {
      assert.ok(e instanceof TargetError, `${e.name}: ${e.message}`);
      const where = `GET ${cut.url}/replicas`;
      assert.equal(e.message, `the http scale target: ${where}: the answer was cut: ${CLOSED}`);
      return true;
    });
  });

  it('the Locust master: a ProbeError naming the master, the step and the cause', async () => {
    const master = new LocustMaster(cut.url, undefined, 2_000);
    await assert.rejects(master.status(), (e: Error) => {
      assert.ok(e instanceof ProbeError, `${e.name}: ${e.message}`);
      const step = 'read the master status (GET /stats/requests)';
      assert.equal(e.message, `locust master ${cut.url}: ${step} failed: the answer was cut: ${CLOSED}`);
      return true;
    });
  });
});
