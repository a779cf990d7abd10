import type { BucketKeys, FlatSets } from './bounded-sweep.js';
import type { ConsistentHashRing } from './ring.js';

/**
 * The bounded sweep's result without zones, by deferred acceptance (Gale–Shapley) instead of the
 * sweep's global order. Without zones the sweep ranks every (partition, node) pair by one number,
 * the distance from the partition's key to its first point of the node: a partition takes nodes in
 * that order and a node keeps whoever came the shortest way. Such globally ranked pairs have one
 * stable assignment, which the sweep finds by taking pairs in order and deferred acceptance finds
 * from any start: every partition asks its ring replicas (its walk ignoring capacity), a node over
 * capacity turns away those that came furthest (distance, then partition number, as the sweep
 * breaks ties) and they walk on. Most buckets of a small cluster are their ring walks (no node
 * over capacity) and the others need a few steps, where the sweep orders every step in a heap
 * (bench/stdin-month.js); test/core/bounded.test.ts holds the two to the same result.
 *
 * Returns undefined when the ring walks put more than `maxExcess` placements over capacity (then
 * the sweep is cheaper) or a partition walks a lap without finding `want` nodes (the sweep's
 * repairs deal with that).
 */
export function acceptBucket(
  ring: ConsistentHashRing,
  keys: BucketKeys,
  want: number,
  cap: Int32Array,
  maxExcess: number,
): FlatSets | undefined {
  const walks = ringWalks(ring, keys.starts, want, cap.length);
  if (walks === undefined) return undefined;
  const { load } = walks;
  let excess = 0;
  const over: number[] = [];
  for (let o = 0; o < cap.length; o++)
    if (load[o]! > cap[o]!) {
      excess += load[o]! - Math.max(0, cap[o]!);
      over.push(o);
    }
  if (excess > maxExcess) return undefined;
  // Kept apart from the walks: most buckets of a small cluster never come here.
  if (excess > 0 && !settle(ring, keys, want, cap, walks, over)) return undefined;
  return { want, set: walks.set, got: walks.got };
}

/** Each partition's walk so far: nodes (`want` slots a partition) and where it took them. */
interface Walks {
  readonly set: Int32Array;
  /** Per slot: the point it was taken at; then (`settle`) the distance to it. */
  readonly at: Float64Array;
  readonly got: Int32Array;
  /** Per partition: the next point of its walk, and how many points it has walked. */
  readonly pos: Uint32Array;
  readonly steps: Uint32Array;
  readonly load: Int32Array;
}

/** Every partition's ring replicas (the seed's walk), or undefined if one finds too few nodes. */
function ringWalks(
  ring: ConsistentHashRing,
  starts: Uint32Array,
  want: number,
  nodes: number,
): Walks | undefined {
  const parts = starts.length;
  const { owner } = ring.pointArrays;
  const n = owner.length;
  const w: Walks = {
    set: new Int32Array(parts * want),
    at: new Float64Array(parts * want),
    got: new Int32Array(parts),
    pos: new Uint32Array(parts),
    steps: new Uint32Array(parts),
    load: new Int32Array(nodes),
  };
  const { set, at, load } = w;
  for (let h = 0; h < parts; h++) {
    const base = h * want;
    let c = 0;
    let p = starts[h]!;
    let k = 0;
    for (; c < want && k < n; k++) {
      const o = owner[p]!;
      let dup = false;
      for (let j = base; j < base + c; j++) if (set[j] === o) dup = true;
      if (!dup) {
        set[base + c] = o;
        at[base + c++] = p;
        load[o]!++;
      }
      p = p + 1 === n ? 0 : p + 1;
    }
    if (c < want) return undefined;
    w.got[h] = c;
    w.pos[h] = p;
    w.steps[h] = k;
  }
  return w;
}

/** Deferred acceptance from the ring walks; false if a partition walks a lap in vain. */
function settle(
  ring: ConsistentHashRing,
  { keyHi, keyLo }: BucketKeys,
  want: number,
  cap: Int32Array,
  { set, at: dist, got, pos, steps, load }: Walks,
  over: number[],
): boolean {
  const { hi, lo, owner } = ring.pointArrays;
  const n = hi.length;
  const parts = got.length;
  // The distance the sweep measures: from the key, clockwise, as a fraction of the ring.
  const distance = (h: number, p: number) => {
    const d0 = (hi[p]! - keyHi[h]!) * TWO32 + (lo[p]! - keyLo[h]!);
    return (d0 < 0 ? d0 + TWO64 : d0) / TWO64;
  };
  for (let h = 0; h < parts; h++)
    for (let j = h * want; j < (h + 1) * want; j++) dist[j] = distance(h, dist[j]!);
  // Nodes that turned a partition away: a node over capacity only ever raises its bar.
  const refused: (number[] | undefined)[] = new Array<number[] | undefined>(parts);
  // Per node over capacity: its partitions by (distance, partition), nearest first.
  const held: (Held | undefined)[] = new Array<Held | undefined>(cap.length);

  /** Partition h walks on to its next node (one it neither holds nor was refused by). */
  const walkOn = (h: number): boolean => {
    const base = h * want;
    for (let p = pos[h]!; steps[h]! < n;) {
      const o = owner[p]!;
      const here = p;
      p = p + 1 === n ? 0 : p + 1;
      steps[h]!++;
      let skip = refused[h]?.includes(o) ?? false;
      for (let j = base; !skip && j < base + got[h]!; j++) skip = set[j] === o;
      if (skip) continue;
      const slot = base + got[h]!++;
      set[slot] = o;
      dist[slot] = distance(h, here);
      pos[h] = p;
      if (++load[o]! > cap[o]!) {
        held[o]?.insert(dist[slot]!, h);
        over.push(o);
      }
      return true;
    }
    return false;
  };

  while (over.length > 0) {
    const o = over.pop()!;
    let list = held[o];
    if (list === undefined) {
      list = new Held();
      for (let h = 0; h < parts; h++)
        for (let j = h * want; j < h * want + got[h]!; j++) if (set[j] === o) list.insert(dist[j]!, h);
      held[o] = list;
    }
    while (list.parts.length > Math.max(0, cap[o]!)) {
      list.dists.pop();
      const h = list.parts.pop()!;
      load[o]!--;
      (refused[h] ??= []).push(o);
      // Drop o from h's set, keeping the others in walk order (h then walks on past them all).
      const base = h * want;
      let k = base;
      for (let j = base; j < base + got[h]!; j++)
        if (set[j] !== o) {
          set[k] = set[j]!;
          dist[k++] = dist[j]!;
        }
      got[h]!--;
      if (!walkOn(h)) return false;
    }
  }
  return true;
}

/** A node's partitions by (distance, partition number), nearest first. */
class Held {
  readonly dists: number[] = [];
  readonly parts: number[] = [];
  insert(d: number, h: number): void {
    const { dists, parts } = this;
    let a = 0;
    let b = dists.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (dists[m]! < d || (dists[m] === d && parts[m]! < h)) a = m + 1;
      else b = m;
    }
    dists.splice(a, 0, d);
    parts.splice(a, 0, h);
  }
}

const TWO32 = 0x1_0000_0000;
const TWO64 = 2 ** 64;
