import type { BucketKeys, FlatSets } from './bounded-sweep.js';
import type { ConsistentHashRing } from './ring.js';

const TWO32 = 0x1_0000_0000;
const TWO64 = 2 ** 64;

/**
 * The bounded sweep's result without zones, by deferred acceptance (Gale–Shapley) instead of the
 * sweep's global order. Without zones the sweep ranks every (partition, node) pair by one number,
 * the distance from the partition's key to its first point of the node: a partition takes nodes in
 * that order and a node keeps whoever came the shortest way. Such globally ranked pairs have one
 * stable assignment, which the sweep finds by taking pairs in order and deferred acceptance finds
 * from any start and in any order of proposals: every partition asks its ring replicas (its walk
 * ignoring capacity), a node over capacity turns away those that came furthest (distance, then
 * partition number, as the sweep breaks ties) and they walk on. A bucket's ring walks leave only
 * a few placements over capacity (about 20 of 768 at 16 nodes, 95 at 100), so this takes a few
 * dozen steps where the sweep orders thousands in a heap; test/core/bounded.test.ts holds the two
 * to the same result.
 *
 * One instance per cluster (ring, capacities): its arrays are kept from bucket to bucket, since a
 * month is 720 buckets and allocating a dozen typed arrays each cost more than the work itself
 * (mostly in the garbage collector).
 */
export class DeferredAcceptance {
  private parts = -1;
  // Per slot (`want` a partition: the set, flat) the point it was taken at; per partition the
  // next point of its walk and how many points it has walked.
  private at = new Uint32Array(0);
  private pos = new Uint32Array(0);
  private steps = new Uint32Array(0);
  private readonly load: Int32Array;
  // Per node, the partitions that took it, as a list (`first`, then `next` by entry; entry e is
  // partition `part[e]`): a node turns partitions away only once it is over capacity, so until
  // then its list is exact, and it is read once rather than every partition's set scanned.
  private readonly first: Int32Array;
  private next = new Int32Array(0);
  private part = new Int32Array(0);
  private entries = 0;
  // Per node: its partitions once it has been over capacity in this bucket (`heldIn` = the
  // bucket's number), the furthest on top.
  private readonly held: Furthest[];
  private readonly heldIn: Uint32Array;
  private bucketNo = 0;

  constructor(
    private readonly ring: ConsistentHashRing,
    private readonly want: number,
    private readonly cap: Int32Array,
  ) {
    this.load = new Int32Array(cap.length);
    this.first = new Int32Array(cap.length);
    this.held = Array.from({ length: cap.length }, () => new Furthest());
    this.heldIn = new Uint32Array(cap.length);
  }

  /**
   * The bucket's replica sets, or undefined when a partition walks a lap without finding `want`
   * nodes (the sweep's repairs deal with that).
   */
  bucket(keys: BucketKeys): FlatSets | undefined {
    const { want, cap } = this;
    const parts = keys.starts.length;
    if (parts !== this.parts) this.size(parts);
    const set = new Int32Array(parts * want);
    const got = new Int32Array(parts);
    if (!this.ringWalks(keys.starts, set, got)) return undefined;
    const over: number[] = [];
    for (let o = 0; o < cap.length; o++) if (this.load[o]! > cap[o]!) over.push(o);
    // A bucket with no node over capacity is its ring walks.
    if (over.length > 0 && !this.settle(keys, set, got, over)) return undefined;
    return { want, set, got };
  }

  private size(parts: number): void {
    this.parts = parts;
    this.at = new Uint32Array(parts * this.want);
    this.pos = new Uint32Array(parts);
    this.steps = new Uint32Array(parts);
    this.next = new Int32Array(2 * parts * this.want);
    this.part = new Int32Array(2 * parts * this.want);
  }

