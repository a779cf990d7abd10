import { Option, type Command } from 'commander';
import type { Act } from './cli-act.js';
import { intArg } from './cli-args.js';
import { parseMaxDelete, type MaxDelete } from './core/expire.js';
import { parseDuration } from './core/time-input.js';

/** Commander wiring of `expire` (issue 5). */
export function addExpire(program: Command, act: Act): void {
  program
    .command('expire')
    .description(
      'retention cleanup for cron: delete the metadata of partitions whose time partition ended before now − retention',
    )
    .option('--now <time>', 'expire as of this time (RFC 3339, unix seconds, now-2h; default now)')
    .addOption(
      new Option(
        '--retention-days <n>',
        'keep this many days (default: the configured retention_days)',
      ).argParser(intArg('--retention-days', 1, 36_600)),
    )
    .addOption(
      new Option(
        '--max-delete <N|P%>',
        'refuse to delete more than N partitions or P% of all partitions (default 10%)',
      ).argParser(parseMaxDelete),
    )
    .option(
      '--dry-run',
      'show what would be deleted (count, bytes, per node); change nothing, take no lock',
      false,
    )
    .addOption(
      new Option(
        '--wait <dur>',
        'wait up to this long for another run to release the expire lock (default: exit 4 at once)',
      ).argParser((v: string) => parseDuration(v, '--wait')),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ otlpctl expire --dry-run                                # what would go, per node
  $ otlpctl expire -o json >> /var/log/otlpctl-expire.json   # in cron: quiet, JSON summary, exit codes
  $ otlpctl expire --retention-days 14 --max-delete 20%
  $ otlpctl expire --wait 10m                               # queue behind a run in progress

Exit codes: 0 done or nothing to do · 4 another run holds the lock · 5 --max-delete refused (nothing deleted)
            6 some partitions could not be deleted · 130 interrupted (safe to run again) · 1 store error`,
    )
    .action(
      act(
        (o: {
          now?: string;
          retentionDays?: number;
          maxDelete?: MaxDelete;
          dryRun: boolean;
          wait?: number;
        }) =>
          async (ctx) => {
            const { expire } = await import('./commands/expire.js');
            return expire(
              {
                now: o.now,
                retentionDays: o.retentionDays,
                maxDelete: o.maxDelete,
                dryRun: o.dryRun,
                waitMs: o.wait,
              },
              ctx,
            );
          },
      ),
    );
}
