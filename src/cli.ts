import { Command, CommanderError, Option } from 'commander';
import { addExpire } from './cli-expire.js';
import { addRebalance } from './cli-rebalance.js';
import { choiceArg, intArg, labelsArg, nodeIdArg, numberArg } from './cli-args.js';
import type { Context } from './commands/context.js';
import { ExitCode, OtlpctlError, UsageError } from './core/errors.js';
import { NODE_STATES, PARTITION_STATES } from './core/model.js';
import { FORMATS, type Format } from './render/formats.js';
import type { MetadataStore } from './store/contract.js';
import { KeyLayout } from './store/layout.js';
import { openStore, type StoreFlags } from './store/open.js';
import type { Readable, Writable } from 'node:stream';

/**
 * Commander wiring: flags to typed options, a Context per run, and the one place that maps
 * errors to exit codes (PRODUCT.md §7) and exits. Command modules load lazily so a command pays
 * only for what it uses.
 */

export interface Io {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable;
  stdinFd?: number;
  stdoutFd?: number;
  env: Record<string, string | undefined>;
  clock: () => number;
}

interface GlobalOptions extends StoreFlags {
  output?: Format;
  color: boolean;
  quiet?: boolean;
  debug?: boolean;
  prefix?: string;
}

type Action = (ctx: Context) => Promise<ExitCode>;

export async function run(argv: string[], io: Io): Promise<ExitCode> {
  let debug = argv.includes('--debug');
  let store: MetadataStore | undefined;
  let code: ExitCode = ExitCode.Ok;
  const program = buildProgram(io, async (cmd, action) => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    debug = g.debug ?? false;
    const interactive = io.stdout.isTTY === true;
    const ctx: Context = {
      openStore: async () => (store ??= await openStore(g, io.env)),
      layout: new KeyLayout(g.prefix ?? io.env.OTLPCTL_PREFIX ?? '/otlp'),
      clock: io.clock,
      format: g.output ?? (interactive ? 'table' : 'json'),
      color: g.color && interactive && io.env.NO_COLOR === undefined,
      quiet: g.quiet ?? false,
      interactive,
      stdout: io.stdout,
      stderr: io.stderr,
      stdin: io.stdin,
      stdinFd: io.stdinFd,
      stdoutFd: io.stdoutFd,
    };
    code = await action(ctx);
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    code = report(err, io, debug);
  } finally {
    await store?.close().catch(() => undefined);
  }
  return code;
}

function report(err: unknown, io: Io, debug: boolean): ExitCode {
  if (err instanceof CommanderError) {
    // Help and version are not errors; commander has already printed them.
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
    ) {
      return ExitCode.Ok;
    }
    return ExitCode.Usage;
  }
  // The reader of our output went away (`| head`): not an error of ours, and nothing to say.
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return ExitCode.Ok;
  const known = err instanceof OtlpctlError;
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`otlpctl: ${known ? '' : 'internal error: '}${message.split('\n')[0]}\n`);
  if (debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  else if (!known) io.stderr.write('otlpctl: run again with --debug for the stack trace\n');
  return known ? err.exitCode : ExitCode.Error;
}

type Runner = (cmd: Command, action: Action) => Promise<void>;

