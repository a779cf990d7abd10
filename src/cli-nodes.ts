import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { checkedArg, choiceArg, intArg, nodeIdArg } from './cli-args.js';
import { NODE_WEIGHT } from './core/bounds.js';
import { NODE_STATES } from './core/model.js';
import type { Act } from './cli-act.js';
import { addPlanOptions } from './cli-rebalance.js';

/** Commander wiring of `nodes` and `ring`. */
export function addNodes(program: CommandUnknownOpts, act: Act): void {
  const nodes = program
    .command('nodes')
    .description('ring membership and locality: list, show, add, remove, set-state, set-location')
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl nodes list --state Down\n  $ otlpctl nodes show node-05\n  $ otlpctl nodes set-state node-05 Down',
    );
  nodes
    .command('list')
    .description('list nodes')
    .addOption(
      new Option('--state <s>', 'only nodes in this state: Up, Down or Draining').argParser(
        choiceArg('--state', NODE_STATES),
      ),
    )
    .option('--zone <z>', 'only nodes in this availability zone')
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl nodes list\n  $ otlpctl nodes list --state Down --zone eu-west-1a -o tsv',
    )
    .action(act((o) => async (ctx) => (await import('./commands/nodes.js')).nodesList(o, ctx)));
  nodes
    .command('show')
    .description(
      'one node: ring points, share of the hash space, and the partitions, leaderships and bytes the metadata puts on it',
    )
    .argument('<node-id>', 'node id', nodeIdArg)
    .addHelpText('after', '\nExample:\n  $ otlpctl nodes show node-05 -o json')
    .action(act((id) => async (ctx) => (await import('./commands/nodes.js')).nodesShow(id, ctx)));
  nodes
    .command('add')
    .description('add a node to the ring')
    .argument('<node-id>', 'node id', nodeIdArg)
    .option('--region <r>', 'region')
    .option('--zone <z>', 'availability zone')
    .option('--dc <d>', 'data center')
    .addOption(
      new Option('--weight <w>', 'ring weight (points = virtual_nodes × weight)').argParser(
        checkedArg('--weight', NODE_WEIGHT),
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
        (id, o) => async (ctx) => (await import('./commands/nodes.js')).nodesAdd({ nodeId: id, ...o }, ctx),
      ),
    );
  nodes
    .command('remove')
    .description('remove a node (refused while partitions still name it, unless --force)')
    .argument('<node-id>', 'node id', nodeIdArg)
    .option('--force', 'remove even though partitions still name it', false)
    .addHelpText('after', '\nExample:\n  $ otlpctl nodes remove node-13')
    .action(
      act((id, o) => async (ctx) => (await import('./commands/nodes.js')).nodesRemove(id, o.force, ctx)),
    );
  nodes
    .command('set-state')
    .description('mark a node Up, Down or Draining')
    .argument('<node-id>', 'node id', nodeIdArg)
    .argument('<state>', 'Up|Down|Draining', choiceArg('state', NODE_STATES))
    .addHelpText('after', '\nExample:\n  $ otlpctl nodes set-state node-05 Draining')
    .action(
      act((id, state) => async (ctx) => (await import('./commands/nodes.js')).nodesSetState(id, state, ctx)),
    );
  nodes
    .command('set-weight')
    .description("change a node's weight: its ring points and its fair share of the data (e.g. more disk)")
    .argument('<node-id>', 'node id', nodeIdArg)
    .argument('<weight>', 'a number from 0 to 100 (default weight 1)', checkedArg('weight', NODE_WEIGHT))
    .addHelpText(
      'after',
      '\nExample:\n  $ otlpctl nodes set-weight node-07 2 && otlpctl rebalance plan --out plan.json',
    )
    .action(
      act(
        (id, weight) => async (ctx) => (await import('./commands/nodes.js')).nodesSetWeight(id, weight, ctx),
      ),
    );
  addPlanOptions(
    nodes
      .command('decommission')
      .description(
        'a node leaving for good: mark it Draining and plan the moves of its replicas to the Up nodes (then rebalance apply)',
      )
      .argument('<node-id>', 'node id', nodeIdArg),
  )
    .addHelpText(
      'after',
      '\nExample:\n  $ otlpctl nodes decommission node-07 --out plan.json && otlpctl rebalance apply plan.json',
    )
    .action(
      act(
        (id, o) => async (ctx) =>
          (await import('./commands/nodes-decommission.js')).nodesDecommission(id, o, ctx),
      ),
    );
  nodes
    .command('set-location')
    .description("change a node's region, zone or data center")
    .argument('<node-id>', 'node id', nodeIdArg)
    .option('--region <r>', 'region')
    .option('--zone <z>', 'availability zone')
    .option('--dc <d>', 'data center')
    .addHelpText('after', '\nExample:\n  $ otlpctl nodes set-location node-05 --zone eu-west-1b --dc dc-4')
    .action(
      act((id, o) => async (ctx) => (await import('./commands/nodes.js')).nodesSetLocation(id, o, ctx)),
    );
}

export function addRing(program: CommandUnknownOpts, act: Act): void {
  program
    .command('ring')
    .description(
      'ring points, ownership, partitions per node and skew; simulate adding or removing nodes, or a failure',
    )
    .option('--at <time>', 'end of the window of partitions counted (default now)')
    .addOption(
      new Option('--hours <n>', 'hours of partitions counted (default the retention window)').argParser(
        intArg('--hours', 1, 24 * 3660),
      ),
    )
    .option(
      '--simulate-add <node...>',
      'nodes to add, as NODE[:WEIGHT][@ZONE] (weight 1, no zone by default)',
    )
    .option('--simulate-remove <node...>', 'nodes to remove')
    .option('--simulate-fail-zone <zone>', 'count the partitions a failure of this zone leaves unavailable')
    .option(
      '--simulate-fail-node <node...>',
      'count the partitions a failure of these nodes leaves unavailable',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl ring --hours 1\n  $ otlpctl ring --simulate-add node-13:2@eu-west-1c node-14 -o json\n  $ otlpctl ring --simulate-fail-zone eu-west-1a',
    )
    .action(act((o) => async (ctx) => (await import('./commands/ring.js')).ring(o, ctx)));
}
