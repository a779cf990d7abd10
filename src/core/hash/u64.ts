/*
 * Helpers for 64-bit values held as two 32-bit halves (high, low), the form the hashers produce.
 */

const TWO_32 = 4294967296;

/** Largest modulus for which ((hi mod n)·2^32 + lo) stays below 2^53, i.e. exact in a double. */
export const MAX_HASH_MOD = 2 ** 21;

/** The unsigned 64-bit value (hi·2^32 + lo) as a bigint; for display and JSON, not hot paths. */
export function toBigInt(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** (hi·2^32 + lo) mod n, exact for 1 ≤ n ≤ 2^21 — the seed's `hash as usize % n` without a BigInt. */
export function modFromHalves(hi: number, lo: number, n: number): number {
  if (!(n >= 1 && n <= MAX_HASH_MOD && Number.isInteger(n)))
    throw new RangeError(`hash modulus must be 1..2^21, got ${n}`);
  const x = floatMod(hi >>> 0, n) * TWO_32 + (lo >>> 0);
  return floatMod(x, n);
}

/** x mod n for integers 0 ≤ x ≤ n·2^32 ≤ 2^53. Division and a fix-up instead of `%`, which V8
 * compiles to a call to C's fmod (4× slower). The rounded quotient can only be one too large
 * (when x/n is within half an ulp below an integer), and q·n ≤ 2^53 keeps x − q·n exact. */
function floatMod(x: number, n: number): number {
  const r = x - Math.floor(x / n) * n;
  return r < 0 ? r + n : r;
}

/** Splits an unsigned 64-bit bigint into out[0] = high, out[1] = low 32 bits. */
export function fromBigInt(value: bigint, out: Uint32Array): void {
  out[0] = Number((value >> 32n) & 0xffffffffn);
  out[1] = Number(value & 0xffffffffn);
}
