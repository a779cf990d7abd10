import type { NodeInfo, NodeLocation, NodeState, PartitionMetadata, PartitionState } from './model.js';

/**
 * Where a partition lives (PRODUCT.md §2.5): stored metadata is authoritative when it exists (a
 * rebalance may have moved the partition off its ring position); otherwise the ring's replicas,
 * the first as leader. Disagreement and in-flight migrations are reported, never hidden.
 */

export interface Placement {
  partition_id: string;
  source: 'metadata' | 'ring';
  state: PartitionState | null;
  leader: string | null;
  replicas: string[];
  ring_replicas: string[];
  /** Metadata exists and names other nodes than the ring would. */
  disagrees: boolean;
  /** A move of this partition is in flight. */
  migrating: boolean;
}

export function resolvePlacement(
  partitionId: string,
  ringReplicas: string[],
  metadata: PartitionMetadata | undefined,
): Placement {
  if (!metadata) {
    return {
      partition_id: partitionId,
      source: 'ring',
      state: null,
      leader: ringReplicas[0] ?? null,
      replicas: ringReplicas,
      ring_replicas: ringReplicas,
      disagrees: false,
      migrating: false,
    };
  }
  const sameSet =
    metadata.nodes.length === ringReplicas.length && metadata.nodes.every((n) => ringReplicas.includes(n));
  return {
    partition_id: partitionId,
    source: 'metadata',
    state: metadata.state,
    leader: metadata.leader,
    replicas: metadata.nodes,
    ring_replicas: ringReplicas,
    disagrees: !sameSet,
    migrating: metadata.state === 'Migrating' || metadata.state === 'Rebalancing',
  };
}

export interface ReplicaView {
  node_id: string;
  /** `Unknown` when the node is not registered. */
  state: NodeState | 'Unknown';
  location: NodeLocation | null;
}

export function replicaViews(
  replicas: readonly string[],
  nodes: ReadonlyMap<string, NodeInfo>,
): ReplicaView[] {
  return replicas.map((id) => {
    const n = nodes.get(id);
    return { node_id: id, state: n?.state ?? 'Unknown', location: n?.location ?? null };
  });
}

export type Vantage = Partial<NodeLocation>;

export interface Preference {
  node_id: string;
  reason: string;
}

const LEVELS = [
  ['data_center', 'same data center'],
  ['availability_zone', 'same availability zone'],
  ['region', 'same region'],
] as const;

/**
 * The seed's `select_nearest_node`, restricted to `Up` replicas: same data center, else same zone,
 * else same region, else the first `Up` replica. Null when no replica is `Up`.
 */
export function preferReplica(
  replicas: readonly ReplicaView[],
  vantage: Vantage | undefined,
): Preference | null {
  const up = replicas.filter((r) => r.state === 'Up');
  if (up.length === 0) return null;
  if (vantage) {
    for (const [field, label] of LEVELS) {
      const want = vantage[field];
      if (!want) continue;
      const hit = up.find((r) => r.location?.[field] === want);
      if (hit) return { node_id: hit.node_id, reason: `${label} (${want})` };
    }
    return {
      node_id: up[0]!.node_id,
      reason: 'no Up replica shares a location with the vantage point; first Up replica',
    };
  }
  return { node_id: up[0]!.node_id, reason: 'first Up replica (no vantage point given)' };
}
