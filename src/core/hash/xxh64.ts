import { ringPointKeys } from './ring-points.js';
import { toBigInt, modFromHalves } from './u64.js';
import type { Hasher64 } from './types.js';

/*
 * XXH64, seed 0, in pure JS on 32-bit halves (PRODUCT.md §2.2, `hash: xxh64`). Same result as
 * xxhash-wasm's h64Raw (checked in test/core/hash.test.ts), but synchronous, without copying into
 * wasm memory and without a BigInt per call.
 *
 * Written for speed (bench/hash.js), which is why it looks repetitive:
 * - every 64-bit value is a pair of int32 locals (…h, …l); nothing is allocated per call;
 * - the 64-bit multiplications are written out at each use. A helper can only return one half,
 *   V8 stops inlining after a few sites, and a non-inlined call returning an int32 outside the
 *   Smi range allocates a HeapNumber;
 * - the high word of l·P comes from 16-bit limbs, whose products Math.imul gives exactly; the
 *   cross terms h·P_lo and l·P_hi only matter mod 2^32, where Math.imul is exact too;
 * - carries are bit operations (majority of the top bits), not `c ? 1 : 0`, which V8 compiles
 *   to a branch that mispredicts on random data.
 */

// The primes as (high, low) halves, and the two 16-bit limbs of the low half.
const P1H = 0x9e3779b1 | 0,
  P1L = 0x85ebca87 | 0,
  P1A = 0xca87,
  P1B = 0x85eb;
const P2H = 0xc2b2ae3d | 0,
  P2L = 0x27d4eb4f | 0,
  P2A = 0xeb4f,
  P2B = 0x27d4;
const P3H = 0x165667b1 | 0,
  P3L = 0x9e3779f9 | 0,
  P3A = 0x79f9,
  P3B = 0x9e37;
const P4H = 0x85ebca77 | 0,
  P4L = 0xc2b2ae63 | 0;
const P5H = 0x27d4eb2f | 0,
  P5L = 0x165667c5 | 0,
  P5A = 0x67c5,
  P5B = 0x1656;

/**
 * The state after the first lane of a Rust `[u8; 16]` (TraceId) stream — the length 16 as a
 * usize — with the total length 24 added: the same for every trace id, so computed once here
 * (in BigInt, independently of the code below) and not per id; one lane of three.
 */
const [TRACE_ID_H, TRACE_ID_L] = ((): [number, number] => {
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M;
  const P1 = 0x9e3779b185ebca87n;
  const P2 = 0xc2b2ae3d27d4eb4fn;
  let h = (0x27d4eb2f165667c5n + 24n) & M;
  h ^= (rotl((16n * P2) & M, 31n) * P1) & M;
  h = (rotl(h, 27n) * P1 + 0x85ebca77c2b2ae63n) & M;
  return [Number(h >> 32n) | 0, Number(h & 0xffffffffn) | 0];
})();

function read32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

// The four accumulators of the 32-byte stripe phase, as (high, low) pairs.
const acc = new Int32Array(8);
// The seed-0 initial accumulators: P1 + P2, P2, 0, −P1 (mod 2^64).
const ACC_INIT = new Int32Array([0x60ea27ee, 0xadc0b5d6, P2H, P2L, 0, 0, 0x61c8864e, 0x7a143579]);
const MERGE_ROTATIONS = [1, 7, 12, 18];

/** The stripe phase over bytes[0, end), end a multiple of 32: the merged accumulators → out. Runs
 * once per hash of ≥ 32 bytes; the accumulators live in `acc` so one copy of the round serves all. */
