// The console's HTTP server (node:http, no framework): the safety checks of security.ts on every
// request, then the overview, a target's page, their live fragments, the actions (form POSTs answered
// with a redirect to the page and its message, or a question first) and the two static files. Runs
// until its signal aborts; an action already under way is let finish.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FleetMember } from '../config/load.ts';
import { messageOf } from '../errors.ts';
import { markLoaded } from '../loaded.ts';
import type { Logger } from '../report/log.ts';
import { act, ACTIONS, type ActionName } from './actions.ts';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.ts';
import { confirmPage, messagePage, type Flash, type PageContext } from './layout.ts';
import { overviewPage, overviewRows } from './overview-view.ts';
import {
  cookie,
  CSRF_COOKIE,
  csrfRefusal,
  hostName,
  isLoopback,
  newSecret,
  parseCookies,
  sameSecret,
  SECURITY_HEADERS,
  TOKEN_COOKIE,
  tokenOf,
} from './security.ts';
import { nowBlock, targetPage } from './target-view.ts';
import { consoleTargets, overview, targetView, type ConsoleTarget, type OverviewRow } from './targets.ts';

markLoaded('console');

export interface ConsoleOptions {
  members: FleetMember[];
  address: string;
  port: number;
  /** Required on every request when set; serve.ts sets one for any address but loopback. */
  token?: string | undefined;
  env: Record<string, string | undefined>;
  now: () => number;
  log: Logger;
  /** The console's lifetime: it stops when this aborts. */
  signal: AbortSignal;
  refreshMs?: number;
}

export interface RunningConsole {
  url: string;
  /** Resolves once the server has stopped (after the signal, and any action under way). */
  closed: Promise<void>;
}

const MAX_FORM_BYTES = 16 * 1024;
const FLASHES_KEPT = 100;
const ACTION_GRACE_MS = 25_000; // an action under way at Ctrl-C: as long as a run's apply after a signal

class HttpRefusal extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function startConsole(o: ConsoleOptions): Promise<RunningConsole> {
  const targets = consoleTargets(o.members);
  const byId = new Map(targets.map((t) => [t.id, t]));
  const refreshMs = o.refreshMs ?? 5000;
  const flashes = new Map<string, Flash>();
  const actions = new Set<Promise<unknown>>();
  let cached: { at: number; rows: Promise<OverviewRow[]> } | undefined;
  const ctx = { env: o.env, now: o.now, signal: o.signal, log: o.log };

  /** Rows read at most once per half refresh, however many tabs ask: the API servers see a bounded load. */
  const rows = (): Promise<OverviewRow[]> => {
    if (!cached || o.now() - cached.at >= refreshMs / 2) cached = { at: o.now(), rows: overview(targets, ctx) };
    return cached.rows;
  };

  const keepFlash = (flash: Flash): string => {
    const id = newSecret();
    flashes.set(id, flash);
    if (flashes.size > FLASHES_KEPT) flashes.delete(flashes.keys().next().value!);
    return id;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    // Without a token only loopback names may reach us: another site's page under a name that resolves
    // to 127.0.0.1 (DNS rebinding) would otherwise read the pages and their CSRF token.
    if (!o.token && !isLoopback(hostName(req.headers.host)))
      throw new HttpRefusal(403, `refused: Host ${JSON.stringify(req.headers.host ?? '')} is not a loopback name`);
    if (o.token && !authenticated(req, url, res, o.token)) return;
    const cookies = parseCookies(req.headers.cookie);
    let csrf = cookies[CSRF_COOKIE];
    if (!csrf) {
      csrf = newSecret();
      res.appendHeader('set-cookie', cookie(CSRF_COOKIE, csrf));
    }
    const page: PageContext = { csrf, now: o.now(), refreshMs };
    const path = url.pathname;
    if (req.method === 'POST') return post(req, res, path, cookies[CSRF_COOKIE], page);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpRefusal(405, `${req.method} is not served here`);
    if (path === '/console.css') return send(res, 200, 'text/css', CONSOLE_CSS);
    if (path === '/console.js') return send(res, 200, 'text/javascript', CONSOLE_JS);
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    if (path === '/') return send(res, 200, 'text/html', overviewPage(await rows(), page));
    if (path === '/fragment/overview') return send(res, 200, 'text/html', overviewRows(await rows(), page.now).text);
    const m = /^\/(fragment\/)?t\/([0-9a-f]{10})(\/now)?$/.exec(path);
    if (!m || Boolean(m[1]) !== Boolean(m[3])) throw new HttpRefusal(404, `nothing at ${path}`);
    const target = found(m[2]!);
    if (!target.config) return send(res, 200, 'text/html', invalidPage(target, page));
    const view = await targetView(target, target.config, ctx, Boolean(m[1]));
    if (m[1]) {
      const seen = { version: url.searchParams.get('seen') ?? '', replicas: url.searchParams.get('replicas') ?? '' };
      return send(res, 200, 'text/html', nowBlock(view, page.now, seen).text);
    }
    const flash = flashes.get(url.searchParams.get('flash') ?? '');
    return send(res, 200, 'text/html', targetPage(view, page, flash));
  };

