/** What a walk needs of a ring (`ConsistentHashRing`; not imported, since it calls the walk). */
export interface WalkableRing {
  readonly pointCount: number;
  ownerAt(i: number): number;
  readonly zoneOf: Uint32Array;
  readonly zoneSizes: Int32Array;
}

/**
 * The walk that chooses a partition's replicas when zones or capacities matter (PRODUCT.md §2.4,
 * §2.6): clockwise from a start point, distinct nodes, skipping nodes that are full and, with
 * `zoneAware`, nodes whose zone already holds more replicas than another zone that still has a
 * node outside the set — so zones fill one replica each before any repeats, and repeat as evenly
 * as they can (Cassandra's NetworkTopologyStrategy, dskit's zone-aware replication). Zones are
 * judged without regard to capacity: a full zone is never a reason to put two replicas together.
 */

export interface WalkOptions {
  zoneAware: boolean;
  /** 1 for a node that takes no more placements (bounded placement). */
  full?: Uint8Array;
  /** Receives the point at which each node was taken, in step with `set`. */
  at?: number[];
}

/** Appends to `set` (node indexes) until it holds `want` or no node can be added; returns `set`. */
export function walkReplicas(
  ring: WalkableRing,
  start: number,
  want: number,
  set: number[],
  { zoneAware, full, at }: WalkOptions,
): number[] {
  const n = ring.pointCount;
  if (n === 0 || set.length >= want) return set;
  const zc = zoneAware ? zoneCounts(ring, set) : undefined;
  let level = zc ? zoneLevel(ring, zc) : 0;
  // Without zones one lap sees every node; with zones a lap may pass a node whose zone becomes
  // acceptable later, so allow a lap per replica.
  const limit = zc ? n * (want + 1) : n;
  for (let step = 0, i = start; step < limit && set.length < want; step++, i++) {
    if (i >= n) i = 0;
    const o = ring.ownerAt(i);
    if (full?.[o] || set.includes(o)) continue;
    if (zc) {
      const z = ring.zoneOf[o]!;
      if (zc[z] !== level) continue;
      zc[z]!++;
      set.push(o);
      at?.push(i);
      level = zoneLevel(ring, zc);
      if (level === Infinity) break;
    } else {
      set.push(o);
      at?.push(i);
    }
  }
  return set;
}

/** Replicas per zone index in `set`. */
export function zoneCounts(ring: WalkableRing, set: readonly number[]): Int32Array {
  const zc = new Int32Array(ring.zoneSizes.length);
  for (const o of set) zc[ring.zoneOf[o]!]!++;
  return zc;
}

/**
 * The fewest replicas any zone holds (`zc`: a set's replicas per zone) among the zones that still
 * have a node outside the set: a node is acceptable when its zone holds exactly that many.
 * Infinity: no node left.
 */
export function zoneLevel(ring: WalkableRing, zc: Int32Array): number {
  let best = Infinity;
  for (let z = 0; z < zc.length; z++) if (zc[z]! < ring.zoneSizes[z]! && zc[z]! < best) best = zc[z]!;
  return best;
}
