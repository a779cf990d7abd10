import { DOWN, UP, type Cluster } from './cluster.js';
import { fill } from './fill.js';
import { Moves, type Step } from './moves.js';
import { Skips } from './skips.js';
import type { PlanOptions } from './types.js';

/**
 * The moves, in phases. 1. Evacuate: Draining nodes and the Down nodes being replaced give up
 * every Active replica (largest first, each to the emptiest Up node with room; a Down leader first
 * hands leadership to an Up replica). 2. Shed: each Up node above its band, most loaded first,
 * sheds the partition whose load best fits the remaining excess (the largest that does not
 * overshoot, else the smallest that does) to a node below its band that holds no replica of it and
 * keeps its replicas' zones apart; with `leader-bytes`, leadership passes to an existing replica
 * (zero bytes) first; moves the final slack can take back are undone. 3. Fill (fill.ts): each Up
 * node below its band pulls from the fullest nodes that stay within theirs. 4. Shed again, now to
 * any node with room, what is still above a band.
 */

export type { Step };

/** Candidates that may fail to move in one node's shedding before it gives up: bounds a stuck node. */
const FAILURES = 4096;

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
    for (const d of evacuate) this.evacuate(d);
    // Excess goes to nodes below their band first (their deficit must be filled anyway); what
    // none of them can take waits until they are filled, then goes to any node with room.
    this.shedAll(true);
    fill(this);
    this.shedAll(false);
  }

  private shedAll(needy: boolean): void {
    const { c } = this;
    const over = [...c.order].filter((n) => this.excess(n) > 0);
    // Up nodes of weight 0 are not receivers, but hold load they must give up.
    c.ids.forEach((_, n) => {
      if (c.kind[n] === UP && c.nodeWeight[n] === 0 && this.excess(n) > 0) over.push(n);
    });
    over.sort((a, b) => c.load[b]! - c.load[a]! || a - b);
    for (const n of over) {
      const first = this.steps.length;
      // Leadership moves copy nothing: worth taking from any replica, needy or not.
      if (c.by === 'leader-bytes') this.shedLeadership(n, false);
      this.shedReplicas(n, needy);
      this.refine(n, first);
    }
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

  private shedLeadership(n: number, needy: boolean): void {
    const { c } = this;
    this.shed(n, this.candidates(n, true), (p) => {
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

  private shedReplicas(n: number, needy: boolean): void {
    const { c } = this;
    this.shed(n, this.candidates(n, false), (p) => {
      const r = c.receiver(p, n, c.weight(p, n), true, false, needy);
      if (r < 0 || !this.affordable(c.size[p]!)) return false;
      this.moveReplica(p, n, r);
      return true;
    });
  }

  /**
   * Moves candidates off `n` until it is within its band; `tryMove` moves one if it can. While `n`
   * sheds, receivers only fill up and the other replicas stay put, so a candidate that cannot move
   * now never will in this call: it is dropped, and the search goes on past it (at most FAILURES
   * of them, which bounds the work on a node that is stuck).
   */
  private shed(n: number, cands: number[], tryMove: (p: number) => boolean): void {
    const { c } = this;
    const out = new Skips(cands.length);
    const budget = { failures: FAILURES };
    for (;;) {
      const e = this.excess(n);
      if (e === 0) return;
      let start = 0;
      if (c.by !== 'partitions') {
        // The last candidate whose load does not exceed the excess (dropped ones keep their place).
        let lo = 0;
        let hi = cands.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (c.weight(cands[mid]!, n) <= e + this.eps) lo = mid + 1;
          else hi = mid;
        }
        start = lo - 1;
      }
      const hit = this.scan(cands, start, out, tryMove, budget);
      if (hit < 0) return;
      out.remove(hit);
    }
  }

  /** From `start` down (the best fit first), then up; failures are dropped from `out`. */
  private scan(
    cands: number[],
    start: number,
    out: Skips,
    tryMove: (p: number) => boolean,
    budget: { failures: number },
  ): number {
    const attempt = (i: number) => {
      if (tryMove(cands[i]!)) return true;
      out.remove(i);
      budget.failures--;
      return false;
    };
    if (this.c.by !== 'partitions') {
      for (let i = out.below(start); i >= 0 && budget.failures > 0; i = out.below(i - 1))
        if (attempt(i)) return i;
    }
    for (
      let i = out.above(this.c.by === 'partitions' ? 0 : start + 1);
      i < cands.length && budget.failures > 0;
      i = out.above(i + 1)
    )
      if (attempt(i)) return i;
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
