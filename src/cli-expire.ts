import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { Act } from './cli-act.js';
import { checkedArg } from './cli-args.js';
import { CONFIG_CHECKS } from './core/config.js';
import { parseMaxDelete } from './core/expire.js';
import { parseDuration } from './core/time-input.js';

/** Commander wiring of `expire` (issue 5). */
export function addExpire(program: CommandUnknownOpts, act: Act): void {
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
      ).argParser(checkedArg('--retention-days', CONFIG_CHECKS.retention_days)),
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
      act((o) => async (ctx) => (await import('./commands/expire.js')).expire({ ...o, waitMs: o.wait }, ctx)),
    );
}
