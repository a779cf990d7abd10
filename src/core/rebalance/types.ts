import type { NodeState, PartitionState } from '../model.js';

/** The rebalance plan (PRODUCT.md §5, §9): what `rebalance plan` writes and `rebalance apply` carries out. */

export const PLAN_VERSION = 1;

export const LOAD_MEASURES = ['bytes', 'leader-bytes', 'partitions'] as const;
/** `bytes`: size over all replicas; `leader-bytes`: the seed's measure; `partitions`: replica counts. */
export type LoadMeasure = (typeof LOAD_MEASURES)[number];

export interface PlanNode {
  node_id: string;
  state: NodeState;
  /** Availability zone ('' when unknown: all such nodes count as one zone). */
  zone: string;
  /** Ring weight (default 1): the node's fair share is proportional to it (PRODUCT.md §5). */
  weight?: number;
}

export interface PlanPartition {
  partition_id: string;
  nodes: readonly string[];
  leader: string;
  state: PartitionState;
  size_bytes: number;
  /** The stored record's mod revision: apply's compare-and-swap token. */
  mod_revision: number;
}

export interface PlanInput {
  nodes: readonly PlanNode[];
  partitions: readonly PlanPartition[];
  /** Config `imbalance_threshold`: no plan unless the skew exceeds it (or a Draining node holds data). */
  imbalance_threshold: number;
  /** Said about the input by whoever read it (e.g. values that did not parse); kept in the plan. */
  notes?: readonly string[];
}

export interface PlanOptions {
  by: LoadMeasure;
  /** Every Up node ends within (1 ± target) × its fair share. */
  target: number;
  /**
   * Move every Active replica off these Down nodes (`true`: all Down nodes) to Up nodes, as
   * Cassandra's `removenode`; without it a Down node keeps its replicas, since it may come back.
   */
  replaceDown?: true | readonly string[];
  maxMoves?: number;
  maxBytes?: number;
}

/** Where the plan was made: recorded in it, checked by apply. */
export interface PlanMeta {
  created_at: string;
  prefix: string;
  revision: number;
  config_hash: string;
}

/**
 * One step of a plan. `replica`: the replica on `from` is copied to `to` (which holds none) and
 * dropped from `from`; if `from` led, `to` leads. `leader`: leadership passes from `from` to `to`,
 * which already holds a replica (zero bytes).
 */
export interface RebalanceMove {
  partition_id: string;
  kind: 'replica' | 'leader';
  from: string;
  to: string;
  bytes: number;
  /** Whether the partition's leader changes with this move. */
  leader_change: boolean;
  mod_revision: number;
}

export interface RebalancePlan {
  version: typeof PLAN_VERSION;
  id: string;
  created_at: string;
  prefix: string;
  revision: number;
  config_hash: string;
  by: LoadMeasure;
  target: number;
  threshold: number;
  moves: RebalanceMove[];
  /** Load per node in the unit of `by`, before and after the moves. */
  before: Record<string, number>;
  after: Record<string, number>;
  skew_before: number;
  skew_after: number;
  /** The under-loaded side, `1 − min(load / fair share)` over Up nodes, before and after. */
  under_before: number;
  under_after: number;
  /** Each Up node's fair share of the load after the moves (the centre of its target band). */
  fair: Record<string, number>;
  /** Down nodes whose replicas the plan moves (`--replace-down`). */
  replace_down: string[];
  bytes_moved: number;
  /** Bytes no plan can do without (see `lowerBounds` in bounds.ts). */
  lower_bound_bytes: number;
  /** The same two figures in the unit of `by`. */
  load_moved: number;
  lower_bound_load: number;
  notes: string[];
  checksum: string;
}

/** A partition's placement, as a move changes it. */
export interface Placement {
  nodes: string[];
  leader: string;
}

/**
 * The placement after a partition's moves, in plan order; a string says why the moves do not fit
 * the placement (the plan was not made from it).
 */
export function applyMoves(
  start: Placement,
  moves: readonly Pick<RebalanceMove, 'kind' | 'from' | 'to'>[],
): Placement | string {
  const nodes = [...start.nodes];
  let leader = start.leader;
  for (const m of moves) {
    if (m.kind === 'leader') {
      if (leader !== m.from) return `leader is ${leader || 'none'}, the plan moves leadership from ${m.from}`;
      if (!nodes.includes(m.to)) return `${m.to} holds no replica to take leadership`;
      leader = m.to;
      continue;
    }
    const i = nodes.indexOf(m.from);
    if (i < 0) return `${m.from} holds no replica to move`;
    if (nodes.includes(m.to)) return `${m.to} already holds a replica`;
    nodes[i] = m.to;
    if (leader === m.from) leader = m.to;
  }
  return { nodes, leader };
}
