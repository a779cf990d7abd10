import type { ConsistentHashRing } from './ring.js';

/**
 * The walk of `placement: bounded` for one bucket (see bounded.ts): every partition walks the ring
 * at once, and of all the partitions' next steps the one that has come the shortest way from its
 * key is taken first — a min-heap of (distance walked, partition). A step takes its point's owner
 * unless the node is full, already holds the partition, or (with zones) its zone must wait for
 * others. A partition that walked its laps without finishing is left short, for the caller.
 *
 * `locate --stdin` over a month computes 720 buckets, so this is a hot path (bench/stdin-month.js):
 * state lives in typed arrays (replica sets flat, `want` slots a partition), the heap is inline
 * and a step replaces its partition's entry at the top rather than popping and pushing it.
 */

export interface BucketKeys {
  /** Per partition: the first point at or after its key. */
  starts: Uint32Array;
  /** Per partition: its key's hash, 32-bit halves. */
  keyHi: Uint32Array;
  keyLo: Uint32Array;
}

/** A node's placements so far, its capacity and whether it is full, by node index. */
export interface Loads {
  readonly cap: Int32Array;
  readonly load: Int32Array;
  readonly full: Uint8Array;
}

const TWO32 = 0x1_0000_0000;
const TWO64 = 2 ** 64;

export function sweep(
  ring: ConsistentHashRing,
  { starts, keyHi, keyLo }: BucketKeys,
  want: number,
  zoneAware: boolean,
  { cap, load, full }: Loads,
): number[][] {
  const parts = starts.length;
  const { hi, lo, owner } = ring.pointArrays;
  const n = hi.length;
  const flat = new Int32Array(parts * want);
  const got = new Int32Array(parts);
  if (n === 0 || want === 0) return unflatten({ want, set: flat, got });
  const pos = new Uint32Array(starts);
  const steps = new Uint32Array(parts);
  // Distance walked so far = laps completed + the clockwise distance from the key to the point,
  // as a fraction of the ring (the expression of `ring.distance`, so the order is the same).
  const lap = new Uint32Array(parts);
  const last = new Float64Array(parts);
  const heapKey = new Float64Array(parts);
  const heapPart = new Int32Array(parts);
  let size = 0;
  for (let h = 0; h < parts; h++) {
    const p = pos[h]!;
    // The wrap past 2^64 is added as 0 or 2^64 rather than chosen by a branch: the same double
    // (d0 + 0 is d0), and ~5 % fewer instructions for the sweep (16 nodes, zones; callgrind).
    const d0 = (hi[p]! - keyHi[h]!) * TWO32 + (lo[p]! - keyLo[h]!);
    const d = (d0 + TWO64 * +(d0 < 0)) / TWO64;
    last[h] = d;
    // Sift up.
    let i = size++;
    while (i > 0) {
      const up = (i - 1) >> 1;
      const k = heapKey[up]!;
      if (k < d || (k === d && heapPart[up]! < h)) break;
      heapKey[i] = k;
      heapPart[i] = heapPart[up]!;
      i = up;
    }
    heapKey[i] = d;
    heapPart[i] = h;
  }
  const limit = zoneAware ? n * (want + 1) : n;
  // Replicas per zone of each partition, kept as the sweep goes rather than counted per step.
  const { zoneOf, zoneSizes } = ring;
  const zones = zoneSizes.length;
  const zc = zoneAware ? new Int32Array(parts * zones) : undefined;
  while (size > 0) {
    const h = heapPart[0]!;
    const base = h * want;
    let c = got[h]!;
    const p = pos[h]!;
    const o = owner[p]!;
    if (full[o] === 0) {
      let held = false;
      for (let j = base; j < base + c; j++) if (flat[j] === o) held = true;
      if (!held) {
        let ok = true;
        if (zc) {
          const zb = h * zones;
          // The zone rule (replica-walk.ts `zoneLevel`): o's zone holds the fewest replicas among
          // the zones with a node outside the set.
          let level = Infinity;
          for (let z = 0; z < zones; z++) {
            const k = zc[zb + z]!;
            if (k < zoneSizes[z]! && k < level) level = k;
          }
          const z = zoneOf[o]!;
          ok = zc[zb + z] === level;
          if (ok) zc[zb + z]!++;
        }
        if (ok) {
          flat[base + c++] = o;
          got[h] = c;
          if (++load[o]! >= cap[o]!) full[o] = 1;
        }
      }
    }
    let key: number;
    if (c >= want || ++steps[h]! >= limit) {
      // This partition is done: the last entry replaces it at the top.
      if (--size === 0) break;
      key = heapKey[size]!;
      heapPart[0] = heapPart[size]!;
    } else {
      const next = p + 1 === n ? 0 : p + 1;
      pos[h] = next;
      const d0 = (hi[next]! - keyHi[h]!) * TWO32 + (lo[next]! - keyLo[h]!);
      const d = (d0 + TWO64 * +(d0 < 0)) / TWO64;
      if (d < last[h]!) lap[h]!++;
      last[h] = d;
      key = lap[h]! + d;
    }
    // Sift the top entry (key, heapPart[0]) down; ties go to the lower partition number.
    const v = heapPart[0]!;
    let i = 0;
    for (;;) {
      let ch = 2 * i + 1;
      if (ch >= size) break;
      const r = ch + 1;
      if (r < size) {
        const kr = heapKey[r]!;
        const kc = heapKey[ch]!;
        if (kr < kc || (kr === kc && heapPart[r]! < heapPart[ch]!)) ch = r;
      }
      const kc = heapKey[ch]!;
      if (kc > key || (kc === key && heapPart[ch]! > v)) break;
      heapKey[i] = kc;
      heapPart[i] = heapPart[ch]!;
      i = ch;
    }
    heapKey[i] = key;
    heapPart[i] = v;
  }
  return unflatten({ want, set: flat, got });
}

/**
 * A bucket's replica sets, flat: partition h holds `set[h·want …  h·want + got[h])`, nearest
 * first. The batch router reads them so; a month of buckets as arrays was 184,320 small arrays.
 */
export interface FlatSets {
  readonly want: number;
  readonly set: Int32Array;
  readonly got: Int32Array;
}

/** One array per partition. */
export function unflatten({ want, set, got }: FlatSets): number[][] {
  const sets: number[][] = new Array<number[]>(got.length);
  for (let h = 0; h < got.length; h++) {
    const one: number[] = [];
    for (let j = h * want; j < h * want + got[h]!; j++) one.push(set[j]!);
    sets[h] = one;
  }
  return sets;
}

/** `sets` (at most `want` nodes each) flat. */
export function flatten(sets: readonly (readonly number[])[], want: number): FlatSets {
  const set = new Int32Array(sets.length * want);
  const got = new Int32Array(sets.length);
  for (let h = 0; h < sets.length; h++) {
    const one = sets[h]!;
    got[h] = Math.min(want, one.length);
    for (let j = 0; j < got[h]!; j++) set[h * want + j] = one[j]!;
  }
  return { want, set, got };
}
