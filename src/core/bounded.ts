import { walkReplicas, zoneCounts, zoneLevel } from './replica-walk.js';
import type { ConsistentHashRing } from './ring.js';

/**
 * `placement: bounded` (PRODUCT.md §2.6): consistent hashing with bounded loads, per time bucket.
 * A node's capacity in a bucket is max(ceil(avg), floor(1.1·avg)), `avg` its weight's share of the
 * bucket's `hash_partitions × replication_factor` placements.
 *
 * The order is "natural placements first": every partition first walks the ring as the seed's ring
 * would (zone-aware if asked); each node keeps its natural placements up to capacity, in partition
 * order, and sheds the rest; then each shed placement continues its partition's walk to the first
 * node that is not full. A displaced placement never displaces another node's natural one, so a
 * join or leave disturbs only the chains of shed placements it touches — measured in
 * bench/placement.js against the plain walk that hands out placements partition by partition.
 *
 * Pure and deterministic: the result depends on the ring (sorted by node id) and the start points.
 */

/** Per-node capacities for `total` placements, a node holding at most `perNode` (one per partition). */
export function capacities(weights: readonly number[], total: number, perNode: number): Int32Array {
  const n = weights.length;
  const avg = new Float64Array(n);
  // A node whose weight asks more than one replica per partition is held there and the others
  // share the rest (water-filling): otherwise the bucket could not be placed at all.
  const held = new Uint8Array(n);
  let rest = total;
  let wsum = weights.reduce((a, w) => a + w, 0);
  for (let changed = true; changed && wsum > 0;) {
    changed = false;
    for (let i = 0; i < n; i++) {
      if (held[i] || (rest * weights[i]!) / wsum <= perNode) continue;
      held[i] = 1;
      rest -= perNode;
      wsum -= weights[i]!;
      changed = true;
    }
  }
  const cap = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    avg[i] = held[i] ? perNode : wsum > 0 ? (rest * weights[i]!) / wsum : 0;
    // The epsilon absorbs floating-point noise in `avg` (768/16 must be 48, not 48.000…01).
    const a = avg[i]!;
    cap[i] = Math.min(perNode, Math.max(Math.ceil(a - 1e-9), Math.floor(1.1 * a + 1e-9)));
  }
  return cap;
}

/**
 * Replica sets (node indexes into `ring.nodeIds`) of one bucket's partitions, given each
 * partition's start point (`ring.startOf(partition id)`), in partition order.
 */
export function boundedBucket(
  ring: ConsistentHashRing,
  starts: ArrayLike<number>,
  replicationFactor: number,
  zoneAware: boolean,
): number[][] {
  const nodes = ring.nodeIds.length;
  const parts = starts.length;
  const reachable = new Uint8Array(nodes);
  for (let i = 0; i < ring.pointCount; i++) reachable[ring.ownerAt(i)] = 1;
  const members = reachable.reduce((a, r) => a + r, 0);
  const want = Math.min(replicationFactor, members);
  const cap = capacities(
    ring.weights.map((w, i) => (reachable[i] ? w : 0)),
    parts * want,
    parts,
  );
  const load = new Int32Array(nodes);
  const full = new Uint8Array(nodes);
  for (let o = 0; o < nodes; o++) if (cap[o]! <= 0) full[o] = 1;
  const take = (set: number[], o: number) => {
    set.push(o);
    if (++load[o]! >= cap[o]!) full[o] = 1;
  };

  const sets: number[][] = [];
  const shed = new Int32Array(parts);
  for (let h = 0; h < parts; h++) {
    const natural = walkReplicas(ring, starts[h]!, want, [], { zoneAware });
    const set: number[] = [];
    for (const o of natural) {
      if (full[o]) shed[h]!++;
      else take(set, o);
    }
    sets.push(set);
  }
  let failedRepairs = 0;
  for (let h = 0; h < parts; h++) {
    const set = sets[h]!;
    for (let k = 0; k < shed[h]!; k++) {
      const before = set.length;
      walkReplicas(ring, starts[h]!, before + 1, set, { zoneAware, full });
      if (set.length > before) {
        const o = set.pop()!;
        take(set, o);
      } else if (
        failedRepairs >= MAX_FAILED_REPAIRS ||
        !repair(ring, sets, h, starts, zoneAware, full, take, load)
      ) {
        failedRepairs++;
        // No node with room fits this partition (its free slots are on nodes it already holds, or
        // zones forbid them): one node goes over capacity rather than a replica going missing.
        walkReplicas(ring, starts[h]!, before + 1, set, { zoneAware });
        if (set.length > before) load[set[set.length - 1]!]!++;
      }
    }
  }
  return sets;
}

// Repairs find a swap within a few tries when capacity merely ran out in the wrong places; when
// zones make the bucket infeasible (a zone asked for more than one replica per partition) they
// never do, and each try walks the ring: give up after a few, and after a few failures per bucket.
const MAX_FAILED_REPAIRS = 4;
const REPAIR_TRIES = 64;

/**
 * Partition `h` needs one more replica and every node with room is barred: find a full node `y`
 * that `h` may take and a partition `q` holding `y` that can move that replica to a node `x` with
 * room — then `q` takes `x` and `h` takes `y`. Loads stay within capacity.
 */
function repair(
  ring: ConsistentHashRing,
  sets: number[][],
  h: number,
  starts: ArrayLike<number>,
  zoneAware: boolean,
  full: Uint8Array,
  take: (set: number[], o: number) => void,
  load: Int32Array,
): boolean {
  const set = sets[h]!;
  const zc = zoneAware ? zoneCounts(ring, set) : undefined;
  const level = zc ? zoneLevel(ring, set, zc) : 0;
  const tried = new Uint8Array(ring.nodeIds.length);
  let tries = 0;
  for (let step = 0, i = starts[h]!; step < ring.pointCount; step++, i++) {
    if (i >= ring.pointCount) i = 0;
    const y = ring.ownerAt(i);
    if (tried[y] || set.includes(y) || (zc && zc[ring.zoneOf[y]!] !== level)) continue;
    tried[y] = 1;
    for (let q = 0; q < sets.length; q++) {
      const other = sets[q]!;
      const at = other.indexOf(y);
      if (q === h || at < 0) continue;
      if (++tries > REPAIR_TRIES) return false;
      const rest = other.filter((o) => o !== y);
      // The zone rule is judged on `rest`, so `x` may come from another zone only if `q` still
      // spans as many zones.
      const x = walkReplicas(ring, starts[q]!, rest.length + 1, [...rest], { zoneAware, full })[rest.length];
      const spreads =
        !zoneAware ||
        ring.zoneOf[x ?? 0] === ring.zoneOf[y] ||
        !rest.some((o) => ring.zoneOf[o] === ring.zoneOf[x ?? 0]);
      if (x === undefined || !spreads) continue;
      other.splice(at, 1);
      load[y]!--;
      take(other, x);
      load[y]!++;
      set.push(y);
      return true;
    }
  }
  return false;
}
