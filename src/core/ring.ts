import { RustHashEncoder } from './hash/encoding.js';
import { MAX_RING_POINTS } from './hash/ring-points.js';
import type { Hasher64 } from './hash/types.js';
import { walkReplicas } from './replica-walk.js';

/**
 * The seed's `ConsistentHashRing`: node `n` of weight `w` puts round(virtual_nodes·w) points at
 * H("<n>:<i>"); a key's replicas are the owners of the points from the first ≥ H(key), clockwise,
 * skipping nodes already taken. Points are kept as parallel 32-bit halves so lookups compare
 * numbers, not BigInts.
 */

export interface RingNode {
  node_id: string;
  weight: number;
  /** Availability zone, for `zone_aware` walks; nodes without one share the zone ''. */
  zone?: string;
}

const TWO32 = 0x1_0000_0000;
const UTF8 = new TextEncoder();

export class ConsistentHashRing {
  /** Node ids in sorted order; `owner[i]` indexes into it. */
  readonly nodeIds: readonly string[];
  /** Weight of each node, by index into `nodeIds`. */
  readonly weights: readonly number[];
  /** Zone index of each node (zones in sorted order, so independent of the order nodes came in). */
  readonly zoneOf: Uint32Array;
  /** Nodes per zone index. */
  readonly zoneSizes: Int32Array;
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly owner: Uint32Array;
  private readonly enc = new RustHashEncoder();
  private readonly scratch = new Uint32Array(2);

  constructor(
    readonly hasher: Hasher64,
    nodes: readonly RingNode[],
    readonly virtualNodes: number,
  ) {
    const sorted = [...nodes].sort((a, b) => (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0));
    this.nodeIds = sorted.map((n) => n.node_id);
    this.weights = sorted.map((n) => n.weight);
    const zones = [...new Set(sorted.map((n) => n.zone ?? ''))].sort();
    this.zoneOf = Uint32Array.from(sorted, (n) => zones.indexOf(n.zone ?? ''));
    this.zoneSizes = new Int32Array(zones.length);
    for (const z of this.zoneOf) this.zoneSizes[z]!++;
    const counts = sorted.map((node) => Math.round(virtualNodes * node.weight));
    const total = counts.reduce((a, b) => a + b, 0);
    // Typed arrays and native sorts throughout: a cold `locate` builds 15,000 points for 100
    // nodes, and every JavaScript loop over them first runs in V8's interpreter.
    const owners = new Uint32Array(total);
    for (let j = 0, at = 0; j < counts.length; at += counts[j]!, j++) owners.fill(j, at, at + counts[j]!);
    const { order, his, los } = this.points(sorted, counts, total);
    // `order` is by high half, then by point number (so by owner); equal high halves are rare
    // and are ordered by low half, then owner. Among equal points the owner sorting last wins.
    const hi = new Uint32Array(total);
    const lo = new Uint32Array(total);
    const owner = new Uint32Array(total);
    let kept = 0;
    for (let j = 0; j < total;) {
      const first = order[j]!;
      if (j + 1 === total || his[order[j + 1]!] !== his[first]) {
        hi[kept] = his[first]!;
        lo[kept] = los[first]!;
        owner[kept++] = owners[first]!;
        j++;
        continue;
      }
      let end = j + 1;
      while (end < total && his[order[end]!] === his[first]) end++;
      const run = order.slice(j, end).sort(byPoint(los, owners));
      for (let r = 0; r < run.length; r++) {
        const k = run[r]!;
        if (r + 1 < run.length && los[run[r + 1]!] === los[k]) continue;
        hi[kept] = his[k]!;
        lo[kept] = los[k]!;
        owner[kept++] = owners[k]!;
      }
      j = end;
    }
    this.hi = hi.slice(0, kept);
    this.lo = lo.slice(0, kept);
    this.owner = owner.slice(0, kept);
  }

  /** Every point's halves by point number k (node after node), and the numbers by (high half, k). */
  private points(
    nodes: readonly RingNode[],
    counts: number[],
    total: number,
  ): { order: Uint32Array; his: Uint32Array; los: Uint32Array } {
    const { enc, scratch, hasher } = this;
    // TextEncoder writes lone surrogates as U+FFFD, as RustHashEncoder does (hash.test.ts).
    const prefixes = nodes.map((n) => UTF8.encode(`${n.node_id}:`));
    const order = new Uint32Array(total);
    const his = new Uint32Array(total);
    if (hasher.ringPointKeys && total <= MAX_RING_POINTS) {
      // All points in one call into WebAssembly (ring-points.ts), sort keys included.
      const { keys, lo } = hasher.ringPointKeys(prefixes, counts);
      keys.sort();
      for (let j = 0; j < total; j++) {
        const k = keys[j]! % MAX_RING_POINTS;
        order[j] = k;
        his[k] = (keys[j]! - k) / MAX_RING_POINTS;
      }
      return { order, his, los: lo.slice() };
    }
    const los = new Uint32Array(total);
    for (let j = 0, k = 0; j < nodes.length; j++) {
      for (let i = 0; i < counts[j]!; i++, k++) {
        enc.reset().write(prefixes[j]!).decimal(i).u8(0xff);
        hasher.hashInto(enc.bytes, enc.length, scratch);
        his[k] = scratch[0]!;
        los[k] = scratch[1]!;
      }
    }
    if (total <= MAX_RING_POINTS) {
      const keys = new Float64Array(total);
      for (let k = 0; k < total; k++) keys[k] = his[k]! * MAX_RING_POINTS + k;
      keys.sort();
      for (let j = 0; j < total; j++) order[j] = keys[j]! % MAX_RING_POINTS;
    } else {
      for (let k = 0; k < total; k++) order[k] = k;
      order.sort((a, b) => his[a]! - his[b]! || a - b);
    }
    return { order, his, los };
  }

