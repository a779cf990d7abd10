import { describe, expect, it } from 'vitest';
import { balance, fairShares } from '../../src/core/fair-share.js';

/** The weighted fair share every command's skew is measured against (PRODUCT.md §5, §9). */
describe('fair share', () => {
  it.each<[string, number[], number[], number | undefined, number[], number, number]>([
    ['even', [10, 10, 10], [1, 1, 1], undefined, [10, 10, 10], 0, 0],
    ['the max/mean skew of unit weights', [12, 10, 8], [1, 1, 1], undefined, [10, 10, 10], 0.2, 0.2],
    ['a weight-2 node holding twice is balanced', [20, 10, 10], [2, 1, 1], undefined, [20, 10, 10], 0, 0],
    [
      'an empty new node: the under side is 1',
      [13, 13, 0],
      [1, 1, 1],
      undefined,
      [26 / 3, 26 / 3, 26 / 3],
      0.5,
      1,
    ],
    [
      'weight 0: no share, no part in the figures',
      [10, 10, 5],
      [1, 1, 0],
      undefined,
      [12.5, 12.5, 0],
      -0.2,
      0.2,
    ],
    ['shares of a given total (load still to arrive)', [10, 10], [1, 1], 40, [20, 20], -0.5, 0.5],
    ['nothing to share is balanced', [0, 0], [1, 1], undefined, [0, 0], 0, 0],
  ])('%s', (_name, loads, weights, total, fair, skew, under) => {
    const shares = fairShares(weights, total ?? loads.reduce((a, b) => a + b, 0));
    shares.forEach((s, i) => expect(s).toBeCloseTo(fair[i]!, 9));
    const b = balance(loads, weights, total);
    expect(b.skew).toBeCloseTo(skew, 9);
    expect(b.under).toBeCloseTo(under, 9);
  });
});
