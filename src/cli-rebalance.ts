import {
  Option,
  type Command,
  type CommandUnknownOpts,
  type OptionValues,
} from '@commander-js/extra-typings';
import { checkedArg, choiceArg, intArg } from './cli-args.js';
import type { Act } from './cli-act.js';
import { CONFIG_CHECKS } from './core/config.js';
import { UsageError } from './core/errors.js';
import { PLAN_TARGET } from './core/bounds.js';
import { parseDuration } from './core/time-input.js';

/** Commander wiring of `rebalance plan|apply|status|resume|cancel` (issue 4). */

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** `500GB`, `1.5TiB`, `1000000` → bytes. */
function bytesArg(flag: string) {
  return (value: string): number => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const unit = UNITS[m?.[2]?.toLowerCase() ?? 'x'];
    const n = m && unit ? Math.round(Number(m[1]) * unit) : NaN;
    if (!Number.isSafeInteger(n) || n < 1)
      throw new UsageError(
        `${flag} '${value}': expected a positive size such as 500GB, 2TiB or 1000000 (bytes)`,
      );
    return n;
  };
}

const LOCK_TTL = () =>
  new Option('--lock-ttl <seconds>', 'how long the lock outlives a crashed run (default 15)').argParser(
    intArg('--lock-ttl', 2, 3600),
  );
const WAIT = () =>
  new Option(
    '--wait <dur>',
    'wait up to this long for the rebalance lock (held by another run, or by `rebalance auto` until it stops); default: exit 4 at once',
  ).argParser((v: string) => parseDuration(v, '--wait'));
const REASON = () => new Option('--reason <text>', 'why, for the audit record');
const CONCURRENT = () =>
  new Option('--max-concurrent <n>', 'moves in flight (default: config max_concurrent_migrations)').argParser(
    checkedArg('--max-concurrent', CONFIG_CHECKS.max_concurrent_migrations),
  );
const PACE = () =>
  new Option('--max-bytes-per-sec <size>', 'pace moves to this many bytes per second, e.g. 200MB').argParser(
    bytesArg('--max-bytes-per-sec'),
  );

/** The options of `rebalance plan`, shared with `nodes decommission`. */
export function addPlanOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .addOption(
      new Option(
        '--by <measure>',
        "load: bytes (all replicas, default), leader-bytes (the seed's), partitions",
      ).argParser(choiceArg('--by', ['bytes', 'leader-bytes', 'partitions'] as const)),
    )
    .addOption(
      new Option(
        '--target <fraction>',
        'allowed distance from the fair share after the moves, either side (default 0.05)',
      ).argParser(checkedArg('--target', PLAN_TARGET)),
    )
    .addOption(
      new Option('--max-moves <n>', 'at most this many moves').argParser(intArg('--max-moves', 1, 1e9)),
    )
    .addOption(
      new Option('--max-bytes <size>', 'move at most this many bytes, e.g. 5TB').argParser(
        bytesArg('--max-bytes'),
      ),
    )
    .option('--out <file>', 'write the plan file (for review and `rebalance apply`)');
}

