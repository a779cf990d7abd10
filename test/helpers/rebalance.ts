import type { NodeState, PartitionState } from '../../src/core/model.js';
import {
  planRebalance,
  type PlanInput,
  type PlanOptions,
  type PlanPartition,
} from '../../src/core/rebalance/index.js';

/** Small hand-checkable clusters for the planner's tests. */

export const META = {
  created_at: '2026-11-27T12:00:00Z',
  prefix: '/otlp',
  revision: 42,
  config_hash: 'xxh64:0',
};
export const GB = 1e9;

export const node = (node_id: string, state: NodeState = 'Up', zone = '') => ({ node_id, state, zone });
export const part = (
  id: string,
  nodes: string[],
  size: number,
  state: PartitionState = 'Active',
  leader = nodes[0]!,
): PlanPartition => ({ partition_id: id, nodes, leader, state, size_bytes: size, mod_revision: 7 });

/** `n` partitions of `size` on each replica set given, ids p000… */
export function parts(sets: [string[], number, number][]): PlanPartition[] {
  const out: PlanPartition[] = [];
  for (const [nodes, count, size] of sets)
    for (let i = 0; i < count; i++) out.push(part(`p${String(out.length).padStart(3, '0')}`, nodes, size));
  return out;
}

export const plan = (
  input: Omit<PlanInput, 'imbalance_threshold'>,
  opts: Partial<PlanOptions> = {},
  threshold = 0.2,
) =>
  planRebalance({ imbalance_threshold: threshold, ...input }, { by: 'bytes', target: 0.05, ...opts }, META);

export const n4 = ['a', 'b', 'c', 'd'].map((id) => node(id));