function stripes(bytes: Uint8Array, end: number, out: Uint32Array): void {
  let h = 0,
    l = 0,
    t = 0,
    a0 = 0,
    a1 = 0,
    p = 0,
    q = 0;
  acc.set(ACC_INIT);
  for (let i = 0; i < end;) {
    for (let j = 0; j < 8; j += 2, i += 8) {
      // acc = rotl(acc + lane·P2, 31)·P1
      l = read32(bytes, i);
      h = read32(bytes, i + 4);
      a0 = l & 0xffff;
      a1 = l >>> 16;
      p = Math.imul(a1, P2A);
      q = Math.imul(a0, P2B);
      t = (Math.imul(a0, P2A) >>> 16) + (p & 0xffff) + (q & 0xffff);
      h =
        (Math.imul(a1, P2B) + (p >>> 16) + (q >>> 16) + Math.imul(h, P2L) + Math.imul(l, P2H) + (t >>> 16)) |
        0;
      l = Math.imul(l, P2L);
      const ah = acc[j]!,
        al = acc[j + 1]!;
      t = (al + l) | 0;
      h = (ah + h + (((al & l) | ((al | l) & ~t)) >>> 31)) | 0;
      l = (t << 31) | (h >>> 1);
      h = (h << 31) | (t >>> 1);
      a0 = l & 0xffff;
      a1 = l >>> 16;
      p = Math.imul(a1, P1A);
      q = Math.imul(a0, P1B);
      t = (Math.imul(a0, P1A) >>> 16) + (p & 0xffff) + (q & 0xffff);
      acc[j] =
        Math.imul(a1, P1B) + (p >>> 16) + (q >>> 16) + Math.imul(h, P1L) + Math.imul(l, P1H) + (t >>> 16);
      acc[j + 1] = Math.imul(l, P1L);
    }
  }
  // hash = rotl(acc1, 1) + rotl(acc2, 7) + rotl(acc3, 12) + rotl(acc4, 18)
  let hh = 0,
    hl = 0;
  for (let j = 0; j < 8; j += 2) {
    const k = MERGE_ROTATIONS[j >> 1]!;
    const ah = acc[j]!,
      al = acc[j + 1]!;
    h = (ah << k) | (al >>> (32 - k));
    l = (al << k) | (ah >>> (32 - k));
    t = (hl + l) | 0;
    hh = (hh + h + (((hl & l) | ((hl | l) & ~t)) >>> 31)) | 0;
    hl = t;
  }
  // mergeRound for each accumulator: hash = (hash ^ rotl(acc·P2, 31)·P1)·P1 + P4
  for (let j = 0; j < 8; j += 2) {
    l = acc[j + 1]!;
    h = acc[j]!;
    a0 = l & 0xffff;
    a1 = l >>> 16;
    p = Math.imul(a1, P2A);
    q = Math.imul(a0, P2B);
    t = (Math.imul(a0, P2A) >>> 16) + (p & 0xffff) + (q & 0xffff);
    h =
      (Math.imul(a1, P2B) + (p >>> 16) + (q >>> 16) + Math.imul(h, P2L) + Math.imul(l, P2H) + (t >>> 16)) | 0;
    l = Math.imul(l, P2L);
    t = l;
    l = (l << 31) | (h >>> 1);
    h = (h << 31) | (t >>> 1);
    a0 = l & 0xffff;
    a1 = l >>> 16;
    p = Math.imul(a1, P1A);
    q = Math.imul(a0, P1B);
    t = (Math.imul(a0, P1A) >>> 16) + (p & 0xffff) + (q & 0xffff);
    hh ^= Math.imul(a1, P1B) + (p >>> 16) + (q >>> 16) + Math.imul(h, P1L) + Math.imul(l, P1H) + (t >>> 16);
    hl ^= Math.imul(l, P1L);
    a0 = hl & 0xffff;
    a1 = hl >>> 16;
    p = Math.imul(a1, P1A);
    q = Math.imul(a0, P1B);
    t = (Math.imul(a0, P1A) >>> 16) + (p & 0xffff) + (q & 0xffff);
    h =
      (Math.imul(a1, P1B) + (p >>> 16) + (q >>> 16) + Math.imul(hh, P1L) + Math.imul(hl, P1H) + (t >>> 16)) |
      0;
    l = Math.imul(hl, P1L);
    hl = (l + P4L) | 0;
    hh = (h + P4H + (((l & P4L) | ((l | P4L) & ~hl)) >>> 31)) | 0;
  }
  out[0] = hh;
  out[1] = hl;
}

/** XXH64 (seed 0) of `bytes[0, length)`: out[0] = high 32 bits, out[1] = low 32 bits. */
export function xxh64Into(bytes: Uint8Array, length: number, out: Uint32Array): void {
  xxh64PrefixedInto(-1, bytes, length, out);
}

/**
 * XXH64 of an optional 8-byte little-endian `prefix` (0 ≤ prefix < 2^31; −1 for none) followed
 * by `bytes[0, length)`. With prefix = length this is how Rust hashes a `[u8; N]` (usize length,
 * then the bytes): a trace id is hashed in place, without copying it behind its prefix first.
 */