  /** Node o taken by partition h: onto o's list. */
  private list(o: number, h: number): void {
    if (this.entries === this.part.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(2 * a.length);
        b.set(a);
        return b;
      };
      this.next = grow(this.next);
      this.part = grow(this.part);
    }
    this.next[this.entries] = this.first[o]!;
    this.part[this.entries] = h;
    this.first[o] = this.entries++;
  }

  /** Every partition's ring replicas (the seed's walk); false if one finds too few nodes. */
  private ringWalks(starts: Uint32Array, set: Int32Array, got: Int32Array): boolean {
    const { want, at, pos, steps, load } = this;
    const { owner } = this.ring.pointArrays;
    const n = owner.length;
    load.fill(0);
    this.first.fill(-1);
    this.entries = 0;
    for (let h = 0; h < starts.length; h++) {
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
          this.list(o, h);
        }
        p = p + 1 === n ? 0 : p + 1;
      }
      if (c < want) return false;
      got[h] = c;
      pos[h] = p;
      steps[h] = k;
    }
    return true;
  }

  /** Deferred acceptance from the ring walks; false if a partition walks a lap in vain. */
  private settle({ keyHi, keyLo }: BucketKeys, set: Int32Array, got: Int32Array, over: number[]): boolean {
    const { want, cap, at, pos, steps, load, first, held, heldIn } = this;
    const { hi, lo, owner } = this.ring.pointArrays;
    const n = hi.length;
    const bucketNo = ++this.bucketNo;
    // The distance the sweep measures: from the key, clockwise, as a fraction of the ring, by the
    // sweep's operations (so the same double); the branch-free wrap saved ~11 % at 100 nodes.
    const distance = (h: number, p: number) => {
      const d0 = (hi[p]! - keyHi[h]!) * TWO32 + (lo[p]! - keyLo[h]!);
      return (d0 + TWO64 * +(d0 < 0)) / TWO64;
    };
    const slotOf = (h: number, o: number) => {
      let j = h * want;
      while (set[j] !== o) j++;
      return j;
    };

    /** Partition h walks on to its next node (one it does not hold and that does not refuse it). */
    const walkOn = (h: number): boolean => {
      const base = h * want;
      for (let p = pos[h]!; steps[h]! < n;) {
        const o = owner[p]!;
        const here = p;
        p = p + 1 === n ? 0 : p + 1;
        steps[h]!++;
        let skip = cap[o]! <= 0;
        for (let j = base; !skip && j < base + got[h]!; j++) skip = set[j] === o;
        if (skip) continue;
        // A node over capacity keeps its `cap` nearest and only ever raises its bar: a partition
        // further than all it holds would be turned away too, so it is at once. So is one it
        // turned away before (a later point of the node is further still).
        const heap = heldIn[o] === bucketNo ? held[o]! : undefined;
        const d = heap === undefined ? 0 : distance(h, here);
        if (heap !== undefined && !heap.nearer(d, h)) continue;
        const slot = base + got[h]!++;
        set[slot] = o;
        at[slot] = here;
        pos[h] = p;
        if (heap === undefined) this.list(o, h);
        else heap.push(d, h);
        if (++load[o]! > cap[o]!) over.push(o);
        return true;
      }
      return false;
    };

    while (over.length > 0) {
      const o = over.pop()!;
      const heap = held[o]!;
      if (heldIn[o] !== bucketNo) {
        heldIn[o] = bucketNo;
        heap.clear();
        for (let e = first[o]!; e >= 0; e = this.next[e]!) {
          const h = this.part[e]!;
          heap.push(distance(h, at[slotOf(h, o)]!), h);
        }
      }
      while (heap.size > Math.max(0, cap[o]!)) {
        const h = heap.pop();
        load[o]!--;
        // Drop o from h's set, keeping the others in walk order (h then walks on past them all).
        const end = h * want + got[h]!;
        for (let j = slotOf(h, o); j + 1 < end; j++) {
          set[j] = set[j + 1]!;
          at[j] = at[j + 1]!;
        }
        got[h]!--;
        if (!walkOn(h)) return false;
      }
    }
    return true;
  }
}

/** A node's partitions, a max-heap on (distance, partition number): the furthest first out. */
class Furthest {
  private dists = new Float64Array(16);
  private parts = new Int32Array(16);
  size = 0;

  clear(): void {
    this.size = 0;
  }

  /** (d, h) comes before the furthest held (so the node would keep it, at least for now). */
  nearer(d: number, h: number): boolean {
    return this.size === 0 || this.after(0, d, h);
  }

  push(d: number, h: number): void {
    if (this.size === this.parts.length) {
      const dists = new Float64Array(2 * this.size);
      const parts = new Int32Array(2 * this.size);
      dists.set(this.dists);
      parts.set(this.parts);
      this.dists = dists;
      this.parts = parts;
    }
    const { dists, parts } = this;
    let i = this.size++;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (this.after(up, d, h)) break;
      dists[i] = dists[up]!;
      parts[i] = parts[up]!;
      i = up;
    }
    dists[i] = d;
    parts[i] = h;
  }

  /** Removes the furthest; returns its partition. */
  pop(): number {
    const { dists, parts } = this;
    const top = parts[0]!;
    const size = --this.size;
    const d = dists[size]!;
    const h = parts[size]!;
    let i = 0;
    for (;;) {
      let ch = 2 * i + 1;
      if (ch >= size) break;
      // The further child moves up while it comes after the entry sifted down.
      if (ch + 1 < size && !this.after(ch, dists[ch + 1]!, parts[ch + 1]!)) ch++;
      if (!this.after(ch, d, h)) break;
      dists[i] = dists[ch]!;
      parts[i] = parts[ch]!;
      i = ch;
    }
    dists[i] = d;
    parts[i] = h;
    return top;
  }

  /** Entry i comes after (d, h): further, or as far and a higher partition number. */
  private after(i: number, d: number, h: number): boolean {
    const di = this.dists[i]!;
    return di > d || (di === d && this.parts[i]! > h);
  }
}
