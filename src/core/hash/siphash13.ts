import { ringPointKeys } from './ring-points.js';
import { toBigInt, modFromHalves } from './u64.js';
import type { Hasher64 } from './types.js';

/*
 * SipHash-1-3 with keys (0, 0): what the seed's `DefaultHasher::new()` computes (PRODUCT.md §2.2).
 * One compression round per 8-byte block, three finalisation rounds. The last block carries the
 * tail bytes and, in its top byte, the total length mod 256.
 *
 * Each 64-bit word lives in two int32 locals (h = high, l = low), so a call allocates nothing and
 * V8 keeps everything in registers. The SipRound appears twice, inlined by hand: a helper would
 * have to return four 64-bit words. The carry of each 64-bit add is the majority of the operands'
 * and the sum's top bits: computed with bit operations, not `carry ? 1 : 0`, which V8 compiles to
 * a branch that mispredicts half the time (that alone made the hash twice as slow).
 */

// "somepseudorandomlygeneratedbytes" — SipHash's IV, XORed with the zero key.
const V0H = 0x736f6d65 | 0;
const V0L = 0x70736575 | 0;
const V1H = 0x646f7261 | 0;
const V1L = 0x6e646f6d | 0;
const V2H = 0x6c796765 | 0;
const V2L = 0x6e657261 | 0;
const V3H = 0x74656462 | 0;
const V3L = 0x79746573 | 0;

/**
 * The state after the first block of a Rust `[u8; 16]` (TraceId) stream — the length 16 as a
 * usize: the same for every trace id, so computed once here (in BigInt, independently of the
 * code below) and not per id; one SipRound of seven. As (high, low) halves of v0…v3.
 */
const TRACE_ID_STATE = ((): Int32Array => {
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M;
  const half = (x: bigint) => [Number(x >> 32n) | 0, Number(x & 0xffffffffn) | 0];
  const w = (h: number, l: number) => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
  let [v0, v1, v2, v3] = [w(V0H, V0L), w(V1H, V1L), w(V2H, V2L), w(V3H, V3L)];
  const m = 16n;
  v3 ^= m;
  v0 = (v0 + v1) & M;
  v1 = rotl(v1, 13n) ^ v0;
  v0 = rotl(v0, 32n);
  v2 = (v2 + v3) & M;
  v3 = rotl(v3, 16n) ^ v2;
  v0 = (v0 + v3) & M;
  v3 = rotl(v3, 21n) ^ v0;
  v2 = (v2 + v1) & M;
  v1 = rotl(v1, 17n) ^ v2;
  v2 = rotl(v2, 32n);
  v0 ^= m;
  return Int32Array.from([...half(v0), ...half(v1), ...half(v2), ...half(v3)]);
})();

/** SipHash-1-3 (keys 0, 0) of `bytes[0, length)`: out[0] = high 32 bits, out[1] = low 32 bits. */
export function sipHash13Into(bytes: Uint8Array, length: number, out: Uint32Array): void {
  sipHash13PrefixedInto(-1, bytes, length, out);
}

/**
 * SipHash-1-3 of an optional 8-byte little-endian `prefix` (0 ≤ prefix < 2^31; −1 for none)
 * followed by `bytes[0, length)`. With prefix = length this is how Rust hashes a `[u8; N]`
 * (usize length, then the bytes): a trace id is hashed in place, without copying it behind
 * its length prefix first.
 */