export function xxh64PrefixedInto(prefix: number, bytes: Uint8Array, length: number, out: Uint32Array): void {
  if (length > bytes.length) throw new RangeError(`length ${length} exceeds the ${bytes.length} bytes given`);
  const total = prefix < 0 ? length : length + 8;
  let hh = P5H,
    hl = P5L,
    i = 0;
  if (total >= 32) {
    // The stripe phase reads the input directly; a prefix this long is rare enough to copy.
    if (prefix >= 0) return copyPrefixedInto(prefix, bytes, length, out);
    i = length - (length % 32);
    stripes(bytes, i, out);
    hh = out[0]! | 0;
    hl = out[1]! | 0;
  }
  let h = 0,
    l = 0,
    t = 0,
    a0 = 0,
    a1 = 0,
    p = 0,
    q = 0;

  if (prefix === 16 && length === 16) {
    // A trace id (values.ts): its first lane and total are always the same.
    hh = TRACE_ID_H;
    hl = TRACE_ID_L;
  } else {
    // hash += total length
    l = total | 0;
    t = (hl + l) | 0;
    hh = (hh + ((total / 4294967296) | 0) + (((hl & l) | ((hl | l) & ~t)) >>> 31)) | 0;
    hl = t;
    // i = −8 stands for the prefix lane.
    if (prefix >= 0) i = -8;
  }
  for (; i + 8 <= length; i += 8) {
    // hash ^= rotl(lane·P2, 31)·P1
    if (i < 0) {
      l = prefix;
      h = 0;
    } else {
      l = read32(bytes, i);
      h = read32(bytes, i + 4);
    }
    a0 = l & 0xffff;
    a1 = l >>> 16;
    p = Math.imul(a1, P2A);
    q = Math.imul(a0, P2B);
    t = (Math.imul(a0, P2A) >>> 16) + (p & 0xffff) + (q & 0xffff);
    h =
      (Math.imul(a1, P2B) + (p >>> 16) + (q >>> 16) + Math.imul(h, P2L) + Math.imul(l, P2H) + (t >>> 16)) | 0;
    l = Math.imul(l, P2L);
    t = l;
    l = (l << 31) | (h >>> 1);
    h = (h << 31) | (t >>> 1);
    a0 = l & 0xffff;
    a1 = l >>> 16;
    p = Math.imul(a1, P1A);
    q = Math.imul(a0, P1B);
    t = (Math.imul(a0, P1A) >>> 16) + (p & 0xffff) + (q & 0xffff);
    hh ^= Math.imul(a1, P1B) + (p >>> 16) + (q >>> 16) + Math.imul(h, P1L) + Math.imul(l, P1H) + (t >>> 16);
    hl ^= Math.imul(l, P1L);
    // hash = rotl(hash, 27)·P1 + P4
    h = (hh << 27) | (hl >>> 5);
    l = (hl << 27) | (hh >>> 5);
    a0 = l & 0xffff;
    a1 = l >>> 16;
    p = Math.imul(a1, P1A);
    q = Math.imul(a0, P1B);
    t = (Math.imul(a0, P1A) >>> 16) + (p & 0xffff) + (q & 0xffff);
    h =
      (Math.imul(a1, P1B) + (p >>> 16) + (q >>> 16) + Math.imul(h, P1L) + Math.imul(l, P1H) + (t >>> 16)) | 0;
    l = Math.imul(l, P1L);
    hl = (l + P4L) | 0;
    hh = (h + P4H + (((l & P4L) | ((l | P4L) & ~hl)) >>> 31)) | 0;
  }

  if (i + 4 <= length) {
    // hash ^= word·P1 (word < 2^32, so no cross term from its high half)
    l = read32(bytes, i);
    a0 = l & 0xffff;
    a1 = l >>> 16;
    p = Math.imul(a1, P1A);
    q = Math.imul(a0, P1B);
    t = (Math.imul(a0, P1A) >>> 16) + (p & 0xffff) + (q & 0xffff);
    hh ^= Math.imul(a1, P1B) + (p >>> 16) + (q >>> 16) + Math.imul(l, P1H) + (t >>> 16);
    hl ^= Math.imul(l, P1L);
    // hash = rotl(hash, 23)·P2 + P3
    h = (hh << 23) | (hl >>> 9);
    l = (hl << 23) | (hh >>> 9);
    a0 = l & 0xffff;
    a1 = l >>> 16;
    p = Math.imul(a1, P2A);
    q = Math.imul(a0, P2B);
    t = (Math.imul(a0, P2A) >>> 16) + (p & 0xffff) + (q & 0xffff);
    h =
      (Math.imul(a1, P2B) + (p >>> 16) + (q >>> 16) + Math.imul(h, P2L) + Math.imul(l, P2H) + (t >>> 16)) | 0;
    l = Math.imul(l, P2L);
    hl = (l + P3L) | 0;
    hh = (h + P3H + (((l & P3L) | ((l | P3L) & ~hl)) >>> 31)) | 0;
    i += 4;
  }

  for (; i < length; i++) {
    // hash ^= byte·P5 (byte < 2^16: a single limb); hash = rotl(hash, 11)·P1
    l = bytes[i]!;
    p = Math.imul(l, P5A);
    hh ^= ((Math.imul(l, P5B) + (p >>> 16)) >>> 16) + Math.imul(l, P5H);
    hl ^= Math.imul(l, P5L);
    h = (hh << 11) | (hl >>> 21);
    l = (hl << 11) | (hh >>> 21);
    a0 = l & 0xffff;
    a1 = l >>> 16;
    p = Math.imul(a1, P1A);
    q = Math.imul(a0, P1B);
    t = (Math.imul(a0, P1A) >>> 16) + (p & 0xffff) + (q & 0xffff);
    hh =
      (Math.imul(a1, P1B) + (p >>> 16) + (q >>> 16) + Math.imul(h, P1L) + Math.imul(l, P1H) + (t >>> 16)) | 0;
    hl = Math.imul(l, P1L);
  }

  // Avalanche: hash ^= hash >> 33; hash *= P2; hash ^= hash >> 29; hash *= P3; hash ^= hash >> 32
  hl ^= hh >>> 1;
  a0 = hl & 0xffff;
  a1 = hl >>> 16;
  p = Math.imul(a1, P2A);
  q = Math.imul(a0, P2B);
  t = (Math.imul(a0, P2A) >>> 16) + (p & 0xffff) + (q & 0xffff);
  hh =
    (Math.imul(a1, P2B) + (p >>> 16) + (q >>> 16) + Math.imul(hh, P2L) + Math.imul(hl, P2H) + (t >>> 16)) | 0;
  hl = Math.imul(hl, P2L);
  hl ^= (hl >>> 29) | (hh << 3);
  hh ^= hh >>> 29;
  a0 = hl & 0xffff;
  a1 = hl >>> 16;
  p = Math.imul(a1, P3A);
  q = Math.imul(a0, P3B);
  t = (Math.imul(a0, P3A) >>> 16) + (p & 0xffff) + (q & 0xffff);
  hh =
    (Math.imul(a1, P3B) + (p >>> 16) + (q >>> 16) + Math.imul(hh, P3L) + Math.imul(hl, P3H) + (t >>> 16)) | 0;
  hl = Math.imul(hl, P3L);
  hl ^= hh;

  out[0] = hh;
  out[1] = hl;
}