  const found = (id: string): ConsoleTarget => {
    const target = byId.get(id);
    if (!target) {
      const known = targets.map((t) => t.title).join(', ');
      throw new HttpRefusal(404, `no target with id ${id} in this console's configurations (${known})`);
    }
    return target;
  };

  const post = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    csrfCookie: string | undefined,
    page: PageContext,
  ): Promise<void> => {
    const m = /^\/t\/([0-9a-f]{10})\/([a-z]+)$/.exec(path);
    if (!m || !ACTIONS.includes(m[2] as ActionName)) throw new HttpRefusal(404, `no action at ${path}`);
    const form = await readForm(req);
    const refusal = csrfRefusal(req.headers, csrfCookie, form.get('csrf') ?? undefined);
    if (refusal) throw new HttpRefusal(403, `refused: ${refusal}. Nothing changed.`);
    const target = found(m[1]!);
    if (!target.config) throw new HttpRefusal(409, `${target.source} does not validate: nothing can be done with it`);
    const running = act(m[2] as ActionName, target, target.config, form, ctx);
    actions.add(running);
    const result = await running.finally(() => actions.delete(running));
    if ('confirm' in result) {
      const fields = Object.fromEntries([...form].filter(([k]) => k !== 'csrf' && k !== 'confirm'));
      const back = `/t/${target.id}`;
      return send(res, 200, 'text/html', confirmPage({ ...result.confirm, action: path, fields, back }, page));
    }
    res.writeHead(303, { location: `/t/${target.id}?flash=${keepFlash(result.flash)}` }).end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpRefusal ? err.status : 500;
      if (status === 500) o.log.log('error', `console: ${req.method} ${req.url}: ${messageOf(err)}`);
      const page = { csrf: '', now: o.now(), refreshMs };
      if (!res.headersSent) send(res, status, 'text/html', messagePage(`HTTP ${status}`, messageOf(err), page));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.address, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = o.address.includes(':') ? `[${o.address}]` : o.address;
  const closed = new Promise<void>((resolve) => {
    const stop = async (): Promise<void> => {
      server.close(() => resolve());
      server.closeIdleConnections();
      const grace = new Promise((r) => setTimeout(r, ACTION_GRACE_MS).unref());
      await Promise.race([Promise.allSettled([...actions]), grace]);
      server.closeAllConnections();
    };
    if (o.signal.aborted) void stop();
    else o.signal.addEventListener('abort', () => void stop(), { once: true });
  });
  return { url: `http://${host}:${port}/`, closed };
}

/**
 * The token, from the header, the cookie, or a first visit's `?token=` (then kept in a cookie and taken
 * off the address bar by a redirect). False after answering 401 itself.
 */
function authenticated(req: IncomingMessage, url: URL, res: ServerResponse, token: string): boolean {
  const given = tokenOf(req.headers, url);
  if (sameSecret(given.bearer, token) || (given.query === undefined && sameSecret(given.cookie, token))) return true;
  if (req.method === 'GET' && given.query !== undefined && sameSecret(given.query, token)) {
    url.searchParams.delete('token');
    res.appendHeader('set-cookie', cookie(TOKEN_COOKIE, token));
    res.writeHead(303, { location: `${url.pathname}${url.search}` }).end();
    return false;
  }
  const page = { csrf: '', now: Date.now(), refreshMs: 0 };
  const text =
    'This console needs its token on every request: open the address it printed at start (…/?token=…), ' +
    'or send Authorization: Bearer <token>.';
  send(res, 401, 'text/html', messagePage('HTTP 401: token required', text, page));
  return false;
}

function invalidPage(target: ConsoleTarget, page: PageContext): string {
  return messagePage(target.source, `This configuration does not validate: ${messageOf(target.member.error)}`, page);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type !== 'application/x-www-form-urlencoded')
    throw new HttpRefusal(415, `refused: a form post is expected (got ${JSON.stringify(type)}). Nothing changed.`);
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new HttpRefusal(413, 'refused: the form is too large. Nothing changed.');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