function buildProgram(io: Io, runner: Runner): Command {
  const program = new Command('otlpctl')
    .description(
      'Partition metadata of a distributed OpenTelemetry storage cluster: locate, ring, nodes, rebalance, expire.',
    )
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`otlpctl: ${s.replace(/^error: /, '')}`),
    })
    .showSuggestionAfterError()
    .addOption(
      new Option(
        '-o, --output <format>',
        'table|json|ndjson|tsv (default: table on a terminal, else json)',
      ).argParser(choiceArg('--output', FORMATS)),
    )
    .option('--no-color', 'no colours (also NO_COLOR)')
    .option('-q, --quiet', 'no notes or progress on stderr')
    .option('--debug', 'stack traces on errors')
    .option('--file <path>', 'the embedded file store (env OTLPCTL_FILE)')
    .option(
      '--endpoints <list>',
      'etcd endpoints, comma-separated (env OTLPCTL_ENDPOINTS, ETCDCTL_ENDPOINTS)',
    )
    .option('--cacert <file>', 'etcd: CA bundle for TLS')
    .option('--cert <file>', 'etcd: client certificate')
    .option('--key <file>', 'etcd: client key')
    .option('--user <name[:password]>', 'etcd: user (env OTLPCTL_USER, ETCDCTL_USER)')
    .option('--password <password>', 'etcd: password (env OTLPCTL_PASSWORD, ETCDCTL_PASSWORD); never printed')
    .option('--dial-timeout <dur>', 'etcd: connection timeout (default 2s)')
    .option('--command-timeout <dur>', 'etcd: per-request timeout (default 5s)')
    .option('--prefix <path>', 'key prefix (env OTLPCTL_PREFIX)', undefined);
  program.addHelpText(
    'after',
    `
Examples:
  $ otlpctl demo --file demo.json                       # a demo cluster in a local file
  $ otlpctl --file demo.json locate 4bf92f3577b34da6a3ce929d0e0e4736 --at now-2h
  $ otlpctl --endpoints 10.0.0.1:2379 ring --simulate-add node-9
  $ cut -f1 ids.txt | otlpctl --file demo.json locate --stdin -o tsv

Exit codes: 0 done · 1 error · 2 bad usage/input · 3 precondition failed · 4 lock held · 5 guard refused · 6 partly done · 130 interrupted`,
  );
  // `locate` and its subcommands share flags (--at, --from, --from-time …) and commander gives a
  // flag typed after the subcommand to the parent: hand actions the merged view of both.
  const act = (build: (...a: never[]) => Action) =>
    async function (this: Command, ...args: unknown[]) {
      args[args.length - 2] = this.optsWithGlobals();
      await runner(this, (build as (...a: unknown[]) => Action)(...args));
    };

  program
    .command('init')
    .description('write the cluster configuration (<prefix>/config)')
    .addOption(
      new Option('--granularity-hours <n>', 'width of a time partition').argParser(
        intArg('--granularity-hours', 1, 24 * 366),
      ),
    )
    .addOption(
      new Option('--retention-days <n>', 'what expire removes').argParser(
        intArg('--retention-days', 1, 36_600),
      ),
    )
    .addOption(
      new Option('--hash-partitions <n>', 'hash buckets per time partition').argParser(
        intArg('--hash-partitions', 1, 1 << 20),
      ),
    )
    .addOption(
      new Option('--virtual-nodes <n>', 'ring points per node').argParser(
        intArg('--virtual-nodes', 1, 100_000),
      ),
    )
    .addOption(
      new Option('--replication-factor <n>', 'replicas per partition').argParser(
        intArg('--replication-factor', 1, 100),
      ),
    )
    .addOption(
      new Option('--hash <name>', 'xxh64 or rust-siphash13 (bit-for-bit the seed)').argParser(
        choiceArg('--hash', ['xxh64', 'rust-siphash13'] as const),
      ),
    )
    .addOption(
      new Option('--placement <name>', "ring (the seed's)").argParser(
        choiceArg('--placement', ['ring', 'bounded'] as const),
      ),
    )
    .option('--force', 'overwrite an existing configuration (unknown fields are kept)', false)
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl --file c.json init --hash rust-siphash13\n  $ otlpctl --endpoints etcd:2379 init --retention-days 14 --force',
    )
    .action(
      act((o: Record<string, unknown>) => async (ctx) => {
        const { init } = await import('./commands/init.js');
        return init(
          {
            force: o.force as boolean,
            granularity_hours: o.granularityHours as number | undefined,
            retention_days: o.retentionDays as number | undefined,
            hash_partitions: o.hashPartitions as number | undefined,
            virtual_nodes: o.virtualNodes as number | undefined,
            replication_factor: o.replicationFactor as number | undefined,
            hash: o.hash as 'xxh64' | 'rust-siphash13' | undefined,
            placement: o.placement as 'ring' | 'bounded' | undefined,
          },
          ctx,
        );
      }),
    );

  addNodes(program, act);
  addLocate(program, act);
  addRing(program, act);
  addPartitions(program, act);
  addRebalance(program, act);
  addExpire(program, act);

  program
    .command('demo')
    .description(
      'create a realistic demo cluster (config, 12 nodes in 3 zones, partition metadata) in the file store',
    )
    .option('--force', 'replace an existing demo store', false)
    .addHelpText('after', '\nExample:\n  $ otlpctl demo --file demo.json && otlpctl --file demo.json ring')
    .action(
      act((o: { force: boolean }) => async (ctx) => {
        const { demo } = await import('./commands/demo.js');
        return demo({ force: o.force }, ctx);
      }),
    );

  program
    .command('completion')
    .description('print a shell completion script')
    .argument('<shell>', 'bash, zsh or fish', choiceArg('shell', ['bash', 'zsh', 'fish'] as const))
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl completion bash > /etc/bash_completion.d/otlpctl\n  $ otlpctl completion zsh > "${fpath[1]}/_otlpctl"',
    )
    .action(
      act((shell: 'bash' | 'zsh' | 'fish') => async (ctx) => {
        const { completionScript } = await import('./render/completion.js');
        ctx.stdout.write(completionScript(shell, program));
        return ExitCode.Ok;
      }),
    );
  return program;
}

