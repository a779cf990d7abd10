import { Command, CommanderError, Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { addAudit } from './cli-audit.js';
import { addCompleteIds } from './cli-complete.js';
import { addExpire } from './cli-expire.js';
import { addLocate } from './cli-locate.js';
import { addNodes, addRing } from './cli-nodes.js';
import { addPartitions } from './cli-partitions.js';
import { addRebalance } from './cli-rebalance.js';
import { checkedArg, choiceArg } from './cli-args.js';
import type { Context } from './commands/context.js';
import type { Act, Action } from './cli-act.js';
import { CONFIG_CHECKS, type ClusterConfig } from './core/config.js';
import { ExitCode, oneLine, OtlpctlError } from './core/errors.js';
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
  /** The first Ctrl-C / SIGTERM (main() makes it from the process's signals; tests their own). */
  interrupt?: AbortSignal;
}

/**
 * Commands that stop gracefully on the first signal (ctx.interrupt): they finish the steps in
 * flight, journal, release the lock and print their summary. Any other command ends at once.
 */
const GRACEFUL = new Set([
  'rebalance apply',
  'rebalance resume',
  'rebalance cancel',
  'rebalance auto',
  'expire',
  'failover',
]);

/** The command running now, as its words (`rebalance apply`), for the signal handler in main(). */
let running: string | undefined;

/** The commands that may start from no file store: every other one reads a missing file as an error. */
const CREATES_STORE = new Set(['init', 'demo']);

