// The command line: parses flags with yargs, runs one command, maps errors to exit codes.
// The only place (with the Lambda handler) that turns errors into exit codes.
import yargs, { type Argv, type Options } from 'yargs';
import { markLoaded } from './loaded.ts';
import { refuseDuplicateTargets } from './config/duplicates.ts';
import { OVERRIDES } from './config/load.ts';
import { InvalidArgumentError, exitCodeOf, ExitCode, messageOf, ScalerError } from './errors.ts';
import { createLogger } from './report/log.ts';
import { forPeople } from './report/redact.ts';
import { VERSION } from './version.ts';
import { parseDuration } from './config/duration.ts';
import { configFrom, fleetFrom, loadTestConfigFrom, type CommandContext, type CommonArgs } from './commands/context.ts';
import { defaultParallel, memberShard, MEMBERS_PER_CORE, shardOf } from './fleet.ts';

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

/**
 * `-c` where a command reads a fleet: repeatable, and each a file of several documents or a directory. The
 * alias comes from withCommon's `config` (naming it again would print `-c, -c` in the help).
 */
function fleetConfig(describe: string): Options {
  return { type: 'string', array: true, describe };
}

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

/**
 * One CLI command: its yargs options, how its configuration is loaded, and its module, imported only
 * when the command runs (so `--help`, or `validate` of an http target, loads no client and no SDK).
 */
interface Command<C, M> {
  name: string | string[]; // with its positionals; `$0`: the default command
  describe: string;
  options: (y: Argv) => Argv;
  config: (args: CommonArgs, ctx: CommandContext) => Promise<C>;
  module: () => Promise<M>;
  call: (module: M, config: C, args: CommonArgs, ctx: CommandContext) => Promise<number | void> | number | void;
}

type Entry = Pick<Command<unknown, unknown>, 'name' | 'describe' | 'options'> & {
  run: (args: CommonArgs, ctx: CommandContext) => Promise<number | void>;
};

/** The configuration is loaded first: a bad one is reported before the command's module is loaded. */
function command<C, M>(c: Command<C, M>): Entry {
  const run = async (args: CommonArgs, ctx: CommandContext): Promise<number | void> => {
    const config = await c.config(args, ctx);
    const code = await c.call(await c.module(), config, args, ctx);
    return typeof code === 'number' ? code : undefined; // a `void` call may still return a value
  };
  return { name: c.name, describe: c.describe, options: c.options, run };
}

const noConfig = (): Promise<undefined> => Promise.resolve(undefined);

