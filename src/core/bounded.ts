import { DeferredAcceptance } from './bounded-accept.js';
import { flatten, sweep, unflatten, type BucketKeys, type FlatSets } from './bounded-sweep.js';
import { walkReplicas, zoneCounts, zoneLevel } from './replica-walk.js';
import type { ConsistentHashRing } from './ring.js';

/**
 * `placement: bounded` (PRODUCT.md §2.6): consistent hashing with bounded loads, per time bucket.
 * A node's capacity in a bucket is max(ceil(avg), floor(1.1·avg)), `avg` its weight's share of the
 * bucket's `hash_partitions × replication_factor` placements.
 *
 * The walk's order: all of a bucket's partitions walk the ring clockwise at once, and the step
 * that has come the shortest way (in hash space, from the partition's key) goes first
 * (`bounded-sweep.ts`). A node so takes the placements nearest to it until it is full, whatever
 * their partition's number, and a placement that must walk on has come further than every one
 * that took the places before it. A join or leave then disturbs only placements near the
 * newcomer's or the leaver's points and the chains they push along, where handing placements
 * out partition by partition (the order of the ids) reshuffles more: bench/placement.js measures
 * both (at 100 nodes a join moves 1.9× the ideal against 2.4×).
 *
 * Pure and deterministic: the result depends on the ring (sorted by node id) and the partition ids.
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
 * One cluster's bounded placement: capacities depend only on the ring and the configuration, so
 * they are worked out once; `bucket` then places one bucket's partitions.
 */
export class BoundedPlacement {
  /** Per node (index into `ring.nodeIds`): placements it may hold in a bucket. */
  readonly cap: Int32Array;
  private readonly want: number;
  private misses = 0;
  private skipped = 0;
  private accept: DeferredAcceptance | undefined;

  constructor(
    private readonly ring: ConsistentHashRing,
    private readonly partitions: number,
    replicationFactor: number,
    private readonly zoneAware: boolean,
  ) {
    // Nodes with no point on the ring (weight 0, or every point lost to a tie) can take nothing.
    const reachable = new Uint8Array(ring.nodeIds.length);
    for (let i = 0; i < ring.pointCount; i++) reachable[ring.ownerAt(i)] = 1;
    this.want = Math.min(
      replicationFactor,
      reachable.reduce((a, r) => a + r, 0),
    );
    this.cap = capacities(
      ring.weights.map((w, i) => (reachable[i] ? w : 0)),
      partitions * this.want,
      partitions,
    );
  }

  /**
   * Replica sets (node indexes into `ring.nodeIds`, nearest first) of one bucket's partitions,
   * given in partition order.
   */
  bucket(partitionIds: readonly string[]): number[][] {
    const { ring } = this;
    const parts = partitionIds.length;
    const keys: BucketKeys = {
      starts: new Uint32Array(parts),
      keyHi: new Uint32Array(parts),
      keyLo: new Uint32Array(parts),
    };
    for (let h = 0; h < parts; h++) {
      keys.starts[h] = ring.startOf(partitionIds[h]!);
      keys.keyHi[h] = ring.lastKeyHi;
      keys.keyLo[h] = ring.lastKeyLo;
    }
    return this.bucketOfKeys(keys);
  }

  /**
   * With zones, the bucket's placement when no node is ever full: the sweep turns a step away at a
   * full node only, so if the zone-aware ring walks (the sweep without capacities, each partition's
   * steps in its own order) leave every node within capacity, they are the sweep's result. (Zones
   * make a partition's preferences depend on what it holds, so `acceptBucket` does not apply.)
   */
  private plainFit({ starts }: BucketKeys): number[][] | undefined {
    const { ring, cap, want } = this;
    const load = new Int32Array(cap.length);
    const sets: number[][] = new Array<number[]>(starts.length);
    for (let h = 0; h < starts.length; h++) {
      const set = walkReplicas(ring, starts[h]!, want, [], { zoneAware: true });
      // A short set is the sweep's repair path: not this one's.
      let fits = set.length === want;
      for (let j = 0; fits && j < set.length; j++) fits = ++load[set[j]!]! <= cap[set[j]!]!;
      if (!fits) return undefined;
      sets[h] = set;
    }
    return sets;
  }

  /** `bucket` from the partitions' key hashes and start points (a caller that hashed the ids itself). */
  bucketOfKeys(keys: BucketKeys): number[][] {
    return unflatten(this.flatOfKeys(keys));
  }

  /** `bucketOfKeys` flat (the batch router's form). */
  flatOfKeys(keys: BucketKeys): FlatSets {
    // The shortcuts give the sweep's result when they apply; after a run of buckets where they
    // did not (a large cluster), they are tried only now and then.
    if (this.misses < SHORTCUT_MISSES || ++this.skipped % SHORTCUT_RETRY === 0) {
      const { ring, want, cap } = this;
      const fit = this.zoneAware ? this.plainFit(keys) : undefined;
      const sets = this.zoneAware
        ? fit && flatten(fit, want)
        : (this.accept ??= new DeferredAcceptance(ring, want, cap)).bucket(keys);
      this.misses = sets ? 0 : this.misses + 1;
      if (sets) return sets;
    }
    return flatten(this.swept(keys), this.want);
  }

  /** `bucketOfKeys` by the sweep and its repairs alone, without the shortcuts (tests compare them). */
  swept(keys: BucketKeys): number[][] {
    const { ring, cap, want, zoneAware } = this;
    const { starts } = keys;
    const parts = starts.length;
    const load = new Int32Array(ring.nodeIds.length);
    const full = new Uint8Array(ring.nodeIds.length);
    for (let o = 0; o < full.length; o++) if (cap[o]! <= 0) full[o] = 1;
    const take = (set: number[], o: number) => {
      set.push(o);
      if (++load[o]! >= cap[o]!) full[o] = 1;
    };

    const sets = sweep(ring, keys, want, zoneAware, { cap, load, full });
    let failedRepairs = 0;
    for (let h = 0; h < parts; h++) {
      const set = sets[h]!;
      while (set.length < want) {
        if (failedRepairs < MAX_FAILED_REPAIRS && repair(ring, sets, h, starts, zoneAware, full, take, load))
          continue;
        failedRepairs++;
        // No node with room fits this partition (its free slots are on nodes it already holds, or
        // zones forbid them): one node goes over capacity rather than a replica going missing.
        const before = set.length;
        walkReplicas(ring, starts[h]!, before + 1, set, { zoneAware });
        if (set.length === before) break;
        load[set[before]!]!++;
      }
    }
    return sets;
  }
}

// How many buckets in a row may find the shortcuts failing before they are tried only now and then.
const SHORTCUT_MISSES = 8;
const SHORTCUT_RETRY = 64;

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
  const level = zc ? zoneLevel(ring, zc) : 0;
  const tried = new Uint8Array(ring.nodeIds.length);
  const open: number[] = [];
  for (let o = 0; o < full.length; o++) if (!full[o]) open.push(o);
  if (open.length === 0) return false;
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
      const rest = other.filter((o) => o !== y);
      // Only a partition lacking some node with room can give `y` up; checking costs no walk.
      if (open.every((o) => rest.includes(o))) continue;
      if (++tries > REPAIR_TRIES) return false;
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
