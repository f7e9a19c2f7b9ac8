// The command line: parses flags with yargs, runs one command, maps errors to exit codes.
// The only place (with the Lambda handler) that turns errors into exit codes.
import yargs, { type Argv } from 'yargs';
import { markLoaded } from './loaded.ts';
import { OVERRIDES } from './config/load.ts';
import { ConfigError, exitCodeOf, ExitCode, messageOf, ScalerError } from './errors.ts';
import { createLogger } from './report/log.ts';
import { VERSION } from './version.ts';
import { configFrom, loadTestConfigFrom, type CommandContext, type CommonArgs } from './commands/context.ts';

markLoaded('yargs');

export interface CliIo {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  stderrIsTTY?: boolean;
  signal: AbortSignal;
  now?: () => number;
}

const EPILOG = [
  'Exit codes: 0 decision made (also hold, paused, dry run); 1 runtime failure (API error, probe failure);',
  '2 invalid input (nothing sent, nothing written); 3 conflict (another run won, nothing applied);',
  '130/143 interrupted by SIGINT/SIGTERM before the decision (nothing written); 124 deadline passed.',
].join(' ');

function withCommon(y: Argv): Argv {
  let out = y
    .option('config', {
      alias: 'c',
      type: 'string',
      describe:
        'scaler.yaml (or an LPA evaluation_config.yaml); ' +
        'default $SCALER_CONFIG, $evaluationConfigFilePath, ./scaler.yaml',
    })
    .option('output', { alias: 'o', choices: ['text', 'json'] as const, describe: 'text on a TTY, json otherwise' })
    .option('set', {
      type: 'string',
      array: true,
      describe: 'override any setting: --set loadTest.users=20 (repeatable)',
    })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'log warnings and errors only' })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'log debug detail too' });
  for (const o of OVERRIDES) {
    if (o.flag)
      out = out.option(o.flag, {
        type: 'string',
        describe: `sets ${o.path} (env ${o.env}${o.lpa ? `, LPA ${o.lpa}` : ''})`,
        group: 'Overrides:',
      });
  }
  return out;
}

