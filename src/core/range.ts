import { UsageError } from './errors.js';
import { compareUtf8 } from './keys.js';

/**
 * Range partitioning of service names (the seed's `RangePartitioner<String>`): explicit sorted
 * boundaries, looked up with the seed's binary search.
 */
export class ServiceNameRangePartitioner {
  constructor(readonly boundaries: readonly string[]) {
    for (let i = 1; i < boundaries.length; i++) {
      if (compareUtf8(boundaries[i - 1]!, boundaries[i]!) >= 0) {
        throw new UsageError(
          `range boundaries must be strictly increasing: '${boundaries[i - 1]}' then '${boundaries[i]}'`,
        );
      }
    }
  }

  /**
   * The seed's `new_alphabetic`: boundaries every `26 / n` letters. Valid for 1–26 partitions; the
   * seed divides by zero past 26 (integer step 0), so other counts are refused.
   */
  static alphabetic(n: number): ServiceNameRangePartitioner {
    if (!Number.isInteger(n) || n < 1 || n > 26) {
      throw new UsageError(`alphabetic range partitions: ${n}, expected an integer from 1 to 26`);
    }
    const step = Math.floor(26 / n);
    return new ServiceNameRangePartitioner(
      Array.from({ length: n }, (_, i) => String.fromCharCode(97 + i * step)),
    );
  }

  /** `binary_search`: an exact hit is its index, otherwise the boundary below (saturating at 0). */
  partitionOf(key: string): number {
    let lo = 0;
    let hi = this.boundaries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareUtf8(this.boundaries[mid]!, key);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  }

  partitionsInRange(start: string, end: string): number[] {
    const a = this.partitionOf(start);
    const b = this.partitionOf(end);
    const out: number[] = [];
    for (let i = a; i <= b; i++) out.push(i);
    return out;
  }
}
