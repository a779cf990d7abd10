import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { choiceArg } from './cli-args.js';
import type { Act } from './cli-act.js';

/** The hidden `__ids` command the completion scripts call for node and partition ids. */
export function addCompleteIds(program: CommandUnknownOpts, act: Act): void {
  program
    .command('__ids', { hidden: true })
    .description('ids for shell completion (used by the completion scripts)')
    .argument('<kind>', 'nodes or partitions', choiceArg('kind', ['nodes', 'partitions'] as const))
    .argument('[word]', 'the prefix typed so far', '')
    .action(
      act(
        (kind, word) => async (ctx) =>
          (await import('./commands/complete-ids.js')).completeIds(kind, word, ctx),
      ),
    );
}
