import { UP } from './cluster.js';
import type { Moves } from './moves.js';
import { Skips } from './skips.js';

/**
 * The under-load phase: each Up node below `(1 − target) · fair`, emptiest first, pulls load from
 * the fullest Up nodes (for their weight) that stay at or above their own band, until it is inside
 * its band: the partition that best fits its deficit (the largest that does not overshoot it, else
 * the smallest that does while the receiver stays within its band). With `leader-bytes` it first
 * takes leadership of partitions it already holds (zero bytes). A new, empty node is filled here;
 * the bytes moved stay close to its deficit, which the lower bound counts.
 */
export function fill(m: Moves): void {
  const { c } = m;
  const under = c.order.filter((u) => m.deficit(u) > 0);
  for (const u of under) {
    // Per donor, the positions in its list that cannot go to `u` (no longer held, or held by `u`,
    // or its zones would suffer): skipped from then on, so a long run of them never hides the rest.
    const gone = new Map<number, Skips>();
    while (m.deficit(u) > 0 && pull(m, u, gone));
  }
}

function pull(m: Moves, u: number, gone: Map<number, Skips>): boolean {
  const { c } = m;
  if (c.by === 'leader-bytes' && takeLeadership(m, u)) return true;
  for (let o = c.order.length - 1; o >= 0; o--) {
    const d = c.order[o]!;
    if (d === u) continue;
    // Sorted by fill: once a donor has nothing above its band's floor, no emptier one has.
    if (c.load[d]! - c.lo[d]! <= m.eps) return false;
    let skips = gone.get(d);
    if (!skips) gone.set(d, (skips = new Skips(c.byNode[d]!.length)));
    const i = pick(m, d, u, skips);
    if (i < 0) continue;
    const p = c.byNode[d]![i]!;
    if (!m.affordable(c.size[p]!)) return false;
    m.moveReplica(p, d, u);
    skips.remove(i);
    return true;
  }
  return false;
}

/** The position in `d`'s list of the best-fitting partition it can give `u`, or -1. */
function pick(m: Moves, d: number, u: number, skips: Skips): number {
  const { c } = m;
  const cap = Math.min(c.hi[u]! - c.load[u]!, c.load[d]! - c.lo[d]!) + m.eps;
  const list = c.byNode[d]!;
  const led = c.by === 'leader-bytes';
  const ok = (p: number) =>
    c.holds(p, d) &&
    c.active[p] === 1 &&
    (c.by === 'partitions' || c.size[p]! > 0) &&
    (!led || c.leader[p] === d) &&
    m.movable(p, d) &&
    !c.holds(p, u) &&
    c.zoneOk(p, d, u);
  /** Whether position i can go to `u`; if not, it is skipped from now on. */
  const fits = (i: number) => {
    if (ok(list[i]!)) return true;
    skips.remove(i);
    return false;
  };
  if (c.by === 'partitions') {
    if (cap < 1) return -1;
    // Every partition weighs 1: the smallest in bytes.
    for (let i = skips.above(0); i < list.length; i = skips.above(i + 1)) if (fits(i)) return i;
    return -1;
  }
  const fit = Math.min(m.deficit(u), cap);
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c.size[list[mid]!]! <= fit) lo = mid + 1;
    else hi = mid;
  }
  for (let i = skips.below(lo - 1); i >= 0; i = skips.below(i - 1)) if (fits(i)) return i;
  for (let i = skips.above(lo); i < list.length && c.size[list[i]!]! <= cap; i = skips.above(i + 1))
    if (fits(i)) return i;
  return -1;
}

/** With `leader-bytes`: leadership of a partition `u` holds, from an Up leader that can spare it. */
function takeLeadership(m: Moves, u: number): boolean {
  const { c } = m;
  const want = m.deficit(u);
  let best = -1;
  for (const p of c.byNode[u]!) {
    const d = c.leader[p]!;
    if (!c.active[p] || d < 0 || d === u || c.kind[d] !== UP || !c.holds(p, u)) continue;
    const s = c.size[p]!;
    if (s <= 0 || c.load[u]! + s > c.hi[u]! + m.eps || c.load[d]! - s < c.lo[d]! - m.eps) continue;
    // The largest that fits the deficit, else the smallest above it.
    const better =
      best < 0 ||
      (s <= want ? c.size[best]! > want || s > c.size[best]! : c.size[best]! > want && s < c.size[best]!);
    if (better) best = p;
  }
  if (best < 0 || !m.affordable(0)) return false;
  m.transferLeader(best, c.leader[best]!, u);
  return true;
}
