// `serve`: the console (DESIGN §10), for a person: one local web page over the configurations it is
// given, until interrupted. The one long-running mode; the CronJob and the Lambda never load it.
// 127.0.0.1 by default; any other address needs a token (SCALER_CONSOLE_TOKEN, or one made here and
// printed once), and a token given is required on every request wherever it listens.
import type { FleetMember } from '../config/load.ts';
import { InvalidArgumentError } from '../errors.ts';
import { startConsole } from '../console/server.ts';
import { isLoopback, newSecret, TOKEN_ENV } from '../console/security.ts';
import type { CommandContext } from './context.ts';
import { plural } from '../plural.ts';

export interface ServeOptions {
  address: string;
  port: number;
}

export async function serveCommand(
  members: FleetMember[],
  ctx: CommandContext,
  options: ServeOptions,
): Promise<number> {
  const { address, port } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError([
      { path: '--port', message: `${port} is not a port number (0–65535; 0: any free port)` },
    ]);
  const fromEnv = ctx.env[TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv.length < 16)
    throw new InvalidArgumentError(
      [{ path: `environment ${TOKEN_ENV}`, message: 'is shorter than 16 characters' }],
      'environment',
    );
  const token = fromEnv ?? (isLoopback(address) ? undefined : newSecret());
  const running = await startConsole({
    members,
    address,
    port,
    token,
    env: ctx.env,
    now: ctx.now,
    log: ctx.log,
    signal: ctx.signal,
  });
  const targets = plural(members.length, 'target');
  // A made token is printed once, here, and never logged; one from the environment is never printed.
  const where = token && !fromEnv ? `${running.url}?token=${token}` : running.url;
  const auth = !token ? 'loopback only, no token' : fromEnv ? `token from ${TOKEN_ENV}` : 'token made for this run';
  (ctx.outVerbatim ?? ctx.out)(`latency-scaler console: ${where} (${targets}; ${auth}; Ctrl-C to stop)\n`);
  await running.closed;
  return 0;
}
