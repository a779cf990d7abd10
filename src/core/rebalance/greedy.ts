import { Cluster, DRAINING, UP } from './cluster.js';
import { Skips } from './skips.js';
import type { PlanOptions } from './types.js';

/**
 * The moves. Draining nodes are emptied first (largest partitions first, each to the least-loaded
 * Up node with room). Then each Up node above the limit, most loaded first, sheds load: the
 * partition whose load best fits the remaining excess (the largest that does not overshoot, else
 * the smallest that does), to the least-loaded node that holds no replica of it, keeps its
 * replicas' zones apart and stays within the limit. With `leader-bytes`, leadership passes to an
 * existing replica (zero bytes) before any replica moves. A node's moves that its final slack can
 * take back are then undone.
 */

/** Candidates scanned per pick on each side of the best fit: bounds the work on a stuck node. */
const SCAN = 512;

export interface Step {
  p: number;
  kind: 'replica' | 'leader';
  from: number;
  to: number;
  bytes: number;
  /** Load moved from `from` to `to`, in the unit of `by`. */
  w: number;
  leaderChange: boolean;
  live: boolean;
}

export class Greedy {
  readonly steps: Step[] = [];
  moves = 0;
  bytes = 0;
  capped = 0;
  zoneCompromises = 0;
  /** Drained replicas that only a node already at the limit could take with zones kept apart. */
  overfilled = 0;
  readonly undrainable: string[] = [];
  /** Per partition, the replica slots a move filled (not moved again: no chains A → B → C). */
  private readonly movedInto: Uint32Array;
  private readonly eps: number;

  constructor(
    readonly c: Cluster,
    private readonly opts: PlanOptions,
    /** Every Up node should end at or below this load. */
    readonly limit: number,
  ) {
    this.eps = Math.max(1e-9, limit * 1e-12);
    this.movedInto = new Uint32Array(c.pids.length);
  }

  run(): void {
    const { c } = this;
    c.ids.forEach((_, d) => {
      if (c.kind[d] === DRAINING) this.drain(d);
    });
    const over = [...c.order].filter((n) => this.excess(n) > 0);
    over.sort((a, b) => c.load[b]! - c.load[a]! || a - b);
    for (const n of over) {
      const first = this.steps.length;
      if (c.by === 'leader-bytes') this.shedLeadership(n);
      this.shedReplicas(n);
      this.refine(n, first);
    }
  }

  excess(n: number): number {
    const e = this.c.load[n]! - this.limit;
    return e > this.eps ? e : 0;
  }

  private affordable(bytes: number): boolean {
    const { maxMoves, maxBytes } = this.opts;
    if (
      (maxMoves !== undefined && this.moves >= maxMoves) ||
      (maxBytes !== undefined && this.bytes + bytes > maxBytes)
    ) {
      this.capped++;
      return false;
    }
    return true;
  }

  private drain(d: number): void {
    const { c } = this;
    const ps = Array.from(c.byNode[d]!).filter((p) => c.active[p] && c.holds(p, d));
    ps.sort((a, b) => c.size[b]! - c.size[a]! || a - b);
    for (const p of ps) {
      if (!this.affordable(c.size[p]!)) continue;
      const w = c.weight(p, d);
      let r = c.receiver(p, d, w, this.limit);
      if (r < 0) {
        r = c.receiver(p, d, w, Infinity);
        if (r >= 0) this.overfilled++;
      }
      if (r < 0) {
        r = c.receiver(p, d, w, Infinity, true);
        if (r >= 0) this.zoneCompromises++;
      }
      if (r < 0) this.undrainable.push(c.pids[p]!);
      else this.moveReplica(p, d, r);
    }
  }

  /** `n`'s movable partitions (led by it, with `led`), by (load, size, id): byNode's order. */
  private candidates(n: number, led: boolean): number[] {
    const { c } = this;
    const leaderBytes = c.by === 'leader-bytes';
    const out: number[] = [];
    for (const p of c.byNode[n]!) {
      if (!c.active[p]) continue;
      if ((led || leaderBytes) && c.leader[p] !== n) continue;
      const k = c.slot(p, n);
      const slot = k - c.start[p]!;
      if (k >= 0 && !(slot < 32 && (this.movedInto[p]! >>> slot) & 1)) out.push(p);
    }
    return out;
  }

