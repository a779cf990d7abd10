import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { choiceArg } from './cli-args.js';
import { AUDIT_RESULTS } from './core/model.js';
import type { Act } from './cli-act.js';

/** Commander wiring of `audit`. */
export function addAudit(program: CommandUnknownOpts, act: Act): void {
  const audit = program
    .command('audit')
    .description('the audit log (<prefix>/audit/): who ran what, when, why, with what result')
    .addHelpText('after', '\nExample:\n  $ otlpctl audit list --since 24h');
  audit
    .command('list')
    .description('audit records, oldest first')
    .option('--since <dur|time>', 'only records from this long ago (24h, 7d) or since this time')
    .option('--command <c>', "only this command ('rebalance' also matches 'rebalance apply' …)")
    .addOption(
      new Option('--result <r>', AUDIT_RESULTS.join('|')).argParser(choiceArg('--result', AUDIT_RESULTS)),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl audit list --since 24h\n  $ otlpctl audit list --command rebalance --result failed -o json',
    )
    .action(act((o) => async (ctx) => (await import('./commands/audit.js')).auditList(o, ctx)));
}