export async function runCli(io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const ctxFor = (args: CommonArgs): CommandContext => {
    const output = (args['output'] as 'text' | 'json' | undefined) ?? (io.isTTY ? 'text' : 'json');
    const level = args['quiet'] ? 'warn' : args['verbose'] ? 'debug' : 'info';
    const log = createLogger({ json: !io.isTTY, level, write: io.stderr });
    return {
      out: io.stdout,
      log,
      now: io.now ?? Date.now,
      signal: io.signal,
      output,
      env: io.env,
      progress: io.stderrIsTTY && output === 'text' ? io.stderr : undefined,
    };
  };
  const act =
    (fn: (args: CommonArgs, ctx: CommandContext) => Promise<number | void> | number | void) =>
    async (args: CommonArgs) => {
      const ctx = ctxFor(args);
      try {
        exitCode = (await fn(args, ctx)) ?? ExitCode.ok;
      } catch (err) {
        exitCode = exitCodeOf(err);
        reportError(err, ctx, io);
      }
    };

  const parser = yargs(io.argv)
    .scriptName('latency-scaler')
    .usage('$0 [command] [options]\n\nOne cycle of latency-driven scaling: load test → decide → apply → persist.')
    .command(
      ['run', '$0'],
      'one full cycle: load test, decide, apply, persist (default)',
      (y) => withCommon(y).option('dry-run', { type: 'boolean', describe: 'decide and print, change nothing' }),
      act(async (args, ctx) => {
        const config = await configFrom(args, ctx);
        const { runCommand } = await import('./commands/run.ts');
        return (await runCommand(config, ctx, { dryRun: Boolean(args['dry-run'] ?? args['dryRun']) })).exitCode;
      }),
    )
    .command(
      'validate',
      'load and check a configuration, print what would run (exit 0 or 2)',
      withCommon,
      act(async (args, ctx) => {
        const config = await configFrom(args, ctx);
        const { validateCommand } = await import('./commands/validate.ts');
        validateCommand(config, ctx);
      }),
    )
    .command(
      'loadtest',
      'run only the load test and print the statistics (no config needed: --host and --path)',
      (y) =>
        withCommon(y).option('path', {
          type: 'string',
          array: true,
          describe: 'a request: /path or "METHOD /path" (repeatable; default GET /)',
        }) as Argv,
      act(async (args, ctx) => {
        const config = await loadTestConfigFrom(args, ctx);
        const { loadtestCommand } = await import('./commands/loadtest.ts');
        await loadtestCommand(config, ctx);
      }),
    )
    .command(
      'state <action>',
      'inspect (show) or clear (reset) the stored record of the target; init creates the DynamoDB table',
      (y) =>
        withCommon(y).positional('action', {
          choices: ['show', 'reset', 'init'] as const,
          describe: 'show | reset | init',
        }),
      act(async (args, ctx) => {
        const config = await configFrom(args, ctx);
        const { stateShowCommand, stateResetCommand, stateInitCommand } = await import('./commands/state.ts');
        const action = args['action'];
        await (action === 'reset'
          ? stateResetCommand(config, ctx)
          : action === 'init'
            ? stateInitCommand(config, ctx)
            : stateShowCommand(config, ctx));
      }),
    )
    .command(
      'set-replicas <replicas>',
      'scale by hand through the same target (within min/max unless --force) and restart the decay count',
      (y) =>
        withCommon(y)
          .positional('replicas', { type: 'number', describe: 'the replica count to set' })
          .option('force', { type: 'boolean', describe: 'allow a count outside replicas.min..max' }),
      act(async (args, ctx) => {
        const config = await configFrom(args, ctx);
        const { setReplicasCommand } = await import('./commands/set-replicas.ts');
        await setReplicasCommand(config, ctx, Number(args['replicas']), Boolean(args['force']));
      }),
    )
    .parserConfiguration({ 'camel-case-expansion': false })
    .command(
      'history',
      'write the stored history as a self-contained HTML picture (replicas and latency vs target)',
      (y) =>
        withCommon(y).option('out', {
          type: 'string',
          default: 'latency-scaler-history.html',
          describe: 'the HTML file to write',
        }),
      act(async (args, ctx) => {
        const config = await configFrom(args, ctx);
        const { historyCommand } = await import('./commands/history.ts');
        await historyCommand(config, ctx, String(args['out']));
      }),
    )
    .command(
      'status',
      'what the scaler thinks, at a glance (replicas, targets, decay, last decision); sends no load',
      (y) =>
        withCommon(y)
          .option('config', {
            alias: 'c',
            type: 'string',
            array: true,
            describe: 'one or more scaler.yaml (default as for run)',
          })
          .option('wide', { type: 'boolean', describe: 'the whole last decision, and the state store' }) as Argv,
      act(async (args, ctx) => {
        const paths = (args['config'] as string[] | undefined) ?? [undefined];
        const configs = await Promise.all(paths.map((path) => configFrom({ ...args, config: path }, ctx)));
        const { statusCommand } = await import('./commands/status.ts');
        return statusCommand(configs, ctx, Boolean(args['wide']));
      }),
    )
    .command(
      'schema',
      'print the JSON Schema of scaler.yaml (for editors: jobs/scaler.schema.json)',
      (y) => y,
      act(async (_args, ctx) => {
        const { configJsonSchema } = await import('./config/json-schema.ts');
        ctx.out(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      }),
    )
    .strict()
    .version(VERSION)
    .help()
    .alias('help', 'h')
    .epilog(EPILOG)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs' own usage errors (unknown flag, bad choice, missing argument): exit 2, nothing done.
      if (err) throw err;
      throw new ConfigError([{ path: 'command line', message: msg }]);
    });

  try {
    await parser.parseAsync();
  } catch (err) {
    exitCode = exitCodeOf(err);
    if (io.isTTY) io.stderr(`latency-scaler: ${messageOf(err)}\nRun 'latency-scaler --help' for usage.\n`);
    else
      createLogger({ json: true, write: io.stderr }).log(
        'error',
        `${messageOf(err)} Run 'latency-scaler --help' for usage.`,
        { code: 'INVALID_ARGUMENTS', exitCode },
      );
  }
  return exitCode;
}

function reportError(err: unknown, ctx: CommandContext, io: CliIo): void {
  const code = err instanceof ScalerError ? err.code : 'UNEXPECTED';
  const message = messageOf(err);
  ctx.log.log('error', message, { code, exitCode: exitCodeOf(err) });
  if (ctx.output === 'json' && !io.isTTY) return;
  if (!(err instanceof ScalerError)) io.stderr(`${(err as Error)?.stack ?? message}\n`);
}
