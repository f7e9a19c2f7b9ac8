// A warm Lambda container runs many invocations in one process: they share one DynamoDB client (its
// connections and credentials reused), instead of each leaving a client of its own behind.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { validateConfig } from '../../../src/config/validate.ts';
import { handler } from '../../../src/lambda.ts';
import { createStateStore } from '../../../src/state/index.ts';

const saved = process.env['SCALER_CONFIG_YAML'];
const send = DynamoDBClient.prototype.send;
after(() => {
  DynamoDBClient.prototype.send = send;
  if (saved === undefined) delete process.env['SCALER_CONFIG_YAML'];
  else process.env['SCALER_CONFIG_YAML'] = saved;
});

describe('the DynamoDB client in a warm Lambda container', () => {
  it('two invocations use one client', async () => {
    const clients = new Set<DynamoDBClient>();
    // Every call fails at once, before any network: only which client made it matters here.
    DynamoDBClient.prototype.send = function (this: DynamoDBClient) {
      clients.add(this);
      return Promise.reject(Object.assign(new Error('no network in this test'), { name: 'NetworkingError' }));
    } as typeof send;
    process.env['SCALER_CONFIG_YAML'] = `target: { kind: http, url: http://127.0.0.1:1/replicas }
loadTest: { host: http://127.0.0.1:2, requests: [{ method: GET, path: /a }] }
targets: [{ method: GET, endpoint: /a, type: mean, target: 5 }]
state: { store: dynamodb, table: scaler-state, region: eu-west-1 }
`;
    for (const id of ['tick-1', 'tick-2']) {
      await assert.rejects(handler({ id }), (e: Error & { code?: string }) => e.code === 'STATE_ERROR');
    }
    assert.equal(clients.size, 1, `${clients.size} clients for two invocations`);
  });
});

describe("README's DynamoDB figures", () => {
  it('the per-request time limit it states is the one the store is given (api.timeout and its default)', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const said =
      /by the SDK \(adaptive mode, at most (\d+) attempts; each waits up to \d+ s to connect and `api\.timeout` — (\d+) s\s+by\s+default — for its answer/.exec(
        readme,
      );
    assert.ok(said, "README's DynamoDB paragraph states the attempts and the per-request limit");
    const config = validateConfig(
      {
        target: { kind: 'http', url: 'http://127.0.0.1:1/replicas' },
        loadTest: { host: 'http://127.0.0.1:2', requests: [{ method: 'GET', path: '/a' }] },
        targets: [{ method: 'GET', endpoint: '/a', type: 'mean', target: 5 }],
        state: { store: 'dynamodb', table: 'scaler-state', region: 'eu-west-1' },
      },
      { source: 'test', requireTarget: true, environment: 'local' },
    );
    assert.equal(config.api.timeout, Number(said[2]) * 1000, 'the default of api.timeout');
    const store = (await createStateStore(config)) as unknown as { requestTimeoutMs: number; client: DynamoDBClient };
    assert.equal(store.requestTimeoutMs, config.api.timeout, 'the store is given api.timeout');
    assert.equal(await store.client.config.maxAttempts(), Number(said[1]), 'the attempts');
  });
});
