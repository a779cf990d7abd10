import type { Cluster } from './cluster.js';
import type { PlanOptions } from './types.js';

/**
 * The planner's moves on a `Cluster`: each changes the placement and the loads at once and is
 * recorded as a step that can be undone; `--max-moves`/`--max-bytes` are checked here.
 */

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

export class Moves {
  readonly steps: Step[] = [];
  moves = 0;
  bytes = 0;
  capped = 0;
  /** Per partition, the replica slots a move filled (not moved again: no chains A → B → C). */
  private readonly movedInto: Uint32Array;
  readonly eps: number;

  constructor(
    readonly c: Cluster,
    protected readonly opts: PlanOptions,
  ) {
    this.eps = Math.max(1e-9, Math.max(0, ...c.hi) * 1e-12);
    this.movedInto = new Uint32Array(c.pids.length);
  }

  /** How far `n` is above its band (0 inside it). */
  excess(n: number): number {
    const e = this.c.load[n]! - this.c.hi[n]!;
    return e > this.eps ? e : 0;
  }

  /** How far `n` is below its band (0 inside it). */
  deficit(n: number): number {
    const d = this.c.lo[n]! - this.c.load[n]!;
    return d > this.eps ? d : 0;
  }

  /** `n`'s replica of `p` exists and was not put there by this plan. */
  movable(p: number, n: number): boolean {
    const { c } = this;
    const k = c.slot(p, n);
    if (k < 0) return false;
    const slot = k - c.start[p]!;
    return !(slot < 32 && (this.movedInto[p]! >>> slot) & 1);
  }

  affordable(bytes: number): boolean {
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

  moveReplica(p: number, from: number, to: number): void {
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

  transferLeader(p: number, from: number, to: number): void {
    const { c } = this;
    // Only `leader-bytes` counts leadership as load.
    const w = c.by === 'leader-bytes' ? c.weight(p, from) : 0;
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

  undo(s: Step): void {
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
