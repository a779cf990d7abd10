import { writeFile } from 'node:fs/promises';
import { ExitCode, StoreError, UsageError } from '../core/errors.js';
import {
  configHash,
  planRebalance,
  type LoadMeasure,
  type PlanNode,
  type PlanPartition,
  type RebalancePlan,
} from '../core/rebalance/index.js';
import type { ClusterConfig } from '../core/config.js';
import { parseNodeInfo } from '../core/records.js';
import { formatTime } from '../core/time.js';
import { renderPlan } from '../render/rebalance.js';
import { PARTITION_PAGE, storedPartition, type Metadata } from '../store/metadata.js';
import { note, openMetadata, print, type Context } from './context.js';

/**
 * `rebalance plan`: reads nodes and partitions at one store revision, plans (pure, in the core),
 * prints a reviewable table or the plan JSON, and with --out writes the plan file for `apply`.
 * An already balanced cluster gives an empty plan and exit 0.
 */

export interface RebalancePlanOptions {
  by?: LoadMeasure;
  target?: number;
  maxMoves?: number;
  maxBytes?: number;
  out?: string;
  /** `--replace-down` alone: every Down node; with names: those. */
  replaceDown?: true | string[];
  /** Instead of the configured imbalance_threshold (`rebalance auto --threshold`). */
  threshold?: number;
}

export async function rebalancePlan(opts: RebalancePlanOptions, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const config = await md.requireConfig();
  const cluster = await readCluster(md);
  checkReplaceDown(opts.replaceDown, cluster.nodes);
  const plan = planCluster(config, cluster, opts, ctx);
  if (opts.out !== undefined) {
    try {
      await writeFile(opts.out, `${JSON.stringify(plan, null, 2)}\n`);
    } catch (e) {
      throw new UsageError(`--out '${opts.out}': ${(e as Error).message}`);
    }
  }
  print(ctx, renderPlan(plan, ctx.format, ctx));
  if (opts.out !== undefined && plan.moves.length > 0 && ctx.format === 'table')
    note(ctx, `plan written to ${opts.out}; review it, then: otlpctl rebalance apply ${opts.out}`);
  return ExitCode.Ok;
}

/** The plan for a cluster read by `readCluster`: `rebalance plan` and each round of `rebalance auto`. */
export function planCluster(
  config: ClusterConfig,
  cluster: ClusterSnapshot,
  opts: RebalancePlanOptions,
  ctx: Pick<Context, 'clock' | 'layout'>,
): RebalancePlan {
  const notes = cluster.unreadable
    ? [
        `${cluster.unreadable} partition value(s) do not parse (see 'otlpctl doctor'): left alone, their load not counted`,
      ]
    : [];
  return planRebalance(
    {
      nodes: cluster.nodes,
      partitions: cluster.partitions,
      imbalance_threshold: opts.threshold ?? config.imbalance_threshold,
      notes,
    },
    {
      by: opts.by ?? 'bytes',
      target: opts.target ?? 0.05,
      maxMoves: opts.maxMoves,
      maxBytes: opts.maxBytes,
      replaceDown: opts.replaceDown,
    },
    {
      created_at: formatTime(ctx.clock()),
      prefix: ctx.layout.prefix,
      revision: cluster.revision,
      config_hash: configHash(config),
    },
  );
}

/** Each node named by `--replace-down` must be a stored node in state Down. */
function checkReplaceDown(names: true | string[] | undefined, nodes: PlanNode[]): void {
  if (names === undefined || names === true) return;
  const state = new Map(nodes.map((n) => [n.node_id, n.state]));
  for (const id of names) {
    const s = state.get(id);
    if (s === undefined)
      throw new UsageError(`--replace-down '${id}': no such node (see 'otlpctl nodes list')`);
    if (s !== 'Down')
      throw new UsageError(
        `--replace-down '${id}': the node is ${s}, expected Down (a node that is leaving for good: 'otlpctl nodes decommission ${id}')`,
      );
  }
}

export interface ClusterSnapshot {
  revision: number;
  nodes: PlanNode[];
  partitions: PlanPartition[];
  unreadable: number;
}

/** Nodes and partitions as of one revision, page by page. */
export async function readCluster(md: Metadata): Promise<ClusterSnapshot> {
  for (let attempt = 0; ; attempt++) {
    const revision = await md.store.revision();
    try {
      return await readAt(md, revision);
    } catch (e) {
      // The file store keeps only its current revision: a writer in between means read again.
      if (attempt < 3 && e instanceof StoreError && /compacted/.test(e.message)) continue;
      throw e;
    }
  }
}

async function readAt(md: Metadata, revision: number): Promise<ClusterSnapshot> {
  const nodes: PlanNode[] = [];
  for await (const page of md.store.range(md.layout.nodesPrefix, { revision })) {
    for (const kv of page) {
      const { record } = parseNodeInfo(kv.value, kv.key);
      nodes.push({
        node_id: record.node_id,
        state: record.state,
        zone: record.location.availability_zone,
        weight: record.weight,
      });
    }
  }
  const partitions: PlanPartition[] = [];
  let unreadable = 0;
  const prefix = md.layout.partitionsPrefix;
  for await (const page of md.store.range(prefix, { revision, pageSize: PARTITION_PAGE })) {
    for (const kv of page) {
      try {
        const { record: p } = storedPartition(kv);
        if (p.partition_id !== kv.key.slice(prefix.length)) throw new StoreError('id does not match its key');
        partitions.push({
          partition_id: p.partition_id,
          nodes: p.nodes,
          leader: p.leader,
          state: p.state,
          size_bytes: p.size_bytes,
          mod_revision: kv.modRevision,
        });
      } catch {
        unreadable++;
      }
    }
  }
  return { revision, nodes, partitions, unreadable };
}
