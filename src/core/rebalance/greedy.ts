import { DOWN, UP, type Cluster } from './cluster.js';
import { fill } from './fill.js';
import { Moves, SCAN, type Step } from './moves.js';
import { Skips } from './skips.js';
import type { PlanOptions } from './types.js';

/**
 * The moves, in three phases. 1. Evacuate: Draining nodes and the Down nodes being replaced give
 * up every Active replica (largest first, each to the emptiest Up node with room; a Down leader
 * first hands leadership to an Up replica). 2. Shed: each Up node above its band, most loaded
 * first, sheds the partition whose load best fits the remaining excess (the largest that does not
 * overshoot, else the smallest that does) to the emptiest node that holds no replica of it, keeps
 * its replicas' zones apart and stays within its band; with `leader-bytes`, leadership passes to an
 * existing replica (zero bytes) first; moves the final slack can take back are undone. 3. Fill
 * (fill.ts): each Up node below its band pulls from the fullest nodes that stay within theirs.
 */

export type { Step };

export class Greedy extends Moves {
  zoneCompromises = 0;
  /** Evacuated replicas that only a node already at its limit could take with zones kept apart. */
  overfilled = 0;
  /** Partitions whose replicas on a replaced Down node had no Up replica to copy from. */
  orphaned = 0;
  readonly unmovable: string[] = [];

  constructor(c: Cluster, opts: PlanOptions) {
    super(c, opts);
  }

  run(evacuate: readonly number[]): void {
    const { c } = this;
    for (const d of evacuate) this.evacuate(d);
    const over = [...c.order].filter((n) => this.excess(n) > 0);
    // Up nodes of weight 0 are not receivers, but hold load they must give up.
    c.ids.forEach((_, n) => {
      if (c.kind[n] === UP && c.nodeWeight[n] === 0 && this.excess(n) > 0) over.push(n);
    });
    over.sort((a, b) => c.load[b]! - c.load[a]! || a - b);
    for (const n of over) {
      const first = this.steps.length;
      if (c.by === 'leader-bytes') this.shedLeadership(n);
      this.shedReplicas(n);
      this.refine(n, first);
    }
    fill(this);
  }

  private evacuate(d: number): void {
    const { c } = this;
    const ps = Array.from(c.byNode[d]!).filter((p) => c.active[p] && c.holds(p, d));
    ps.sort((a, b) => c.size[b]! - c.size[a]! || a - b);
    for (const p of ps) {
      if (c.kind[d] === DOWN && c.leader[p] === d) {
        if (!this.affordable(0)) continue;
        this.handOff(p, d);
      }
      if (!this.affordable(c.size[p]!)) continue;
      const w = c.weight(p, d);
      let r = c.receiver(p, d, w, true);
      if (r < 0) {
        r = c.receiver(p, d, w, false);
        if (r >= 0) this.overfilled++;
      }
      if (r < 0) {
        r = c.receiver(p, d, w, false, true);
        if (r >= 0) this.zoneCompromises++;
      }
      if (r < 0) this.unmovable.push(c.pids[p]!);
      else this.moveReplica(p, d, r);
    }
  }

  /** A Down leader's leadership to its emptiest Up replica, which holds the data. */
  private handOff(p: number, d: number): void {
    const { c } = this;
    let best = -1;
    for (const r of c.replicas(p)) {
      if (r === d || c.kind[r] !== UP) continue;
      if (best < 0 || c.load[r]! * c.nodeWeight[best]! < c.load[best]! * c.nodeWeight[r]!) best = r;
    }
    if (best >= 0) this.transferLeader(p, d, best);
    else this.orphaned++;
  }

  /** `n`'s movable partitions (led by it, with `led`), by (load, size, id): byNode's order. */
  private candidates(n: number, led: boolean): number[] {
    const { c } = this;
    const leaderBytes = c.by === 'leader-bytes';
    const out: number[] = [];
    for (const p of c.byNode[n]!) {
      if (!c.active[p]) continue;
      if ((led || leaderBytes) && c.leader[p] !== n) continue;
      if (this.movable(p, n)) out.push(p);
    }
    return out;
  }

  private shedLeadership(n: number): void {
    const { c } = this;
    this.shed(n, this.candidates(n, true), (p, needy) => {
      let best = -1;
      for (const r of c.replicas(p)) {
        if (r === n || c.kind[r] !== UP || c.load[r]! + c.size[p]! > c.hi[r]!) continue;
        if (needy && c.load[r]! >= c.lo[r]!) continue;
        const x = c.load[r]! * c.nodeWeight[best]!;
        const y = c.load[best]! * c.nodeWeight[r]!;
        if (best < 0 || x < y || (x === y && r < best)) best = r;
      }
      if (best < 0 || !this.affordable(0)) return false;
      this.transferLeader(p, n, best);
      return true;
    });
  }

  private shedReplicas(n: number): void {
    const { c } = this;
    this.shed(n, this.candidates(n, false), (p, needy) => {
      const r = c.receiver(p, n, c.weight(p, n), true, false, needy);
      if (r < 0 || !this.affordable(c.size[p]!)) return false;
      this.moveReplica(p, n, r);
      return true;
    });
  }

  /**
   * Moves candidates off `n` until it is within its band; `tryMove` moves one if it can. A node
   * below its band is the receiver of choice (its deficit must be filled anyway): only when no
   * candidate can go to one does any node with room take it.
   */
  private shed(n: number, cands: number[], tryMove: (p: number, needy: boolean) => boolean): void {
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
      let hit = this.scan(cands, start, taken, (p) => tryMove(p, true));
      if (hit < 0) hit = this.scan(cands, start, taken, (p) => tryMove(p, false));
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

  /**
   * Gives back the moves off `n` (since step `first`) that its slack below its band can absorb,
   * unless that would leave their receiver below its own band.
   */
  private refine(n: number, first: number): void {
    const { c } = this;
    const mine = this.steps.slice(first).filter((s) => s.live && s.from === n);
    mine.sort((a, b) => b.bytes - a.bytes || b.w - a.w || a.p - b.p);
    for (const s of mine) {
      if (c.load[n]! + s.w <= c.hi[n]! + this.eps && c.load[s.to]! - s.w >= c.lo[s.to]! - this.eps)
        this.undo(s);
    }
  }
}