export function sipHash13PrefixedInto(
  prefix: number,
  bytes: Uint8Array,
  length: number,
  out: Uint32Array,
): void {
  if (length > bytes.length) throw new RangeError(`length ${length} exceeds the ${bytes.length} bytes given`);
  let v0h = V0H,
    v0l = V0L,
    v1h = V1H,
    v1l = V1L;
  let v2h = V2H,
    v2l = V2L,
    v3h = V3H,
    v3l = V3L;
  let s = 0;
  let t = 0;
  const blocksEnd = length - (length & 7);
  // The total length, whose low byte goes into the last block.
  const total = prefix < 0 ? length : length + 8;
  // i = −8 stands for the prefix block; −16 marks that the last block has been compressed.
  let i = prefix < 0 ? 0 : -8;
  if (prefix === 16 && length === 16) {
    // A trace id (values.ts): the state after its first block is always the same.
    const k = TRACE_ID_STATE;
    v0h = k[0]!;
    v0l = k[1]!;
    v1h = k[2]!;
    v1l = k[3]!;
    v2h = k[4]!;
    v2l = k[5]!;
    v3h = k[6]!;
    v3l = k[7]!;
    i = 0;
  }
  for (;;) {
    let ml = 0;
    let mh = 0;
    if (i === -8) {
      ml = prefix;
      i = 0;
    } else if (i < blocksEnd) {
      ml = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
      mh = bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24);
      i += 8;
    } else {
      // Last block: the 0–7 tail bytes, little-endian, and the total length's low byte on top.
      for (let j = 0; i + j < length; j++) {
        if (j < 4) ml |= bytes[i + j]! << (j << 3);
        else mh |= bytes[i + j]! << ((j - 4) << 3);
      }
      mh |= total << 24;
      i = -16;
    }
    v3h ^= mh;
    v3l ^= ml;

    // SipRound (the one compression round).
    s = (v0l + v1l) | 0;
    v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0;
    v0l = s;
    t = v1h;
    v1h = (v1h << 13) | (v1l >>> 19);
    v1l = (v1l << 13) | (t >>> 19);
    v1h ^= v0h;
    v1l ^= v0l;
    t = v0h;
    v0h = v0l;
    v0l = t;
    s = (v2l + v3l) | 0;
    v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0;
    v2l = s;
    t = v3h;
    v3h = (v3h << 16) | (v3l >>> 16);
    v3l = (v3l << 16) | (t >>> 16);
    v3h ^= v2h;
    v3l ^= v2l;
    s = (v0l + v3l) | 0;
    v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0;
    v0l = s;
    t = v3h;
    v3h = (v3h << 21) | (v3l >>> 11);
    v3l = (v3l << 21) | (t >>> 11);
    v3h ^= v0h;
    v3l ^= v0l;
    s = (v2l + v1l) | 0;
    v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0;
    v2l = s;
    t = v1h;
    v1h = (v1h << 17) | (v1l >>> 15);
    v1l = (v1l << 17) | (t >>> 15);
    v1h ^= v2h;
    v1l ^= v2l;
    t = v2h;
    v2h = v2l;
    v2l = t;

    v0h ^= mh;
    v0l ^= ml;
    if (i === -16) break;
  }

  v2l ^= 0xff;
  for (let r = 0; r < 3; r++) {
    // SipRound (finalisation), identical to the one above.
    s = (v0l + v1l) | 0;
    v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0;
    v0l = s;
    t = v1h;
    v1h = (v1h << 13) | (v1l >>> 19);
    v1l = (v1l << 13) | (t >>> 19);
    v1h ^= v0h;
    v1l ^= v0l;
    t = v0h;
    v0h = v0l;
    v0l = t;
    s = (v2l + v3l) | 0;
    v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0;
    v2l = s;
    t = v3h;
    v3h = (v3h << 16) | (v3l >>> 16);
    v3l = (v3l << 16) | (t >>> 16);
    v3h ^= v2h;
    v3l ^= v2l;
    s = (v0l + v3l) | 0;
    v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0;
    v0l = s;
    t = v3h;
    v3h = (v3h << 21) | (v3l >>> 11);
    v3l = (v3l << 21) | (t >>> 11);
    v3h ^= v0h;
    v3l ^= v0l;
    s = (v2l + v1l) | 0;
    v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0;
    v2l = s;
    t = v1h;
    v1h = (v1h << 17) | (v1l >>> 15);
    v1l = (v1l << 17) | (t >>> 15);
    v1h ^= v2h;
    v1l ^= v2l;
    t = v2h;
    v2h = v2l;
    v2l = t;
  }

  out[0] = v0h ^ v1h ^ v2h ^ v3h;
  out[1] = v0l ^ v1l ^ v2l ^ v3l;
}

const scratch = new Uint32Array(2);

export const rustSipHash13: Hasher64 = {
  name: 'rust-siphash13',
  hashInto: sipHash13Into,
  hash(bytes: Uint8Array): bigint {
    sipHash13Into(bytes, bytes.length, scratch);
    return toBigInt(scratch[0]!, scratch[1]!);
  },
  hashMod(bytes: Uint8Array, length: number, n: number): number {
    sipHash13Into(bytes, length, scratch);
    return modFromHalves(scratch[0]!, scratch[1]!, n);
  },
  ringPointKeys: (prefixes, counts) => ringPointKeys('rust-siphash13', prefixes, counts),
};
