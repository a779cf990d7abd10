/**
 * Weighted fair share (PRODUCT.md §5, §9): a node's fair share of a load is
 * `total · weight / Σ weight` over the nodes that can hold data (state Up). Skew is
 * `max(load / fair) − 1`, the under-loaded side `1 − min(load / fair)`. One definition, used by
 * `partitions stats`, `rebalance plan` and `ring`, so that they agree on what "balanced" means.
 */

export interface Balance {
  /** `max(load / fair) − 1`: how far the busiest node is above its share. */
  skew: number;
  /** `1 − min(load / fair)`: how far the emptiest node is below its share (1: a node holds nothing). */
  under: number;
}

/** Each weight's share of `total`; all zero when no weight is positive. */
export function fairShares(weights: readonly number[], total: number): number[] {
  let sum = 0;
  for (const w of weights) sum += w > 0 ? w : 0;
  return weights.map((w) => (sum > 0 && w > 0 ? (total * w) / sum : 0));
}

/**
 * Skew and under side of `loads` against their weighted fair shares of `total` (by default the
 * loads' sum). A node of weight 0 has no share and takes no part; nothing to share is balanced.
 */
export function balance(
  loads: readonly number[],
  weights: readonly number[],
  total = loads.reduce((a, b) => a + b, 0),
): Balance {
  const fair = fairShares(weights, total);
  let max = -Infinity;
  let min = Infinity;
  fair.forEach((f, i) => {
    if (f <= 0) return;
    const r = loads[i]! / f;
    if (r > max) max = r;
    if (r < min) min = r;
  });
  return max === -Infinity ? { skew: 0, under: 0 } : { skew: max - 1, under: 1 - min };
}