export function addRebalance(program: CommandUnknownOpts, act: Act): void {
  const rebalance = program
    .command('rebalance')
    .description('balance partition replicas across nodes: plan, review, apply; status, resume, cancel')
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl rebalance plan --out plan.json\n  $ otlpctl rebalance apply plan.json\n  $ otlpctl rebalance status',
    );
  addPlanOptions(
    rebalance
      .command('plan')
      .description(
        'plan moves that bring every Up node within --target of its weighted fair share and empty Draining (and, with --replace-down, Down) nodes',
      ),
  )
    .option(
      '--replace-down [node...]',
      'also move every replica off Down nodes (all, or the ones named) to Up nodes: for a node that will not come back',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl rebalance plan\n  $ otlpctl rebalance plan --by leader-bytes --target 0.1 --out plan.json\n  $ otlpctl rebalance plan --replace-down node-05 --out plan.json\n  $ otlpctl rebalance plan --max-bytes 2TB -o json | jq .bytes_moved',
    )
    .action(act((o) => async (ctx) => (await import('./commands/rebalance-plan.js')).rebalancePlan(o, ctx)));
  rebalance
    .command('apply')
    .description('carry out a plan file: verified, under the rebalance lock, journaled, resumable')
    .argument('<plan-file>', 'written by `rebalance plan --out`')
    .option('-y, --yes', 'apply without asking (required when not on a terminal)', false)
    .addOption(CONCURRENT())
    .addOption(PACE())
    .addOption(REASON())
    .addOption(LOCK_TTL())
    .addOption(WAIT())
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl rebalance apply plan.json\n  $ otlpctl rebalance apply plan.json --yes --max-concurrent 2 --max-bytes-per-sec 200MB --reason "node-13 added"',
    )
    .action(
      act(
        (file, o) => async (ctx) =>
          (await import('./commands/rebalance-apply.js')).rebalanceApply({ ...o, waitMs: o.wait, file }, ctx),
      ),
    );
  rebalance
    .command('status')
    .description('progress of a plan (default: the latest unfinished one, else the latest)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl rebalance status\n  $ otlpctl rebalance status -o json | jq .partitions',
    )
    .argument('[plan-id]', 'plan id')
    .action(
      act(
        (planId) => async (ctx) =>
          (await import('./commands/rebalance-status.js')).rebalanceStatus({ planId }, ctx),
      ),
    );
  rebalance
    .command('resume')
    .description('finish an interrupted plan from its journal (default: the latest unfinished one)')
    .addHelpText('after', '\nExample:\n  $ otlpctl rebalance resume --reason "after the Ctrl-C at 03:10"')
    .argument('[plan-id]', 'plan id')
    .addOption(CONCURRENT())
    .addOption(PACE())
    .addOption(REASON())
    .addOption(LOCK_TTL())
    .addOption(WAIT())
    .action(
      act(
        (planId, o) => async (ctx) =>
          (await import('./commands/rebalance-apply.js')).rebalanceResume(
            { ...o, waitMs: o.wait, planId },
            ctx,
          ),
      ),
    );
  rebalance
    .command('cancel')
    .description('stop a plan: its Migrating partitions return to their previous placement')
    .addHelpText('after', '\nExample:\n  $ otlpctl rebalance cancel --reason "node-13 is flapping"')
    .argument('[plan-id]', 'plan id')
    .addOption(REASON())
    .addOption(LOCK_TTL())
    .action(
      act(
        (planId, o) => async (ctx) =>
          (await import('./commands/rebalance-status.js')).rebalanceCancel({ ...o, planId }, ctx),
      ),
    );

  // `rebalance auto` (issue 14): one self-contained block.
  const duration = (flag: string, minMs: number) => (v: string) => {
    const ms = parseDuration(v, flag);
    if (ms < minMs) throw new UsageError(`${flag} '${v}': expected a duration of at least ${minMs} ms`);
    return ms;
  };
  rebalance
    .command('auto')
    .description(
      "the seed's background rebalancer as a service: one active instance per cluster (the rebalance lock, kept), a round every --interval as plan + apply, one JSON line per event on stdout",
    )
    .addOption(
      new Option('--interval <dur>', "time between rounds (default 5m, the seed's check_interval)").argParser(
        duration('--interval', 50),
      ),
    )
    .addOption(
      new Option(
        '--threshold <fraction>',
        'a round moves data when a node is this far from its fair share (default: config imbalance_threshold)',
      ).argParser(checkedArg('--threshold', CONFIG_CHECKS.imbalance_threshold)),
    )
    .addOption(
      new Option(
        '--target <fraction>',
        'distance from the fair share a round aims for (default 0.05)',
      ).argParser(checkedArg('--target', PLAN_TARGET)),
    )
    .addOption(
      new Option('--by <measure>', 'load: bytes (default), leader-bytes, partitions').argParser(
        choiceArg('--by', ['bytes', 'leader-bytes', 'partitions'] as const),
      ),
    )
    .addOption(
      new Option(
        '--max-moves-per-round <n>',
        'at most this many moves per round (default: no limit)',
      ).argParser(intArg('--max-moves-per-round', 1, 1e9)),
    )
    .addOption(
      new Option(
        '--max-bytes-per-round <size>',
        'move at most this many bytes per round, e.g. 500GB',
      ).argParser(bytesArg('--max-bytes-per-round')),
    )
    .addOption(CONCURRENT())
    .addOption(PACE())
    .addOption(
      new Option(
        '--replace-down-after <dur>',
        'replace the replicas of a node Down this long, e.g. 30m (default: never; a Down node may come back)',
      ).argParser(duration('--replace-down-after', 1)),
    )
    .option('--dry-run', 'report what each round would apply; change nothing, take no lock', false)
    .addOption(
      new Option(
        '--lock-ttl <seconds>',
        'a standby takes over this long after the active one dies (default 15)',
      ).argParser(intArg('--lock-ttl', 2, 3600)),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl rebalance auto                                  # run as a service (see README: systemd)\n  $ otlpctl rebalance auto --dry-run --interval 1m | jq .   # watch what it would do\n  $ otlpctl rebalance auto --max-bytes-per-round 2TB --replace-down-after 30m\n\nExit: 0 when stopped by SIGTERM/SIGINT (steps in flight finished, lock released); 130 on a second signal; 2 on bad flags. Store errors are logged and retried.',
    )
    .action(
      act(
        (o) => async (ctx) =>
          (await import('./commands/rebalance-auto.js')).rebalanceAuto(
            { ...o, maxMoves: o.maxMovesPerRound, maxBytes: o.maxBytesPerRound },
            ctx,
          ),
      ),
    );
}
