import type { ConsistentHashRing } from './ring.js';
import { zoneLevel } from './replica-walk.js';

/**
 * The walk of `placement: bounded` for one bucket (see bounded.ts): every partition walks the ring
 * at once, and of all the partitions' next steps the one that has come the shortest way from its
 * key is taken first — a min-heap of (distance walked, partition). A step takes its point's owner
 * unless the node is full, already holds the partition, or (with zones) its zone must wait for
 * others. A partition that walked its laps without finishing is left short, for the caller.
 */

export interface BucketKeys {
  /** Per partition: the first point at or after its key. */
  starts: Uint32Array;
  /** Per partition: its key's hash, 32-bit halves. */
  keyHi: Uint32Array;
  keyLo: Uint32Array;
}

export function sweep(
  ring: ConsistentHashRing,
  { starts, keyHi, keyLo }: BucketKeys,
  want: number,
  zoneAware: boolean,
  full: Uint8Array,
  take: (set: number[], node: number) => void,
): number[][] {
  const parts = starts.length;
  const n = ring.pointCount;
  const sets: number[][] = Array.from({ length: parts }, () => []);
  if (n === 0 || want === 0) return sets;
  const pos = new Uint32Array(starts);
  const steps = new Uint32Array(parts);
  // Distance walked so far = laps completed + the clockwise distance from the key to the point.
  const lap = new Uint32Array(parts);
  const last = new Float64Array(parts);
  const heap = new MinHeap(parts);
  for (let h = 0; h < parts; h++) {
    last[h] = ring.distance(keyHi[h]!, keyLo[h]!, pos[h]!);
    heap.push(last[h]!, h);
  }
  const limit = zoneAware ? n * (want + 1) : n;
  // Replicas per zone of each partition, kept as the sweep goes rather than counted per step.
  const zones = ring.zoneSizes.length;
  const zc = zoneAware ? new Int32Array(parts * zones) : undefined;
  while (heap.size > 0) {
    const h = heap.pop();
    const set = sets[h]!;
    const o = ring.ownerAt(pos[h]!);
    if (!full[o] && !set.includes(o)) {
      if (!zc) take(set, o);
      else {
        const counts = zc.subarray(h * zones, (h + 1) * zones);
        const z = ring.zoneOf[o]!;
        if (counts[z] === zoneLevel(ring, counts)) {
          take(set, o);
          counts[z]!++;
        }
      }
    }
    if (set.length >= want || ++steps[h]! >= limit) continue;
    pos[h] = pos[h]! + 1 === n ? 0 : pos[h]! + 1;
    const d = ring.distance(keyHi[h]!, keyLo[h]!, pos[h]!);
    if (d < last[h]!) lap[h]!++;
    last[h] = d;
    heap.push(lap[h]! + d, h);
  }
  return sets;
}

/** Keys with their partition; ties go to the lower partition number, so the order is total. */
class MinHeap {
  private keys: Float64Array;
  private vals: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.keys = new Float64Array(capacity);
    this.vals = new Int32Array(capacity);
  }
  push(key: number, val: number): void {
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.keys[p]! < key || (this.keys[p] === key && this.vals[p]! < val)) break;
      this.keys[i] = this.keys[p]!;
      this.vals[i] = this.vals[p]!;
      i = p;
    }
    this.keys[i] = key;
    this.vals[i] = val;
  }
  pop(): number {
    const top = this.vals[0]!;
    const key = this.keys[--this.size]!;
    const val = this.vals[this.size]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= this.size) break;
      if (
        c + 1 < this.size &&
        (this.keys[c + 1]! < this.keys[c]! ||
          (this.keys[c + 1] === this.keys[c] && this.vals[c + 1]! < this.vals[c]!))
      )
        c++;
      if (this.keys[c]! > key || (this.keys[c] === key && this.vals[c]! > val)) break;
      this.keys[i] = this.keys[c]!;
      this.vals[i] = this.vals[c]!;
      i = c;
    }
    this.keys[i] = key;
    this.vals[i] = val;
    return top;
  }
}
