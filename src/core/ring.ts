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
    const his: number[] = [];
    const los: number[] = [];
    const owners: number[] = [];
    sorted.forEach((node, idx) => {
      const count = Math.round(virtualNodes * node.weight);
      for (let i = 0; i < count; i++) {
        this.hashKey(`${node.node_id}:${i}`);
        his.push(this.scratch[0]!);
        los.push(this.scratch[1]!);
        owners.push(idx);
      }
    });
    // Sort by point, then by owner so that among equal points the id sorting last comes last and wins.
    const order = his.map((_, i) => i);
    order.sort((a, b) => his[a]! - his[b]! || los[a]! - los[b]! || owners[a]! - owners[b]!);
    const keep = order.filter((i, k) => {
      const next = order[k + 1];
      return next === undefined || his[next] !== his[i] || los[next] !== los[i];
    });
    this.hi = Uint32Array.from(keep, (i) => his[i]!);
    this.lo = Uint32Array.from(keep, (i) => los[i]!);
    this.owner = Uint32Array.from(keep, (i) => owners[i]!);
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
