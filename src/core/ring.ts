import { RustHashEncoder } from './hash/encoding.js';
import type { Hasher64 } from './hash/types.js';

/**
 * The seed's `ConsistentHashRing`: node `n` of weight `w` puts round(virtual_nodes·w) points at
 * H("<n>:<i>"); a key's replicas are the owners of the points from the first ≥ H(key), clockwise,
 * skipping nodes already taken. Points are kept as parallel 32-bit halves so lookups compare
 * numbers, not BigInts.
 */

export interface RingNode {
  node_id: string;
  weight: number;
}

const TWO32 = 0x1_0000_0000;

export class ConsistentHashRing {
  /** Node ids in sorted order; `owner[i]` indexes into it. */
  readonly nodeIds: readonly string[];
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
    const counts = sorted.map((node) => Math.round(virtualNodes * node.weight));
    const total = counts.reduce((a, b) => a + b, 0);
    // Typed arrays throughout: a cold `locate` builds 15,000 points for 100 nodes, and plain
    // arrays of numbers ≥ 2^31 with a comparator sort spent ~30 ms, mostly in GC.
    const his = new Uint32Array(total);
    const los = new Uint32Array(total);
    const owners = new Uint32Array(total);
    let k = 0;
    const { enc, scratch } = this;
    for (let idx = 0; idx < sorted.length; idx++) {
      // The point key "<node>:<i>" is written as bytes behind the node's encoded prefix.
      const base = enc.reset().utf8(`${sorted[idx]!.node_id}:`).length;
      for (let i = 0; i < counts[idx]!; i++, k++) {
        enc.length = base;
        enc.decimal(i).u8(0xff);
        this.hasher.hashInto(enc.bytes, enc.length, scratch);
        his[k] = this.scratch[0]!;
        los[k] = this.scratch[1]!;
        owners[k] = idx;
      }
    }
    const order = sortPoints(his, los, owners);
    // Among equal points the owner sorting last comes last in `order`, and wins.
    let kept = 0;
    for (let j = 0; j < total; j++) {
      const i = order[j]!;
      const next = j + 1 < total ? order[j + 1]! : -1;
      if (next < 0 || his[next] !== his[i] || los[next] !== los[i]) order[kept++] = i;
    }
    this.hi = new Uint32Array(kept);
    this.lo = new Uint32Array(kept);
    this.owner = new Uint32Array(kept);
    for (let j = 0; j < kept; j++) {
      const i = order[j]!;
      this.hi[j] = his[i]!;
      this.lo[j] = los[i]!;
      this.owner[j] = owners[i]!;
    }
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

  /** Replica node ids for a ring key (a partition id string). */
  replicas(key: string, replicationFactor: number): string[] {
    this.hashKey(key);
    return this.replicasOfHash(this.scratch[0]!, this.scratch[1]!, replicationFactor).map(
      (i) => this.nodeIds[i]!,
    );
  }

  /** Replica node indexes (into `nodeIds`) for a 64-bit hash given as halves. */
  replicasOfHash(hi: number, lo: number, replicationFactor: number): number[] {
    const n = this.hi.length;
    const out: number[] = [];
    if (n === 0) return out;
    const want = Math.min(replicationFactor, this.nodeIds.length);
    let i = this.firstAtOrAfter(hi, lo);
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

const INDEX_BITS = 21;

/**
 * Point indexes ordered by (hi, lo, owner). The high halves go through the native numeric sort of
 * a Float64Array as `hi·2^21 + index` (exact below 2^53); the rare runs of equal high halves are
 * then ordered by (lo, owner). A ring of more than 2^21 points sorts with a comparator instead.
 */
function sortPoints(his: Uint32Array, los: Uint32Array, owners: Uint32Array): Uint32Array {
  const n = his.length;
  const byPoint = (a: number, b: number) => his[a]! - his[b]! || los[a]! - los[b]! || owners[a]! - owners[b]!;
  if (n > 1 << INDEX_BITS) return Uint32Array.from({ length: n }, (_, i) => i).sort(byPoint);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = his[i]! * (1 << INDEX_BITS) + i;
  keys.sort();
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = keys[i]! % (1 << INDEX_BITS);
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && his[order[end]!] === his[order[start]!]) end++;
    if (end - start > 1) order.subarray(start, end).sort(byPoint);
    start = end;
  }
  return order;
}