export async function run(argv: string[], io: Io): Promise<ExitCode> {
  let debug = argv.includes('--debug');
  let store: MetadataStore | undefined;
  let code: ExitCode = ExitCode.Ok;
  const program = buildProgram(io, async (cmd, action) => {
    // Global flags are the program's own, wherever on the line they were typed.
    const g: GlobalOptions = program.opts();
    debug = g.debug ?? false;
    running = commandPath(cmd);
    const interactive = io.stdout.isTTY === true;
    const ctx: Context = {
      openStore: async () =>
        (store ??= await openStore(g, io.env, {
          createsFile: CREATES_STORE.has(cmd.name()) && !cmd.parent?.parent,
        })),
      layout: new KeyLayout(g.prefix ?? io.env.OTLPCTL_PREFIX ?? '/otlp'),
      clock: io.clock,
      format: g.output ?? (interactive ? 'table' : 'json'),
      color: g.color && interactive && io.env.NO_COLOR === undefined,
      quiet: g.quiet ?? false,
      interactive,
      stdout: io.stdout,
      stderr: io.stderr,
      // A getter, as in main(): creating process.stdin costs ~5 ms, and only --stdin reads it.
      get stdin() {
        return io.stdin;
      },
      stdinFd: io.stdinFd,
      stdoutFd: io.stdoutFd,
      interrupt: io.interrupt ?? new AbortController().signal,
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

function commandPath(cmd: CommandUnknownOpts): string {
  const words: string[] = [];
  for (let c: CommandUnknownOpts | null = cmd; c?.parent; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}

/**
 * The one owner of SIGINT and SIGTERM. The first aborts `interrupt` for a GRACEFUL command (which
 * then ends on its own within its deadlines) and ends any other at once; the second always ends
 * the process at once, with 130: what a long-running command left is in its journal or its
 * lock's lease, which lapses by itself.
 */
function ownSignals(stderr: Writable): AbortSignal {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted || running === undefined || !GRACEFUL.has(running)) {
      if (controller.signal.aborted)
        stderr.write(
          '\notlpctl: interrupted again: stopping at once; steps in flight may be left for resume\n',
        );
      process.exit(ExitCode.Interrupted);
    }
    stderr.write(
      '\notlpctl: interrupted: starting nothing new, finishing the steps in flight (Ctrl-C again to stop at once)\n',
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
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
  // One line even when the message quotes input (JSON.parse quotes a file: "garbage\n").
  io.stderr.write(`otlpctl: ${known ? '' : 'internal error: '}${oneLine(message.trimEnd())}\n`);
  if (debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  else if (!known) io.stderr.write('otlpctl: run again with --debug for the stack trace\n');
  return known ? err.exitCode : ExitCode.Error;
}

type Runner = (cmd: CommandUnknownOpts, action: Action) => Promise<void>;

/** The flags every command takes, checked by the type checker against what `openStore` reads. */
interface GlobalOptions extends StoreFlags {
  output?: Format;
  color: boolean;
  quiet?: true;
  debug?: true;
  prefix?: string;
}

type NumericField = {
  [F in keyof ClusterConfig]: ClusterConfig[F] extends number ? F : never;
}[keyof ClusterConfig];

/** An `init` flag that sets a numeric config field, parsed by that field's own check. */
const configFlag = <F extends string>(flags: F, field: NumericField, description: string) =>
  new Option(flags, description).argParser(
    checkedArg(flags.slice(0, flags.indexOf(' ')), CONFIG_CHECKS[field]),
  );

function buildProgram(io: Io, runner: Runner) {
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
    .option('--prefix <path>', 'key prefix (env OTLPCTL_PREFIX)');
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
  // flag typed after the subcommand to the parent: hand actions the merged view of both (a
  // superset of the options their types declare).
  const act: Act = (build) =>
    async function (...args) {
      const merged = [...args.slice(0, -2), this.optsWithGlobals()] as Parameters<typeof build>;
      await runner(this, build(...merged));
    };

  program
    .command('init')
    .description('write the cluster configuration (<prefix>/config)')
    .addOption(configFlag('--granularity-hours <n>', 'granularity_hours', 'width of a time partition'))
    .addOption(configFlag('--retention-days <n>', 'retention_days', 'what expire removes'))
    .addOption(configFlag('--hash-partitions <n>', 'hash_partitions', 'hash buckets per time partition'))
    .addOption(configFlag('--virtual-nodes <n>', 'virtual_nodes', 'ring points per node'))
    .addOption(configFlag('--replication-factor <n>', 'replication_factor', 'replicas per partition'))
    .addOption(
      new Option('--hash <name>', 'xxh64 or rust-siphash13 (bit-for-bit the seed)').argParser(
        choiceArg('--hash', ['xxh64', 'rust-siphash13'] as const),
      ),
    )
    .addOption(
      new Option(
        '--placement <name>',
        "ring (the seed's) or bounded (each hour's placements within 10 % of the fair share)",
      ).argParser(choiceArg('--placement', ['ring', 'bounded'] as const)),
    )
    .option('--zone-aware', 'one replica per availability zone where zones allow')
    .option('--no-zone-aware', "replicas ignore zones (the seed's walk)")
    .addOption(
      configFlag(
        '--imbalance-threshold <f>',
        'imbalance_threshold',
        'rebalance trigger, a fraction of the fair share',
      ),
    )
    .addOption(
      configFlag(
        '--max-concurrent-migrations <n>',
        'max_concurrent_migrations',
        'moves in flight during rebalance apply',
      ),
    )
    .option('--force', 'overwrite an existing configuration (unknown fields are kept)', false)
    .option(
      '--allow-remap',
      'with --force on a store holding partitions: allow changes that re-map them (hash, hash_partitions, granularity_hours, virtual_nodes, placement, zone_aware)',
      false,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl --file c.json init --hash rust-siphash13\n  $ otlpctl --endpoints etcd:2379 init --retention-days 14 --force\n  $ otlpctl init --force --virtual-nodes 256 --allow-remap   # re-maps placed partitions',
    )
    .action(
      act((o) => async (ctx) => {
        const { init } = await import('./commands/init.js');
        return init(
          {
            force: o.force,
            allowRemap: o.allowRemap,
            imbalance_threshold: o.imbalanceThreshold,
            max_concurrent_migrations: o.maxConcurrentMigrations,
            granularity_hours: o.granularityHours,
            retention_days: o.retentionDays,
            hash_partitions: o.hashPartitions,
            virtual_nodes: o.virtualNodes,
            replication_factor: o.replicationFactor,
            hash: o.hash,
            placement: o.placement,
            zone_aware: o.zoneAware,
          },
          ctx,
        );
      }),
    );

  program
    .command('config')
    .description('the cluster configuration')
    .addHelpText('after', '\nExamples:\n  $ otlpctl config show\n  $ otlpctl config show -o json')
    .command('show')
    .description('the cluster configuration as stored (-o json: the stored object, unknown fields too)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl config show\n  $ otlpctl config show -o json | jq .hash_partitions',
    )
    .action(act(() => async (ctx) => (await import('./commands/config-show.js')).configShow(ctx)));

  addNodes(program, act);
  addLocate(program, act);
  addRing(program, act);
  addPartitions(program, act);
  addRebalance(program, act);
  addExpire(program, act);
  addAudit(program, act);
  addCompleteIds(program, act);

  program
    .command('demo')
    .description(
      'create a realistic demo cluster (config, 12 nodes in 3 zones, partition metadata) in the file store',
    )
    .option('--force', 'replace an existing demo store', false)
    .addHelpText('after', '\nExample:\n  $ otlpctl demo --file demo.json && otlpctl --file demo.json ring')
    .action(
      act((o) => async (ctx) => {
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
      act((shell) => async (ctx) => {
        const { completionScript } = await import('./render/completion.js');
        ctx.stdout.write(completionScript(shell, program));
        return ExitCode.Ok;
      }),
    );
  return program;
}

/** The binary's entry point: the only place that exits. */
export async function main(argv: string[]): Promise<void> {
  // `otlpctl … | head`: the reader has gone; stop quietly, as other Unix tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  const interrupt = ownSignals(process.stderr);
  const code = await run(argv, {
    interrupt,
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
