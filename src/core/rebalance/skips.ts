/** Positions taken out of a sorted list, skipped in O(α) each way (union-find with path halving). */
export class Skips {
  private readonly down: Int32Array;
  private readonly up: Int32Array;

  constructor(private readonly length: number) {
    this.down = new Int32Array(length);
    this.up = new Int32Array(length);
    for (let i = 0; i < length; i++) this.down[i] = this.up[i] = i;
  }

  remove(i: number): void {
    this.down[i] = i - 1;
    this.up[i] = i + 1;
  }

  /** The largest position ≤ i still in, or -1. */
  below(i: number): number {
    const d = this.down;
    while (i >= 0 && d[i] !== i) {
      const next = d[i]!;
      if (next >= 0) d[i] = d[next]!;
      i = next;
    }
    return i;
  }

  /** The smallest position ≥ i still in, or length. */
  above(i: number): number {
    const u = this.up;
    while (i < this.length && u[i] !== i) {
      const next = u[i]!;
      if (next < this.length) u[i] = u[next]!;
      i = next;
    }
    return i;
  }
}
