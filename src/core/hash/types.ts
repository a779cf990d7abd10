export type HashName = 'xxh64' | 'rust-siphash13';

/**
 * A 64-bit hash over the byte stream that Rust's `#[derive(Hash)]` feeds a Hasher (PRODUCT.md §2.2).
 * Implemented on 32-bit halves: the hot paths must not allocate a BigInt per call.
 */
export interface Hasher64 {
  readonly name: HashName;
  /** Hash of `bytes[0, length)`; writes the high 32 bits to out[0] and the low 32 bits to out[1]. */
  hashInto(bytes: Uint8Array, length: number, out: Uint32Array): void;
  /** Hash of the whole array as an unsigned 64-bit bigint (for display, JSON, tests). */
  hash(bytes: Uint8Array): bigint;
  /** (hash of `bytes[0, length)`) mod n, without a BigInt; 1 ≤ n ≤ 2^21. */
  hashMod(bytes: Uint8Array, length: number, n: number): number;
  /** Optional: all points of a ring in one call, as `ringPointKeys` in ring-points.ts computes them. */
  ringPointKeys?(
    prefixes: readonly Uint8Array[],
    counts: readonly number[],
  ): { keys: Float64Array; lo: Uint32Array };
}
