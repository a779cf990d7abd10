import type { NodeInfo, PartitionMetadata } from './model.js';
import { parsePartitionId } from './partition-id.js';

/**
 * The health checks of `doctor` on one partition, pure. Sizes are the seed's guidance (traces
 * 1–5 GB, metrics 100–500 MB, logs 0.5–2 GB); a partition still being written is only checked
 * for being too large.
 */

export const CHECKS = [
  'unparsable',
  'bad-id',
  'under-replicated',
  'duplicate-replica',
  'leader-not-replica',
  'unknown-node',
  'node-down',
  'stuck-migrating',
  'size-out-of-range',
] as const;
export type Check = (typeof CHECKS)[number];

export interface Finding {
  check: Check;
  subject: string;
  detail: string;
  /** The node a finding is about (unknown-node, node-down), so a report can group by it. */
  node?: string;
  /** node-down: the Down node leads this partition. */
  leader?: boolean;
}

const SIZE_RANGES = {
  traces: [1e9, 5e9],
  metrics: [100e6, 500e6],
  logs: [0.5e9, 2e9],
} as const;

export interface DoctorContext {
  nodes: ReadonlyMap<string, NodeInfo>;
  /** min(replication_factor, ring members): how many replicas a partition can have. */
  expectedReplicas: number;
  /** An id whose hash bucket is not below this is no partition of this cluster. */
  hashPartitions: number;
  granularityMs: number;
  nowMs: number;
  stuckAfterMs: number;
}

export function checkPartition(p: PartitionMetadata, c: DoctorContext): Finding[] {
  const out: Finding[] = [];
  const at = (check: Check, detail: string, extra?: Partial<Finding>) =>
    out.push({ check, subject: p.partition_id, detail, ...extra });
  const id = parsePartitionId(p.partition_id);
  if (!id) at('bad-id', `'${p.partition_id}' is not a partition id`);
  else if (id.hash_partition >= c.hashPartitions)
    at('bad-id', `hash bucket ${id.hash_partition} is not below hash_partitions ${c.hashPartitions}`);
  const distinct = new Set(p.nodes);
  if (distinct.size !== p.nodes.length)
    at('duplicate-replica', `nodes ${p.nodes.join(',')} name a node twice`);
  if (distinct.size < c.expectedReplicas)
    at(
      'under-replicated',
      `${distinct.size} of ${c.expectedReplicas} replicas (${p.nodes.join(',') || 'none'})`,
    );
  if (!p.nodes.includes(p.leader))
    at('leader-not-replica', `leader '${p.leader}' is not among ${p.nodes.join(',') || 'no nodes'}`);
  for (const n of distinct) {
    const node = c.nodes.get(n);
    if (!node) at('unknown-node', `replica '${n}' is not a registered node`, { node: n });
    else if (node.state === 'Down') {
      const leads = n === p.leader;
      at('node-down', `replica '${n}' is Down${leads ? ' and is the leader' : ''}`, {
        node: n,
        leader: leads,
      });
    }
  }
  if (p.state === 'Migrating' || p.state === 'Rebalancing') {
    const since = Date.parse(p.updated_at);
    if (Number.isFinite(since) && c.nowMs - since > c.stuckAfterMs) {
      at('stuck-migrating', `${p.state} since ${p.updated_at}`);
    }
  }
  if (id) {
    const [min, max] = SIZE_RANGES[id.signal];
    const closed = (id.bucket_id + 1) * c.granularityMs <= c.nowMs;
    if (p.size_bytes > max || (closed && p.size_bytes < min)) {
      at(
        'size-out-of-range',
        `${p.size_bytes} bytes; the seed sizes ${id.signal} partitions at ${min / 1e6}–${max / 1e6} MB`,
      );
    }
  }
  return out;
}
