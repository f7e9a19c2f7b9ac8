// The Locust master's web API, as Locust 2.x serves it: /swarm takes form fields, /stop and
// /stats/reset are POSTs, /stats/requests (JSON) is memoized for ~2 s, the CSV endpoints are not.
// Every failure is a ProbeError naming the step and the master's answer.
import { request } from '../undici.ts';
import { ProbeError } from '../errors.ts';
import { transportCause } from '../transport.ts';

const CALL_TIMEOUT_MS = 10_000; // 10s per call to the master (by default)

export interface WorkerInfo {
  id: string;
  state: string; // ready, spawning, running, cleanup, stopping, stopped, missing
  user_count: number;
}

export interface MasterStatus {
  state: string;
  user_count: number;
  workers?: WorkerInfo[]; // present when the master runs distributed
}

export class LocustMaster {
  readonly url: string;
  private readonly auth?: string;
  private readonly timeoutMs: number;

  constructor(
    url: string,
    credentials?: { username?: string | undefined; password?: string | undefined },
    options: { timeoutMs?: number | undefined } = {},
  ) {
    this.url = url;
    this.timeoutMs = options.timeoutMs ?? CALL_TIMEOUT_MS;
    // Locust itself has a login form, not basic auth; an ingress in front of the master often has it.
    if (credentials?.username !== undefined)
      this.auth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password ?? ''}`).toString('base64')}`;
  }

  async status(signal?: AbortSignal): Promise<MasterStatus> {
    return JSON.parse(
      await this.call('GET', '/stats/requests', 'read the master status', undefined, signal),
    ) as MasterStatus;
  }

  async reset(signal?: AbortSignal): Promise<void> {
    await this.call('POST', '/stats/reset', 'reset the statistics', undefined, signal);
  }

  async swarm(users: number, spawnRate: number, host: string, signal?: AbortSignal): Promise<void> {
    const form = new URLSearchParams({ user_count: String(users), spawn_rate: String(spawnRate), host });
    const text = await this.call('POST', '/swarm', 'start the swarm', form, signal);
    const answer = JSON.parse(text) as { success?: boolean; message?: string };
    if (answer.success === false)
      throw new ProbeError(`locust master ${this.url}: start the swarm: refused: ${answer.message ?? text}`);
  }

  /** Idempotent: stopping a stopped master answers success too. `timeoutMs` overrides the per-call limit. */
  async stop(signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    await this.call('POST', '/stop', 'stop the swarm', undefined, signal, timeoutMs);
  }

  requestsCsv(signal?: AbortSignal): Promise<string> {
    return this.call('GET', '/stats/requests/csv', 'read the request statistics', undefined, signal);
  }

  failuresCsv(signal?: AbortSignal): Promise<string> {
    return this.call('GET', '/stats/failures/csv', 'read the failures', undefined, signal);
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    step: string,
    form?: URLSearchParams,
    signal?: AbortSignal,
    timeoutMs = this.timeoutMs,
  ): Promise<string> {
    const headers: Record<string, string> = {};
    if (this.auth) headers['authorization'] = this.auth;
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const timeout = AbortSignal.timeout(timeoutMs);
    let res;
    try {
      res = await request(this.url + path, {
        method,
        headers,
        ...(form ? { body: form.toString() } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      throw new ProbeError(
        `locust master ${this.url}: ${step} (${method} ${path}) failed: ${transportCause(err, timeoutMs)}`,
        {
          cause: err,
        },
      );
    }
    const text = await res.body.text();
    if (res.statusCode === 401)
      throw new ProbeError(
        `locust master ${this.url}: ${step} (${method} ${path}) answered 401: check loadTest.locust.username/password`,
      );
    if (res.statusCode < 200 || res.statusCode >= 300)
      throw new ProbeError(
        `locust master ${this.url}: ${step} (${method} ${path}) answered HTTP ${res.statusCode}: ${text.slice(0, 300)}`,
      );
    return text;
  }
}

/** RFC 4180 CSV as Locust writes it (quoted fields, no embedded newlines in practice). */
export function parseCsv(text: string): Record<string, string>[] {
  const rows = text
    .split(/\r?\n/)
    .filter((l) => l.length > 0)
    .map(splitCsvLine);
  const header = rows[0] ?? [];
  return rows.slice(1).map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cell);
      cell = '';
    } else cell += c;
  }
  out.push(cell);
  return out;
}
