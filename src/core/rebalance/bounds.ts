import type { Cluster } from './cluster.js';

/**
 * What no plan can do without (PRODUCT.md §5): everything Active on the nodes being emptied, plus
 * each Up node's load above `(1 + target) · fair`; and at least each Up node's load below
 * `(1 − target) · fair` must arrive, so the bound is `max(evacuated + Σ excess, Σ deficit)` in the
 * unit of `by`. In bytes: the same for `bytes`; for `partitions`, the smallest partitions that make
 * up those counts; for `leader-bytes`, only the evacuated replicas (leadership moves are free).
 */
export function lowerBounds(
  c: Cluster,
  up: readonly number[],
  load: Float64Array,
  evacuated: { load: number; bytes: number },
): { load: number; bytes: number } {
  let excess = 0;
  let deficit = 0;
  let overBytes = 0;
  for (const n of up) {
    const e = load[n]! - c.hi[n]!;
    const d = c.lo[n]! - load[n]!;
    if (d > 1e-9) deficit += d;
    if (e <= 1e-9) continue;
    excess += e;
    if (c.by === 'partitions') overBytes += smallest(c, Array.from(c.byNode[n]!), Math.ceil(e - 1e-9));
  }
  const total = Math.max(evacuated.load + excess, deficit);
  if (c.by === 'bytes') return { load: total, bytes: total };
  if (c.by === 'leader-bytes') return { load: total, bytes: evacuated.bytes };
  const deficitBytes = deficit > 1e-9 ? smallestReplicas(c, Math.ceil(deficit - 1e-9)) : 0;
  return { load: total, bytes: Math.max(evacuated.bytes + overBytes, deficitBytes) };
}

/** The sum of the `k` smallest Active partitions among `ps`. */
function smallest(c: Cluster, ps: number[], k: number): number {
  const sizes = ps.filter((p) => c.active[p]).map((p) => c.size[p]!);
  sizes.sort((a, b) => a - b);
  return sizes.slice(0, k).reduce((a, s) => a + s, 0);
}

/** The sum of the `k` smallest Active replicas anywhere (a partition counts once per replica). */
function smallestReplicas(c: Cluster, k: number): number {
  const ps = c.pids.map((_, p) => p).filter((p) => c.active[p]);
  ps.sort((a, b) => c.size[a]! - c.size[b]!);
  let sum = 0;
  for (const p of ps) {
    const take = Math.min(k, c.start[p + 1]! - c.start[p]!);
    sum += take * c.size[p]!;
    k -= take;
    if (k === 0) break;
  }
  return sum;
}
