import type { LoadMeasure, PlanInput } from './types.js';

/**
 * The planner's working state: nodes and partitions as indexes into typed arrays, the current
 * placement as the planner changes it, per-node loads and target bands, and the Up nodes kept
 * sorted by fill (load / weight) so the emptiest receiver relative to its fair share is found
 * first. Ids sort, so index order is id order: ties break by id.
 */

export const UP = 0;
export const DRAINING = 1;
export const DOWN = 2;
/** Named by a partition but not a stored node: never a source or a target. */
export const UNKNOWN = 3;

const KIND = { Up: UP, Draining: DRAINING, Down: DOWN } as const;

export class Cluster {
  readonly ids: string[];
  readonly kind: Uint8Array;
  readonly zone: Int32Array;
  readonly nodeWeight: Float64Array;
  readonly load: Float64Array;
  /** Per node: fair share, and the band [lo, hi] it should end in (set by `band`). */
  readonly fair: Float64Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Every receiver has the same weight: the first without room means none has room. */
  private uniform = true;
  /** Partitions sorted by id. Replicas of p: rep[start[p]] … rep[start[p + 1] - 1] (node indexes). */
  readonly pids: string[];
  readonly start: Int32Array;
  readonly rep: Int32Array;
  /** Leader node index per partition (-1: none among its replicas). */
  readonly leader: Int32Array;
  readonly size: Float64Array;
  readonly active: Uint8Array;
  readonly modRevision: Float64Array;
  /** Partition indexes with a replica on each node, as read, by (size, id). */
  readonly byNode: Int32Array[];
  /** Up nodes of positive weight by (load / weight, id); `pos` is each one's place in it. */
  readonly order: number[];
  private readonly pos: Int32Array;

  constructor(
    input: PlanInput,
    readonly by: LoadMeasure,
  ) {
    const known = new Map(input.nodes.map((n) => [n.node_id, n]));
    const all = new Set(known.keys());
    for (const p of input.partitions) for (const n of p.nodes) all.add(n);
    this.ids = [...all].sort();
    const index = new Map(this.ids.map((id, i) => [id, i]));
    const zones = new Map<string, number>();
    this.kind = new Uint8Array(this.ids.length);
    this.zone = new Int32Array(this.ids.length);
    this.nodeWeight = new Float64Array(this.ids.length);
    this.fair = new Float64Array(this.ids.length);
    this.lo = new Float64Array(this.ids.length);
    this.hi = new Float64Array(this.ids.length);
    this.ids.forEach((id, i) => {
      const n = known.get(id);
      this.kind[i] = n ? KIND[n.state] : UNKNOWN;
      this.nodeWeight[i] = n ? (n.weight ?? 1) : 0;
      const z = n?.zone ?? `\0${id}`;
      if (!zones.has(z)) zones.set(z, zones.size);
      this.zone[i] = zones.get(z)!;
    });
    let parts = input.partitions;
    // A store lists keys in order: sort only when the caller did not.
    if (!parts.every((p, i) => i === 0 || parts[i - 1]!.partition_id < p.partition_id))
      parts = [...parts].sort((a, b) => cmp(a.partition_id, b.partition_id));
    const count = parts.length;
    this.pids = new Array<string>(count);
    this.start = new Int32Array(count + 1);
    this.leader = new Int32Array(count);
    this.size = new Float64Array(count);
    this.active = new Uint8Array(count);
    this.modRevision = new Float64Array(count);
    const rep: number[] = [];
    const perNode = new Int32Array(this.ids.length);
    for (let i = 0; i < count; i++) {
      const p = parts[i]!;
      this.pids[i] = p.partition_id;
      const first = rep.length;
      for (const id of p.nodes) {
        const n = index.get(id)!;
        if (rep.indexOf(n, first) < 0) {
          rep.push(n);
          perNode[n]!++;
        }
      }
      this.start[i + 1] = rep.length;
      this.leader[i] = p.nodes.includes(p.leader) ? index.get(p.leader)! : -1;
      this.size[i] = p.size_bytes;
      this.active[i] = p.state === 'Active' ? 1 : 0;
      this.modRevision[i] = p.mod_revision;
    }
    this.rep = Int32Array.from(rep);
    // Each node's partitions by (size, id): the order the planner picks candidates in.
    const bySize = new Uint32Array(count);
    for (let i = 0; i < count; i++) bySize[i] = i;
    bySize.sort((a, b) => this.size[a]! - this.size[b]! || a - b);
    this.byNode = this.ids.map((_, n) => new Int32Array(perNode[n]!));
    perNode.fill(0);
    for (const p of bySize) {
      for (let k = this.start[p]!; k < this.start[p + 1]!; k++) {
        const n = this.rep[k]!;
        this.byNode[n]![perNode[n]!++] = p;
      }
    }
    this.load = this.computeLoads();
    this.order = this.ids.map((_, i) => i).filter((i) => this.kind[i] === UP && this.nodeWeight[i]! > 0);
    this.order.sort((a, b) => (this.before(a, b) ? -1 : 1));
    this.uniform = this.order.every((n) => this.nodeWeight[n] === this.nodeWeight[this.order[0]!]);
    this.pos = new Int32Array(this.ids.length).fill(-1);
    this.order.forEach((n, i) => (this.pos[n] = i));
  }