  private shedLeadership(n: number): void {
    const { c } = this;
    const cands = this.candidates(n, true);
    this.shed(n, cands, (p) => {
      let best = -1;
      for (const r of c.replicas(p)) {
        if (r === n || c.kind[r] !== UP || c.load[r]! + c.size[p]! > this.limit) continue;
        if (best < 0 || c.load[r]! < c.load[best]! || (c.load[r] === c.load[best] && r < best)) best = r;
      }
      if (best < 0 || !this.affordable(0)) return false;
      this.transferLeader(p, n, best);
      return true;
    });
  }

  private shedReplicas(n: number): void {
    const { c } = this;
    this.shed(n, this.candidates(n, false), (p) => {
      const r = c.receiver(p, n, c.weight(p, n), this.limit);
      if (r < 0 || !this.affordable(c.size[p]!)) return false;
      this.moveReplica(p, n, r);
      return true;
    });
  }

  /** Moves candidates off `n` until it is within the limit; `tryMove` moves one if it can. */
  private shed(n: number, cands: number[], tryMove: (p: number) => boolean): void {
    const { c } = this;
    const taken = new Skips(cands.length);
    for (;;) {
      const e = this.excess(n);
      if (e === 0) return;
      let start = 0;
      if (c.by !== 'partitions') {
        // The last candidate whose load does not exceed the excess (taken ones keep their place).
        let lo = 0;
        let hi = cands.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (c.weight(cands[mid]!, n) <= e + this.eps) lo = mid + 1;
          else hi = mid;
        }
        start = lo - 1;
      }
      const hit = this.scan(cands, start, taken, tryMove);
      if (hit < 0) return;
      taken.remove(hit);
    }
  }

  /** From `start` down (the best fit first), then up; at most SCAN candidates each way. */
  private scan(cands: number[], start: number, taken: Skips, tryMove: (p: number) => boolean): number {
    if (this.c.by !== 'partitions') {
      let i = taken.below(start);
      for (let k = 0; i >= 0 && k < SCAN; k++, i = taken.below(i - 1)) if (tryMove(cands[i]!)) return i;
    }
    let i = taken.above(this.c.by === 'partitions' ? 0 : start + 1);
    for (let k = 0; i < cands.length && k < SCAN; k++, i = taken.above(i + 1))
      if (tryMove(cands[i]!)) return i;
    return -1;
  }

  /** Gives back the moves off `n` (since step `first`) that its slack below the limit can absorb. */
  private refine(n: number, first: number): void {
    const { c } = this;
    const mine = this.steps.slice(first).filter((s) => s.live && s.from === n);
    mine.sort((a, b) => b.bytes - a.bytes || b.w - a.w || a.p - b.p);
    for (const s of mine) {
      if (c.load[n]! + s.w <= this.limit + this.eps) this.undo(s);
    }
  }

  private moveReplica(p: number, from: number, to: number): void {
    const { c } = this;
    const w = c.weight(p, from);
    const k = c.slot(p, from);
    c.rep[k] = to;
    const slot = k - c.start[p]!;
    if (slot < 32) this.movedInto[p]! |= 1 << slot;
    const leaderChange = c.leader[p] === from;
    if (leaderChange) c.leader[p] = to;
    c.addLoad(from, -w);
    c.addLoad(to, w);
    this.record({ p, kind: 'replica', from, to, bytes: c.size[p]!, w, leaderChange, live: true });
  }

  private transferLeader(p: number, from: number, to: number): void {
    const { c } = this;
    const w = c.weight(p, from);
    c.leader[p] = to;
    c.addLoad(from, -w);
    c.addLoad(to, w);
    this.record({ p, kind: 'leader', from, to, bytes: 0, w, leaderChange: true, live: true });
  }

  private record(s: Step): void {
    this.steps.push(s);
    this.moves++;
    this.bytes += s.bytes;
  }

  private undo(s: Step): void {
    const { c } = this;
    if (s.kind === 'replica') {
      const k = c.slot(s.p, s.to);
      c.rep[k] = s.from;
      const slot = k - c.start[s.p]!;
      if (slot < 32) this.movedInto[s.p]! &= ~(1 << slot);
    }
    if (s.leaderChange) c.leader[s.p] = s.from;
    c.addLoad(s.to, -s.w);
    c.addLoad(s.from, s.w);
    s.live = false;
    this.moves--;
    this.bytes -= s.bytes;
  }
}