const COMMANDS: Entry[] = [
  command({
    name: ['run', '$0'],
    describe: 'one full cycle: load test, decide, apply, persist (default); several configurations: a fleet',
    options: (y) =>
      withCommon(y)
        .option(
          'config',
          fleetConfig(
            'scaler.yaml (or an LPA evaluation_config.yaml), repeatable; a file of several documents (---) or a ' +
              'directory runs a fleet; default $SCALER_CONFIG, $evaluationConfigFilePath, ./scaler.yaml',
          ),
        )
        .option('dry-run', { type: 'boolean', describe: 'decide and print, change nothing' })
        .option('parallel', {
          type: 'number',
          describe: `a fleet: autoscalers run at once (default ${MEMBERS_PER_CORE} per core this process has)`,
        })
        .option('shard', {
          type: 'string',
          describe:
            'a fleet: take only the autoscalers of shard i of n ("i/n"; default JOB_COMPLETION_INDEX/SCALER_SHARDS)',
        }) as Argv,
    config: fleetFrom,
    module: () => import('./commands/run.ts'),
    call: async (m, loaded, args, ctx) => {
      const members = refuseDuplicateTargets(loaded); // one target, one autoscaler: before any load
      const dryRun = Boolean(args['dry-run'] ?? args['dryRun']);
      const shard = shardOf(args['shard'] as string | undefined, ctx.env);
      const mine = shard ? members.filter((member) => memberShard(member, shard.count) === shard.index) : members;
      const parallel = Number(args['parallel'] ?? defaultParallel());
      if (!Number.isInteger(parallel) || parallel < 1)
        throw new InvalidArgumentError([
          { path: '--parallel', message: `${args['parallel']} is not a whole number ≥ 1` },
        ]);
      if (members.length === 1 && !shard) return (await m.runCommand(members[0]!.config!, ctx, { dryRun })).exitCode;
      return m.fleetCommand(mine, ctx, { dryRun, parallel });
    },
  }),
  command({
    name: 'validate',
    describe: 'load and check a configuration, print what would run (exit 0 or 2); a fleet: every document',
    options: (y) =>
      withCommon(y).option(
        'config',
        fleetConfig('scaler.yaml files, files of several documents, directories (as for run)'),
      ) as Argv,
    config: fleetFrom,
    module: () => import('./commands/validate.ts'),
    call: async (m, members, _args, ctx) =>
      members.length === 1
        ? m.validateCommand(members[0]!.config!, ctx)
        : m.validateFleet(refuseDuplicateTargets(members), ctx),
  }),
  command({
    name: 'loadtest',
    describe: 'run only the load test and print the statistics (no config needed: --host and --path)',
    options: (y) =>
      withCommon(y).option('path', {
        type: 'string',
        array: true,
        describe: 'a request: /path or "METHOD /path" (repeatable; default GET /)',
      }) as Argv,
    config: loadTestConfigFrom,
    module: () => import('./commands/loadtest.ts'),
    call: async (m, config, _args, ctx) => void (await m.loadtestCommand(config, ctx)),
  }),
  command({
    name: 'state <action>',
    describe: 'inspect (show) or clear (reset) the stored record of the target; init creates the DynamoDB table',
    options: (y) =>
      withCommon(y)
        .positional('action', {
          choices: ['show', 'reset', 'init'] as const,
          describe: 'show | reset | init',
        })
        .option('force', { type: 'boolean', describe: "reset: remove what is there even if not this target's record" }),
    config: configFrom,
    module: () => import('./commands/state.ts'),
    call: (m, config, args, ctx) => {
      const action = args['action'];
      if (action === 'reset') return m.stateResetCommand(config, ctx, Boolean(args['force']));
      return (action === 'init' ? m.stateInitCommand : m.stateShowCommand)(config, ctx);
    },
  }),
  command({
    name: 'set-replicas <replicas>',
    describe: 'scale by hand through the same target (within min/max unless --force) and restart the decay count',
    options: (y) =>
      withCommon(y)
        .positional('replicas', { type: 'number', describe: 'the replica count to set' })
        .option('force', { type: 'boolean', describe: 'allow a count outside replicas.min..max' }),
    config: configFrom,
    module: () => import('./commands/set-replicas.ts'),
    call: (m, config, args, ctx) => m.setReplicasCommand(config, ctx, Number(args['replicas']), Boolean(args['force'])),
  }),
  ...(['pause', 'resume'] as const).map((name) =>
    command({
      name,
      describe:
        name === 'pause'
          ? 'pause the target (annotation latency-scaler.io/paused): runs send no load and change nothing'
          : 'resume a paused target: the next run decides again',
      options: withCommon,
      config: configFrom,
      module: () => import('./commands/pause.ts'),
      call: (m, config, _args, ctx) => m.pauseCommand(config, ctx, name === 'pause'),
    }),
  ),
  command({
    name: 'history',
    describe: 'write the stored history as a self-contained HTML picture (replicas and latency vs target)',
    options: (y) =>
      withCommon(y)
        .option(
          'config',
          fleetConfig('scaler.yaml; several (a file of several documents, a directory): one chart group per target'),
        )
        .option('out', {
          type: 'string',
          default: 'latency-scaler-history.html',
          describe: 'the HTML file to write',
        }) as Argv,
    config: fleetFrom,
    module: () => import('./commands/history.ts'),
    call: (m, members, args, ctx) => m.historyCommand(members, ctx, String(args['out'])),
  }),
  command({
    name: 'status',
    describe: 'what the scaler thinks, at a glance (replicas, targets, decay, last decision); sends no load',
    options: (y) =>
      withCommon(y)
        .option(
          'config',
          fleetConfig('one or more scaler.yaml, a file of several documents, or a directory (default as for run)'),
        )
        .option('wide', { type: 'boolean', describe: 'the whole last decision, and the state store' }) as Argv,
    config: fleetFrom,
    module: () => import('./commands/status.ts'),
    call: (m, members, args, ctx) => m.statusCommand(members, ctx, Boolean(args['wide'])),
  }),
  command({
    name: 'serve',
    describe: 'the console: status, history and manual actions of the targets on one local web page, until Ctrl-C',
    options: (y) =>
      withCommon(y)
        .option(
          'config',
          fleetConfig('the targets to show: scaler.yaml files, files of several documents, directories'),
        )
        .option('address', {
          type: 'string',
          default: '127.0.0.1',
          describe:
            'where to listen; any other address than loopback needs a token ($SCALER_CONSOLE_TOKEN, or printed)',
        })
        .option('port', { type: 'number', default: 8080, describe: 'the port (0: any free one)' }) as Argv,
    config: fleetFrom,
    module: () => import('./commands/serve.ts'),
    call: (m, members, args, ctx) =>
      m.serveCommand(members, ctx, { address: String(args['address']), port: Number(args['port']) }),
  }),
  command({
    name: 'init <workload>',
    describe: 'measure a workload (kind/name, or a webhook URL) and write a first scaler.yaml; scales nothing',
    options: (y) =>
      y
        .positional('workload', { type: 'string', describe: 'deployment/NAME, statefulset/NAME, or a webhook URL' })
        .option('namespace', { alias: 'n', type: 'string', describe: "default: the kubeconfig context's" })
        .option('host', {
          type: 'string',
          describe: "where to measure from here (a port-forward, http://127.0.0.1:8080); default the Service's address",
        })
        .option('path', { type: 'string', default: '/', describe: 'the request to measure' })
        .option('users', { type: 'number', default: 2, describe: 'baseline users (gentle: 100 ms between requests)' })
        .option('duration', { type: 'string', default: '5s', describe: 'baseline duration' })
        .option('factor', { type: 'number', default: 2, describe: 'proposed p95 target = baseline p95 × factor' })
        .option('out', { type: 'string', default: 'scaler.yaml', describe: 'the file to write' })
        .option('force', { type: 'boolean', describe: 'replace the file if it exists' })
        .option('overlay', {
          type: 'string',
          describe: 'also write a kustomize overlay of the CronJob (jobs/base) for this workload into this directory',
        })
        .option('jobs', { type: 'string', default: 'jobs/base', describe: "the overlay's base: where jobs/base is" })
        .option('set', {
          type: 'string',
          array: true,
          describe: "the API calls' limits, as for run: --set api.timeout=5s, --set api.retryFor=10s",
        })
        .option('prometheus', {
          type: 'string',
          describe: "also propose production signals from this Prometheus: the workload's request rate and p95",
        })
        .option('prometheus-selector', {
          type: 'string',
          describe: 'the matchers of its series there, e.g. \'job="shop"\' (default: its namespace and pods)',
        })
        .option('output', { alias: 'o', choices: ['text', 'json'] as const }) as Argv,
    config: noConfig,
    module: () => import('./commands/init.ts'),
    call: async (m, _config, args, ctx) => {
      const durationMs = parseDuration(String(args['duration']));
      const users = Number(args['users']);
      const factor = Number(args['factor']);
      const issues = [
        ...(durationMs === undefined || durationMs <= 0 || durationMs > 60_000
          ? [{ path: '--duration', message: `${JSON.stringify(args['duration'])} is not a duration up to 1m` }]
          : []),
        ...(!Number.isInteger(users) || users < 1 || users > 20
          ? [{ path: '--users', message: `${args['users']} is not a whole number from 1 to 20` }]
          : []),
        ...(!(factor >= 1) ? [{ path: '--factor', message: `${args['factor']} is below 1` }] : []),
      ];
      if (issues.length > 0) throw new InvalidArgumentError(issues);
      await m.initCommand(
        {
          workload: String(args['workload']),
          namespace: args['namespace'] as string | undefined,
          host: args['host'] as string | undefined,
          path: String(args['path']),
          users,
          durationMs: durationMs!,
          factor,
          out: String(args['out']),
          force: Boolean(args['force']),
          overlay: args['overlay'] as string | undefined,
          jobs: String(args['jobs']),
          set: args.set,
          prometheus: args['prometheus'] as string | undefined,
          prometheusSelector: args['prometheus-selector'] as string | undefined,
        },
        ctx,
      );
    },
  }),
  command({
    name: 'manifests',
    describe:
      "print a fleet's least-privilege RBAC (a Role and RoleBinding per namespace) and its empty state ConfigMaps",
    options: (y) =>
      withCommon(y)
        .option(
          'config',
          fleetConfig('the fleet: scaler.yaml files, files of several documents, directories (as for run)'),
        )
        .option('service-account', {
          type: 'string',
          default: 'latency-scaler',
          describe: "the Job's ServiceAccount, bound in each namespace",
        })
        .option('namespace', {
          type: 'string',
          default: 'default',
          describe: "the Job's namespace (the ServiceAccount's); a target that names none is in it",
        })
        .option('iam', {
          type: 'boolean',
          describe: "print instead the IAM policy (JSON) of the fleet's AWS targets and DynamoDB state",
        })
        .option('aws-account', { type: 'string', describe: 'with --iam: the account of the resources [*]' })
        .option('aws-region', {
          type: 'string',
          describe: 'with --iam: the region of targets that name none [*]',
        }) as Argv,
    // A target without a namespace runs in the pod's: the RBAC must name that one, not this machine's default.
    config: (args, ctx) => fleetFrom(args, ctx, { podNamespace: String(args['namespace']) }),
    module: () => import('./commands/manifests.ts'),
    call: (m, members, args, ctx) =>
      m.manifestsCommand(members, ctx, {
        serviceAccount: String(args['service-account']),
        namespace: String(args['namespace']),
        iam: args['iam']
          ? { account: args['aws-account'] as string | undefined, region: args['aws-region'] as string | undefined }
          : undefined,
      }),
  }),
  command({
    name: 'schema',
    describe: 'print the JSON Schema of scaler.yaml (for editors: jobs/scaler.schema.json)',
    options: (y) => y,
    config: noConfig,
    module: () => import('./config/json-schema.ts'),
    call: (m, _config, _args, ctx) => void ctx.out(`${JSON.stringify(m.configJsonSchema(), null, 2)}\n`),
  }),
];

