// Runs our local engine once, as a generator process of its own: node run-engine.ts URL USERS SECONDS
import { LocalEngine } from '../../../src/loadtest/local.ts';

const [url, users, seconds] = process.argv.slice(2);
const o = await new LocalEngine().run({
  engine: 'local',
  host: url!,
  users: Number(users),
  spawnRate: Number(users),
  duration: Number(seconds) * 1000,
  warmup: 0,
  waitTime: { min: 0, max: 0 },
  timeout: 10_000,
  headers: {},
  requests: [{ name: 'GET /', method: 'GET', path: '/', weight: 1, headers: {} }],
  percentiles: [50, 99],
});
const r = o.aggregated;
console.log(JSON.stringify({ requests: r.count, mean: r.mean, p99: r.percentiles['p99'] }));
