import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { checkedArg, choiceArg, intArg, listOf, nodeIdArg } from './cli-args.js';
import { PARTITION_COUNT } from './core/bounds.js';
import { CHECKS } from './core/doctor.js';
import { PARTITION_SORT_KEYS, PARTITION_STATES } from './core/model.js';
import type { Act } from './cli-act.js';

/** Commander wiring of `partitions`, `doctor` and `failover`. */
export function addPartitions(program: CommandUnknownOpts, act: Act): void {
  const partitions = program
    .command('partitions')
    .description('partition metadata: list, show, stats, register, set-state')
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl partitions list --node node-05 --sort size --limit 20\n  $ otlpctl partitions show partition_498836_0058\n  $ otlpctl partitions stats',
    );
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
    .addOption(
      new Option(
        '--sort <key>',
        'id, start (ascending); size, records (largest first); updated (newest first)',
      ).argParser(choiceArg('--sort', PARTITION_SORT_KEYS)),
    )
    .addOption(
      new Option('--limit <n>', 'at most this many partitions').argParser(
        intArg('--limit', 1, Number.MAX_SAFE_INTEGER),
      ),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl partitions list --state Migrating\n  $ otlpctl partitions list --node node-05 --from-time now-6h -o ndjson\n  $ otlpctl partitions list --sort size --limit 10        # the ten largest',
    )
    .action(act((o) => async (ctx) => (await import('./commands/partitions.js')).partitionsList(o, ctx)));
  partitions
    .command('show')
    .description("one partition's stored metadata, with its ring placement")
    .argument('<partition-id>', 'e.g. partition_498836_0058')
    .addHelpText('after', '\nExample:\n  $ otlpctl partitions show partition_498836_0058 -o json')
    .action(act((id) => async (ctx) => (await import('./commands/partitions.js')).partitionsShow(id, ctx)));
  partitions
    .command('stats')
    .description('per node bytes, records, partitions, leaders; skew')
    .addOption(
      new Option(
        '--by <measure>',
        'load for the skew: bytes (all replicas), leader-bytes, partitions',
      ).argParser(choiceArg('--by', ['bytes', 'leader-bytes', 'partitions'] as const)),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl partitions stats\n  $ otlpctl partitions stats --by leader-bytes -o json',
    )
    .action(
      act((o) => async (ctx) => (await import('./commands/partition-stats.js')).partitionsStats(o, ctx)),
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
    .addOption(new Option('--size-bytes <n>', 'size').argParser(checkedArg('--size-bytes', PARTITION_COUNT)))
    .addOption(
      new Option('--record-count <n>', 'records').argParser(checkedArg('--record-count', PARTITION_COUNT)),
    )
    .addOption(
      new Option('--state <state>', 'Active|Rebalancing|Migrating|ReadOnly').argParser(
        choiceArg('--state', PARTITION_STATES),
      ),
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ otlpctl partitions register partition_498836_0058 --nodes node-01,node-02,node-07 --leader node-02',
    )
    .action(
      act(
        (id, o) => async (ctx) =>
          (await import('./commands/partitions.js')).partitionsRegister({ ...o, partitionId: id }, ctx),
      ),
    );
  partitions
    .command('set-state')
    .description("change a partition's state (compare-and-swap; other fields kept)")
    .argument('<partition-id>', 'e.g. partition_498836_0058')
    .argument('<state>', 'Active|Rebalancing|Migrating|ReadOnly', choiceArg('state', PARTITION_STATES))
    .addHelpText('after', '\nExample:\n  $ otlpctl partitions set-state partition_498836_0058 ReadOnly')
    .action(
      act(
        (id, state) => async (ctx) =>
          (await import('./commands/partitions.js')).partitionsSetState(id, state, ctx),
      ),
    );
  program
    .command('doctor')
    .description('check partitions, nodes and config; exit 1 when anything is wrong')
    .option('--stuck-after <dur>', 'a Migrating partition older than this is stuck (default 1h)')
    .addOption(
      new Option(
        '--check <kind>',
        `only these findings (repeatable, or comma-separated): ${CHECKS.join(', ')}`,
      ).argParser(listOf(choiceArg('--check', CHECKS))),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl doctor\n  $ otlpctl doctor --check node-down -o tsv    # every partition on a Down node\n  $ otlpctl doctor -o json | jq .counts',
    )
    .action(act((o) => async (ctx) => (await import('./commands/doctor.js')).doctor(o, ctx)));
  program
    .command('failover')
    .description('mark a node Down and move leadership of its partitions to the best healthy replica')
    .argument('<node-id>', 'the failed node', nodeIdArg)
    .option('--dry-run', 'show what would change; change nothing', false)
    .addHelpText('after', '\nExamples:\n  $ otlpctl failover node-05 --dry-run\n  $ otlpctl failover node-05')
    .action(act((id, o) => async (ctx) => (await import('./commands/failover.js')).failover(id, o, ctx)));
}
