import { ExitCode, UsageError } from '../core/errors.js';
import { note, openMetadata, type Context } from './context.js';
import { rebalancePlan, type RebalancePlanOptions } from './rebalance-plan.js';

/**
 * `nodes decommission NODE`: the node is leaving for good while it still runs — mark it Draining
 * (it takes no new partitions) and make the plan that moves its replicas to the Up nodes, bytes
 * balanced; the operator reviews it and runs `rebalance apply`. A node already Down holds no data
 * to copy from: its replicas are re-created with `rebalance plan --replace-down`.
 */
export async function nodesDecommission(
  nodeId: string,
  opts: RebalancePlanOptions,
  ctx: Context,
): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const stored = await md.node(nodeId);
  if (!stored)
    throw new UsageError(`node '${nodeId}': not found in ${md.store.description} (see 'otlpctl nodes list')`);
  if (stored.record.state === 'Down')
    throw new UsageError(
      `node '${nodeId}' is Down: to move its replicas to Up nodes, run 'otlpctl rebalance plan --replace-down ${nodeId} --out plan.json'`,
    );
  if (stored.record.state !== 'Draining') {
    await md.update(stored, { state: 'Draining' });
    note(ctx, `node ${nodeId} is now Draining: it takes no new partitions`);
  }
  return rebalancePlan(opts, ctx);
}