// Commander's option bags are untyped; each action's flags are declared right above it.
export type Act = (build: (...a: never[]) => Action) => (this: Command, ...args: unknown[]) => Promise<void>;

function addNodes(program: Command, act: Act): void {
  const nodes = program.command('nodes').description('ring membership and locality');
  nodes
    .command('list')
    .description('list nodes')
    .action(act(() => async (ctx) => (await import('./commands/nodes.js')).nodesList(ctx)));
  nodes
    .command('show')
    .description('one node, with its ring points and share of the hash space')
    .argument('<node-id>', 'node id', nodeIdArg)
    .action(act((id: string) => async (ctx) => (await import('./commands/nodes.js')).nodesShow(id, ctx)));
  nodes
    .command('add')
    .description('add a node to the ring')
    .argument('<node-id>', 'node id', nodeIdArg)
    .option('--region <r>', 'region')
    .option('--zone <z>', 'availability zone')
    .option('--dc <d>', 'data center')
    .addOption(
      new Option('--weight <w>', 'ring weight (points = virtual_nodes × weight)').argParser(
        numberArg('--weight', 0, 100),
      ),
    )
    .option('--address <a>', 'address, e.g. 10.0.0.7:4317')
    .addOption(
      new Option('--state <s>', 'Up, Down or Draining (default Up)').argParser(
        choiceArg('--state', NODE_STATES),
      ),
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ otlpctl nodes add node-13 --region eu-west-1 --zone eu-west-1a --dc dc-7',
    )
    .action(
      act(
        (id: string, o: Record<string, never>) => async (ctx) =>
          (await import('./commands/nodes.js')).nodesAdd({ nodeId: id, ...o }, ctx),
      ),
    );
  nodes
    .command('remove')
    .description('remove a node (refused while partitions still name it, unless --force)')
    .argument('<node-id>', 'node id', nodeIdArg)
    .option('--force', 'remove even though partitions still name it', false)
    .action(
      act(
        (id: string, o: { force: boolean }) => async (ctx) =>
          (await import('./commands/nodes.js')).nodesRemove(id, o.force, ctx),
      ),
    );
  nodes
    .command('set-state')
    .description('mark a node Up, Down or Draining')
    .argument('<node-id>', 'node id', nodeIdArg)
    .argument('<state>', 'Up|Down|Draining', choiceArg('state', NODE_STATES))
    .action(
      act(
        (id: string, state: (typeof NODE_STATES)[number]) => async (ctx) =>
          (await import('./commands/nodes.js')).nodesSetState(id, state, ctx),
      ),
    );
  nodes
    .command('set-location')
    .description("change a node's region, zone or data center")
    .argument('<node-id>', 'node id', nodeIdArg)
    .option('--region <r>', 'region')
    .option('--zone <z>', 'availability zone')
    .option('--dc <d>', 'data center')
    .action(
      act(
        (id: string, o: { region?: string; zone?: string; dc?: string }) => async (ctx) =>
          (await import('./commands/nodes.js')).nodesSetLocation(id, o, ctx),
      ),
    );
}

