/** The records of the metadata store (PRODUCT.md §3.2), in the seed's vocabulary and serde names. */

export const NODE_STATES = ['Up', 'Down', 'Draining'] as const;
export type NodeState = (typeof NODE_STATES)[number];

export const PARTITION_STATES = ['Active', 'Rebalancing', 'Migrating', 'ReadOnly'] as const;
export type PartitionState = (typeof PARTITION_STATES)[number];

/** `partitions list --sort`: id, start ascending; size, records largest first; updated newest first. */
export const PARTITION_SORT_KEYS = ['id', 'start', 'size', 'records', 'updated'] as const;
export type PartitionSortKey = (typeof PARTITION_SORT_KEYS)[number];

/** How a command recorded in `<prefix>/audit/` ended. */
export const AUDIT_RESULTS = ['ok', 'partial', 'failed', 'interrupted', 'refused'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export interface NodeLocation {
  region: string;
  availability_zone: string;
  data_center: string;
}

export interface NodeInfo {
  node_id: string;
  address?: string;
  location: NodeLocation;
  weight: number;
  state: NodeState;
}

/** The seed's `PartitionMetadata`, field for field; timestamps are RFC 3339 strings kept as written. */
export interface PartitionMetadata {
  partition_id: string;
  nodes: string[];
  leader: string;
  state: PartitionState;
  size_bytes: number;
  record_count: number;
  created_at: string;
  updated_at: string;
}

export type Signal = 'traces' | 'metrics' | 'logs';

/** Nodes that own points on the ring: Draining nodes take no new partitions (§2.4). */
export function isRingMember(node: Pick<NodeInfo, 'state'>): boolean {
  return node.state === 'Up' || node.state === 'Down';
}