  /** Sets each Up node's fair share of `total` and its band `(1 ± target) · fair`. */
  band(total: number, target: number): void {
    let sum = 0;
    for (const n of this.order) sum += this.nodeWeight[n]!;
    this.ids.forEach((_, n) => {
      const f = this.kind[n] === UP && sum > 0 ? (total * this.nodeWeight[n]!) / sum : 0;
      this.fair[n] = f;
      this.lo[n] = (1 - target) * f;
      this.hi[n] = (1 + target) * f;
    });
  }

  /** Whether `a` is emptier than `b` for its weight (ties by id). */
  private before(a: number, b: number): boolean {
    const x = this.load[a]! * this.nodeWeight[b]!;
    const y = this.load[b]! * this.nodeWeight[a]!;
    return x < y || (x === y && a < b);
  }

  /** The replica nodes of partition p (a copy). */
  replicas(p: number): number[] {
    return Array.from(this.rep.subarray(this.start[p]!, this.start[p + 1]!));
  }

  /** Position in `rep` of p's replica on n, or -1. */
  slot(p: number, n: number): number {
    for (let k = this.start[p]!, end = this.start[p + 1]!; k < end; k++) if (this.rep[k] === n) return k;
    return -1;
  }

  /** Load a replica of partition `p` on node `n` contributes, in the unit of `by`. */
  weight(p: number, n: number): number {
    switch (this.by) {
      case 'bytes':
        return this.size[p]!;
      case 'partitions':
        return 1;
      case 'leader-bytes':
        return this.leader[p] === n ? this.size[p]! : 0;
    }
  }

  /** Loads from the current placement (the planner also keeps them incrementally). */
  computeLoads(): Float64Array {
    const load = new Float64Array(this.ids.length);
    for (let p = 0; p < this.pids.length; p++) {
      for (let k = this.start[p]!; k < this.start[p + 1]!; k++) {
        const n = this.rep[k]!;
        load[n]! += this.weight(p, n);
      }
    }
    return load;
  }

  holds(p: number, n: number): boolean {
    return this.slot(p, n) >= 0;
  }

  /** Replacing the replica on `from` by one on `to` keeps at least as many distinct zones. */
  zoneOk(p: number, from: number, to: number): boolean {
    const s = this.start[p]!;
    const e = this.start[p + 1]!;
    const distinct = (swap: boolean): number => {
      let count = 0;
      for (let k = s; k < e; k++) {
        const z = swap && this.rep[k] === from ? this.zone[to]! : this.zone[this.rep[k]!]!;
        let seen = false;
        for (let j = s; j < k && !seen; j++)
          seen = (swap && this.rep[j] === from ? this.zone[to]! : this.zone[this.rep[j]!]!) === z;
        if (!seen) count++;
      }
      return count;
    };
    return distinct(true) >= distinct(false);
  }

  addLoad(n: number, delta: number): void {
    if (delta === 0) return;
    this.load[n]! += delta;
    let i = this.pos[n]!;
    if (i < 0) return; // not Up: not in the receiver order
    const o = this.order;
    const before = (a: number, b: number) => this.before(a, b);
    while (i > 0 && before(n, o[i - 1]!)) {
      o[i] = o[i - 1]!;
      this.pos[o[i]!] = i;
      i--;
    }
    while (i < o.length - 1 && before(o[i + 1]!, n)) {
      o[i] = o[i + 1]!;
      this.pos[o[i]!] = i;
      i++;
    }
    o[i] = n;
    this.pos[n] = i;
  }

  /**
   * The emptiest Up node (for its weight) that can take the replica of `p` on `from`: holds none of
   * `p`, keeps the replicas' zones apart (unless `anyZone`), and stays within its band (if `bounded`);
   * with `needy`, only a node below its band. -1: none.
   */
  receiver(p: number, from: number, w: number, bounded: boolean, anyZone = false, needy = false): number {
    for (const r of this.order) {
      if (needy && this.load[r]! >= this.lo[r]!) break; // sorted by fill: none later is below its band
      if (bounded && this.load[r]! + w > this.hi[r]!) {
        if (this.uniform || this.load[r]! >= this.hi[r]!) break; // sorted by fill: none later has room
        continue;
      }
      if (r === from || this.holds(p, r)) continue;
      if (anyZone || this.zoneOk(p, from, r)) return r;
    }
    return -1;
  }
}

export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