  get pointCount(): number {
    return this.hi.length;
  }

  /** Points each node holds (after ties), by node id. */
  pointsPerNode(): Map<string, number> {
    const counts = new Map(this.nodeIds.map((id) => [id, 0]));
    for (const o of this.owner) counts.set(this.nodeIds[o]!, counts.get(this.nodeIds[o]!)! + 1);
    return counts;
  }

  /** Each node's share of the hash space: the arcs ending at its points. */
  shares(): Map<string, number> {
    const shares = new Map(this.nodeIds.map((id) => [id, 0]));
    const n = this.hi.length;
    for (let i = 0; i < n; i++) {
      const here = this.hi[i]! * TWO32 + this.lo[i]!;
      const prev =
        i === 0
          ? this.hi[n - 1]! * TWO32 + this.lo[n - 1]! - 2 ** 64
          : this.hi[i - 1]! * TWO32 + this.lo[i - 1]!;
      const id = this.nodeIds[this.owner[i]!]!;
      shares.set(id, shares.get(id)! + (n === 1 ? 2 ** 64 : here - prev) / 2 ** 64);
    }
    return shares;
  }

  /** Replica node ids for a ring key (a partition id string); `zoneAware` as in §2.4. */
  replicas(key: string, replicationFactor: number, zoneAware = false): string[] {
    const start = this.startOf(key);
    const want = Math.min(replicationFactor, this.nodeIds.length);
    const set = zoneAware ? walkReplicas(this, start, want, [], { zoneAware }) : this.walkPlain(start, want);
    return set.map((i) => this.nodeIds[i]!);
  }

  /** Replica node indexes (into `nodeIds`) for a 64-bit hash given as halves. */
  replicasOfHash(hi: number, lo: number, replicationFactor: number): number[] {
    return this.walkPlain(this.firstAtOrAfter(hi, lo), Math.min(replicationFactor, this.nodeIds.length));
  }

  /** The point a key's walk starts from: the first at or after its hash (`pointCount` wraps to 0). */
  startOf(key: string): number {
    this.hashKey(key);
    return this.startOfHash(this.scratch[0]!, this.scratch[1]!);
  }

  /** `startOf` of a key hashed already, as halves (the batch router hashes ids from bytes). */
  startOfHash(hi: number, lo: number): number {
    const i = this.firstAtOrAfter(hi, lo);
    return i === this.hi.length ? 0 : i;
  }

  /**
   * Clockwise distance from a key's hash to point `i`, as a fraction of the ring (a double: exact
   * enough to order placements by how far their walk went).
   */
  distance(keyHi: number, keyLo: number, i: number): number {
    const d = (this.hi[i]! - keyHi) * TWO32 + (this.lo[i]! - keyLo);
    return (d < 0 ? d + 2 ** 64 : d) / 2 ** 64;
  }

  /**
   * The points in ring order: high and low halves and owners (indexes into `nodeIds`), for hot
   * loops that walk the ring many times (the bounded sweep); callers must not change them.
   */
  get pointArrays(): { readonly hi: Uint32Array; readonly lo: Uint32Array; readonly owner: Uint32Array } {
    return { hi: this.hi, lo: this.lo, owner: this.owner };
  }

  /** The hash of the key `startOf` was last given, high 32 bits. */
  get lastKeyHi(): number {
    return this.scratch[0]!;
  }

  /** … and its low 32 bits. */
  get lastKeyLo(): number {
    return this.scratch[1]!;
  }

  /** Owner (index into `nodeIds`) of point `i`. */
  ownerAt(i: number): number {
    return this.owner[i]!;
  }

  /** The seed's walk: distinct owners clockwise from point `i`. */
  walkPlain(start: number, want: number): number[] {
    const n = this.hi.length;
    const out: number[] = [];
    if (n === 0) return out;
    let i = start;
    for (let step = 0; step < n && out.length < want; step++, i++) {
      if (i === n) i = 0;
      const o = this.owner[i]!;
      if (!out.includes(o)) out.push(o);
    }
    return out;
  }

  private firstAtOrAfter(hi: number, lo: number): number {
    let a = 0;
    let b = this.hi.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const h = this.hi[mid]!;
      if (h < hi || (h === hi && this.lo[mid]! < lo)) a = mid + 1;
      else b = mid;
    }
    return a;
  }

  private hashKey(key: string): void {
    this.enc.reset();
    this.enc.str(key);
    this.hasher.hashInto(this.enc.bytes, this.enc.length, this.scratch);
  }
}

/** Orders points with equal high halves: by low half, then owner (point numbers as in `points`). */
const byPoint = (los: Uint32Array, owners: Uint32Array) => (a: number, b: number) =>
  los[a]! - los[b]! || owners[a]! - owners[b]!;