function vantageOptions(cmd: Command): Command {
  return cmd
    .option('--from <node>', 'vantage node for the preferred replica')
    .option('--region <r>', 'vantage region')
    .option('--zone <z>', 'vantage availability zone')
    .option('--dc <d>', 'vantage data center');
}

function addLocate(program: Command, act: Act): void {
  const locate = vantageOptions(
    program
      .command('locate')
      .description(
        'which partition and which nodes hold a trace (or a metric, a log, a time range, OTLP data)',
      )
      .argument('[trace-id]', '32 hex digits or a W3C traceparent')
      .option('--at <time>', 'when (RFC 3339, unix seconds, now-2h; default now)')
      .option('--from-time <time>', 'window start: one row per time partition')
      .option('--to-time <time>', 'window end (default now)')
      .option('--around <time>', 'window centre')
      .option('--window <dur>', 'window width with --around (default 1h)')
      .option('--stdin', 'read "<trace-id> [time]" lines from stdin; streams one result per line', false),
  ).addHelpText(
    'after',
    `
Examples:
  $ otlpctl locate 4bf92f3577b34da6a3ce929d0e0e4736 --at 2026-01-01T12:30:00Z
  $ otlpctl locate 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 --from node-3
  $ otlpctl locate 4bf92f3577b34da6a3ce929d0e0e4736 --around now-3h --window 2h
  $ otlpctl locate --stdin -o tsv < ids.txt
  $ otlpctl locate metric --name http.server.duration --service checkout --labels method=GET
  $ otlpctl locate log --service checkout --severity ERROR --body "payment declined"
  $ otlpctl locate range --from-time now-2h --to-time now --region eu-west-1
  $ otlpctl locate otlp export.json -o ndjson`,
  );
  locate.action(
    act((traceId: string | undefined, o: Record<string, never>) => async (ctx) => {
      if (o.stdin) {
        if (traceId !== undefined)
          throw new UsageError('locate --stdin reads ids from stdin; do not also give one');
        return (await import('./commands/locate-stdin.js')).locateStdin({ ...o }, ctx);
      }
      if (traceId === undefined)
        throw new UsageError('locate: give a trace id (or --stdin, or one of: metric, log, range, otlp)');
      return (await import('./commands/locate.js')).locate({ ...o, traceId }, ctx);
    }),
  );
  vantageOptions(
    locate.command('metric').description("where a metric data point goes (the seed's MetricPartitionKey)"),
  )
    .requiredOption('--name <name>', 'metric name')
    .requiredOption('--service <name>', 'service.name')
    .addOption(new Option('--labels <k=v,…>', 'data point attributes').argParser(labelsArg))
    .option('--at <time>', 'when (default now)')
    .action(
      act(
        (o: Record<string, never>) => async (ctx) =>
          (await import('./commands/locate-keys.js')).locateMetric(
            { ...o, labels: o.labels ?? [] } as never,
            ctx,
          ),
      ),
    );
  vantageOptions(locate.command('log').description("where a log record goes (the seed's LogPartitionKey)"))
    .requiredOption('--service <name>', 'service.name')
    .requiredOption('--severity <level>', 'TRACE|DEBUG|INFO|WARN|ERROR|FATAL or an OTLP severity number 1-24')
    .requiredOption('--body <text>', 'the log body')
    .option('--at <time>', 'when (default now)')
    .action(
      act(
        (o: Record<string, never>) => async (ctx) =>
          (await import('./commands/locate-keys.js')).locateLog(o as never, ctx),
      ),
    );
  vantageOptions(
    locate
      .command('range')
      .description("query fan-out: the partitions of a time range, per node (the seed's query_traces)"),
  )
    .option('--from-time <time>', 'range start (required)')
    .option('--to-time <time>', 'range end (default now)')
    .option('--service <name>', 'service name (recorded; trace partitions are not split by service)')
    .addOption(
      new Option('--signal <signal>', 'traces, metrics or logs')
        .argParser(choiceArg('--signal', ['traces', 'metrics', 'logs'] as const))
        .default('traces'),
    )
    .action(
      act(
        (o: Record<string, never>) => async (ctx) =>
          (await import('./commands/locate-range.js')).locateRange(o as never, ctx),
      ),
    );
  locate
    .command('otlp')
    .description('write routing of OTLP/JSON data (a request, or JSON lines from the file exporter)')
    .argument('[file]', 'file, or - for stdin', '-')
    .action(
      act(
        (file: string) => async (ctx) =>
          (await import('./commands/locate-otlp.js')).locateOtlp({ file }, ctx),
      ),
    );
}