export async function runCli(io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const parser = yargs(io.argv)
    .scriptName('latency-scaler')
    .usage('$0 [command] [options]\n\nOne cycle of latency-driven scaling: load test → decide → apply → persist.')
    .parserConfiguration({ 'camel-case-expansion': false });
  for (const c of COMMANDS) {
    parser.command(c.name, c.describe, c.options, async (args: CommonArgs) => {
      const ctx = contextOf(args, io);
      try {
        exitCode = (await c.run(args, ctx)) ?? ExitCode.ok;
      } catch (err) {
        exitCode = exitCodeOf(err);
        reportError(err, ctx, io);
      }
    });
  }
  parser
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
      throw new InvalidArgumentError([{ path: '', message: msg }], 'command line');
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    exitCode = exitCodeOf(err);
    reportUsageError(err, exitCode, io);
  }
  return exitCode;
}

function contextOf(args: CommonArgs, io: CliIo): CommandContext {
  const output = (args['output'] as 'text' | 'json' | undefined) ?? (io.isTTY ? 'text' : 'json');
  const level = args['quiet'] ? 'warn' : args['verbose'] ? 'debug' : 'info';
  const log = createLogger({ json: !io.isTTY, level, write: io.stderr });
  return {
    // URLs' credentials and query values masked, a remote body's control characters escaped.
    out: (text) => io.stdout(forPeople(text)),
    outVerbatim: io.stdout,
    log,
    now: io.now ?? Date.now,
    signal: io.signal,
    output,
    env: io.env,
    progress: io.stderrIsTTY && output === 'text' ? io.stderr : undefined,
  };
}

function reportUsageError(err: unknown, exitCode: number, io: CliIo): void {
  if (io.isTTY)
    io.stderr(`latency-scaler: ${messageOf(err)}\nSee --help for the usage (a command's own: run --help).\n`);
  else
    createLogger({ json: true, write: io.stderr }).log(
      'error',
      `${messageOf(err)} See --help for the usage (a command's own: run --help).`,
      {
        code: 'INVALID_ARGUMENTS',
        exitCode,
      },
    );
}

function reportError(err: unknown, ctx: CommandContext, io: CliIo): void {
  const code = err instanceof ScalerError ? err.code : 'UNEXPECTED';
  const message = messageOf(err);
  ctx.log.log('error', message, { code, exitCode: exitCodeOf(err) });
  if (ctx.output === 'json' && !io.isTTY) return;
  if (!(err instanceof ScalerError)) io.stderr(`${(err as Error)?.stack ?? message}\n`);
}