let copyBuffer = new Uint8Array(64);

function copyPrefixedInto(prefix: number, bytes: Uint8Array, length: number, out: Uint32Array): void {
  if (copyBuffer.length < length + 8) copyBuffer = new Uint8Array(2 * (length + 8));
  copyBuffer.fill(0, 0, 8);
  copyBuffer[0] = prefix;
  copyBuffer[1] = prefix >>> 8;
  copyBuffer[2] = prefix >>> 16;
  copyBuffer[3] = prefix >>> 24;
  copyBuffer.set(bytes.subarray(0, length), 8);
  xxh64PrefixedInto(-1, copyBuffer, length + 8, out);
}

const scratch = new Uint32Array(2);

export const xxh64: Hasher64 = {
  name: 'xxh64',
  hashInto: xxh64Into,
  hash(bytes: Uint8Array): bigint {
    xxh64Into(bytes, bytes.length, scratch);
    return toBigInt(scratch[0]!, scratch[1]!);
  },
  hashMod(bytes: Uint8Array, length: number, n: number): number {
    xxh64Into(bytes, length, scratch);
    return modFromHalves(scratch[0]!, scratch[1]!, n);
  },
  ringPointKeys: (prefixes, counts) => ringPointKeys('xxh64', prefixes, counts),
};
