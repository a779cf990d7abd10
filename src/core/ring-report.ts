/**
 * Ownership over a window of partitions, and the movement a membership change causes, for any
 * placement rule. Counts replica placements (partition, node), the unit a rebalance moves.
 */

export interface RingCounts {
  /** Replica placements per node id. */
  placements: Map<string, number>;
  /** Replica set of each partition, in window order, for comparing two placements. */
  replicaSets: (readonly string[])[];
  total: number;
}

/** `bucketReplicas(b)`: the replica sets of bucket `b`'s partitions (`PartitionLocator.bucketReplicas`). */
export function countPlacements(
  nodeIds: readonly string[],
  buckets: readonly number[],
  bucketReplicas: (bucketId: number) => readonly (readonly string[])[],
): RingCounts {
  const placements = new Map(nodeIds.map((id) => [id, 0]));
  const replicaSets: (readonly string[])[] = [];
  let total = 0;
  for (const b of buckets) {
    for (const set of bucketReplicas(b)) {
      replicaSets.push(set);
      for (const id of set) placements.set(id, (placements.get(id) ?? 0) + 1);
      total += set.length;
    }
  }
  return { placements, replicaSets, total };
}

/** Placements present after the change that were not there before: what must be copied. */
export function movedPlacements(before: RingCounts, after: RingCounts): number {
  let moved = 0;
  for (let i = 0; i < after.replicaSets.length; i++) {
    const old = before.replicaSets[i] ?? [];
    for (const id of after.replicaSets[i]!) if (!old.includes(id)) moved++;
  }
  return moved;
}

/**
 * The least any placement scheme must move: removed nodes give up all their placements, added
 * nodes must receive their fair share; one move can serve both.
 */
export function idealMovedShare(membersBefore: number, added: number, removed: number): number {
  const after = membersBefore + added - removed;
  if (after <= 0 || membersBefore <= 0) return 1;
  return Math.max(removed / membersBefore, added / after);
}

/** `max(load) / mean(load) − 1` over the given loads; 0 for none. */
export function skew(loads: readonly number[]): number {
  if (loads.length === 0) return 0;
  const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
  return mean === 0 ? 0 : Math.max(...loads) / mean - 1;
}