function addRing(program: Command, act: Act): void {
  program
    .command('ring')
    .description('ring points, ownership, partitions per node and skew; simulate adding or removing nodes')
    .option('--at <time>', 'end of the window of partitions counted (default now)')
    .addOption(
      new Option('--hours <n>', 'hours of partitions counted (default the retention window)').argParser(
        intArg('--hours', 1, 24 * 3660),
      ),
    )
    .option('--simulate-add <node...>', 'nodes to add (same weight 1, no location)')
    .option('--simulate-remove <node...>', 'nodes to remove')
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl ring\n  $ otlpctl ring --simulate-add node-13 node-14 -o json',
    )
    .action(
      act((o: Record<string, never>) => async (ctx) => (await import('./commands/ring.js')).ring(o, ctx)),
    );
}

function addPartitions(program: Command, act: Act): void {
  const partitions = program
    .command('partitions')
    .description('partition metadata: list, show, stats, register, set-state');
  partitions
    .command('list')
    .description('stream stored partitions, filtered')
    .addOption(
      new Option('--state <state>', 'Active|Rebalancing|Migrating|ReadOnly').argParser(
        choiceArg('--state', PARTITION_STATES),
      ),
    )
    .addOption(
      new Option('--node <node>', 'partitions with a replica (or the leader) on this node').argParser(
        nodeIdArg,
      ),
    )
    .addOption(
      new Option('--signal <signal>', 'traces, metrics or logs').argParser(
        choiceArg('--signal', ['traces', 'metrics', 'logs'] as const),
      ),
    )
    .option('--from-time <time>', 'time partitions ending after this')
    .option('--to-time <time>', 'time partitions starting before this')
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl partitions list --state Migrating\n  $ otlpctl partitions list --node node-05 --from-time now-6h -o ndjson',
    )
    .action(
      act(
        (o: Record<string, never>) => async (ctx) =>
          (await import('./commands/partitions.js')).partitionsList(o, ctx),
      ),
    );
  partitions
    .command('show')
    .description("one partition's stored metadata, with its ring placement")
    .argument('<partition-id>', 'e.g. partition_498836_0058')
    .action(
      act((id: string) => async (ctx) => (await import('./commands/partitions.js')).partitionsShow(id, ctx)),
    );
  partitions
    .command('stats')
    .description('per node bytes, records, partitions, leaders; skew')
    .addOption(
      new Option(
        '--by <measure>',
        'load for the skew: bytes (all replicas), leader-bytes, partitions',
      ).argParser(choiceArg('--by', ['bytes', 'leader-bytes', 'partitions'] as const)),
    )
    .action(
      act(
        (o: Record<string, never>) => async (ctx) =>
          (await import('./commands/partition-stats.js')).partitionsStats(o, ctx),
      ),
    );
  partitions
    .command('register')
    .description("record a partition's placement (re-registering keeps sizes, counts and unknown fields)")
    .argument('<partition-id>', 'e.g. partition_498836_0058')
    .addOption(
      new Option('--nodes <a,b,c>', "replicas (default: the ring's)").argParser((v: string) =>
        v.split(',').map((x) => nodeIdArg(x.trim())),
      ),
    )
    .addOption(new Option('--leader <node>', 'leader (default: the first replica)').argParser(nodeIdArg))
    .addOption(
      new Option('--size-bytes <n>', 'size').argParser(intArg('--size-bytes', 0, Number.MAX_SAFE_INTEGER)),
    )
    .addOption(
      new Option('--record-count <n>', 'records').argParser(
        intArg('--record-count', 0, Number.MAX_SAFE_INTEGER),
      ),
    )
    .addOption(
      new Option('--state <state>', 'Active|Rebalancing|Migrating|ReadOnly').argParser(
        choiceArg('--state', PARTITION_STATES),
      ),
    )
    .action(
      act(
        (id: string, o: Record<string, never>) => async (ctx) =>
          (await import('./commands/partitions.js')).partitionsRegister({ ...o, partitionId: id }, ctx),
      ),
    );
  partitions
    .command('set-state')
    .description("change a partition's state (compare-and-swap; other fields kept)")
    .argument('<partition-id>', 'e.g. partition_498836_0058')
    .argument('<state>', 'Active|Rebalancing|Migrating|ReadOnly', choiceArg('state', PARTITION_STATES))
    .action(
      act(
        (id: string, state: (typeof PARTITION_STATES)[number]) => async (ctx) =>
          (await import('./commands/partitions.js')).partitionsSetState(id, state, ctx),
      ),
    );
  program
    .command('doctor')
    .description('check partitions, nodes and config; exit 1 when anything is wrong')
    .option('--stuck-after <dur>', 'a Migrating partition older than this is stuck (default 1h)')
    .addHelpText('after', '\nExample:\n  $ otlpctl doctor -o json | jq .counts')
    .action(
      act(
        (o: { stuckAfter?: string }) => async (ctx) => (await import('./commands/doctor.js')).doctor(o, ctx),
      ),
    );
  program
    .command('failover')
    .description('mark a node Down and move leadership of its partitions to the best healthy replica')
    .argument('<node-id>', 'the failed node', nodeIdArg)
    .option('--dry-run', 'show what would change; change nothing', false)
    .addHelpText('after', '\nExamples:\n  $ otlpctl failover node-05 --dry-run\n  $ otlpctl failover node-05')
    .action(
      act(
        (id: string, o: { dryRun: boolean }) => async (ctx) =>
          (await import('./commands/failover.js')).failover(id, o, ctx),
      ),
    );
}

/** The binary's entry point: the only place that exits. */
export async function main(argv: string[]): Promise<void> {
  // `otlpctl … | head`: the reader has gone; stop quietly, as other Unix tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  const code = await run(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    // A getter: touching process.stdin makes fd 0 non-blocking, which `locate --stdin` avoids.
    get stdin() {
      return process.stdin;
    },
    stdinFd: 0,
    stdoutFd: 1,
    env: process.env,
    clock: Date.now,
  });
  // Let buffered output drain before exiting (pipes to `head` may already be closed).
  await new Promise<void>((resolve) =>
    process.stdout.writableLength === 0 ? resolve() : process.stdout.once('drain', resolve),
  );
  process.exit(code);
}
