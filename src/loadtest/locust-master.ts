// The Locust master's web API, as Locust 2.x serves it: /swarm takes form fields, /stop and
// /stats/reset are POSTs, /stats/requests (JSON) is memoized for ~2 s, the CSV endpoints are not.
// Every failure is a ProbeError naming the step and the master's answer.
import { httpJson, httpText, type HttpCall, type HttpFailures } from '../http-json.ts';
import { ProbeError } from '../errors.ts';

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

  /** `timeoutMs`: one call to the master (api.timeout). */
  constructor(
    url: string,
    credentials: { username?: string | undefined; password?: string | undefined } | undefined,
    timeoutMs: number,
  ) {
    this.url = url;
    this.timeoutMs = timeoutMs;
    // Locust itself has a login form, not basic auth; an ingress in front of the master often has it.
    if (credentials?.username !== undefined)
      this.auth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password ?? ''}`).toString('base64')}`;
  }

  async status(signal?: AbortSignal): Promise<MasterStatus> {
    const status = await this.call(httpJson, 'GET', '/stats/requests', 'read the master status', { signal });
    if (status === null) throw new ProbeError(`locust master ${this.url}: read the master status: an empty answer`);
    return status as MasterStatus;
  }

  async reset(signal?: AbortSignal): Promise<void> {
    await this.call(httpText, 'POST', '/stats/reset', 'reset the statistics', { signal });
  }

  async swarm(users: number, spawnRate: number, host: string, signal?: AbortSignal): Promise<void> {
    const form = new URLSearchParams({ user_count: String(users), spawn_rate: String(spawnRate), host });
    const answer = (await this.call(httpJson, 'POST', '/swarm', 'start the swarm', { signal, form })) as {
      success?: boolean;
      message?: string;
    } | null;
    if (answer?.success === false) {
      const why = answer.message ?? JSON.stringify(answer);
      throw new ProbeError(`locust master ${this.url}: start the swarm: refused: ${why}`);
    }
  }

  /** Idempotent: stopping a stopped master answers success too. `timeoutMs` overrides the per-call limit. */
  async stop(signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    await this.call(httpText, 'POST', '/stop', 'stop the swarm', { signal, timeoutMs });
  }

  requestsCsv(signal?: AbortSignal): Promise<string> {
    return this.call(httpText, 'GET', '/stats/requests/csv', 'read the request statistics', { signal });
  }

  failuresCsv(signal?: AbortSignal): Promise<string> {
    return this.call(httpText, 'GET', '/stats/failures/csv', 'read the failures', { signal });
  }

  /** An interruption too is a ProbeError here (a run ends with the interruption all the same: run.ts measure). */
  private call<T>(
    read: (call: HttpCall, fail: HttpFailures) => Promise<T>,
    method: 'GET' | 'POST',
    path: string,
    step: string,
    options: { signal?: AbortSignal | undefined; form?: URLSearchParams; timeoutMs?: number | undefined },
  ): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.auth) headers['authorization'] = this.auth;
    const what = `locust master ${this.url}: ${step} (${method} ${path})`;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return read(
      { method, url: this.url + path, headers, form: options.form, timeoutMs, signal: options.signal },
      {
        transport: ({ cause, err, cut }) =>
          new ProbeError(`${what} failed: ${cut ? 'the answer was cut: ' : ''}${cause}`, { cause: err }),
        status: (status, text) =>
          status === 401
            ? new ProbeError(`${what} answered 401: check loadTest.locust.username/password`)
            : new ProbeError(`${what} answered HTTP ${status}: ${text.slice(0, 300)}`),
        notJson: (text) => new ProbeError(`${what} answered non-JSON: ${text.slice(0, 300)}`),
      },
    );
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
