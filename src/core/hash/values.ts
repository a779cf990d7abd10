import { RustHashEncoder } from './encoding.js';
import { modFromHalves, toBigInt } from './u64.js';
import { rustSipHash13, sipHash13PrefixedInto } from './siphash13.js';
import { xxh64, xxh64PrefixedInto } from './xxh64.js';
import type { Hasher64 } from './types.js';

/*
 * Hashing of single values through one shared scratch encoder and output pair, so hot paths
 * (ring lookups, batch locate) allocate nothing. Safe because everything here is synchronous:
 * a scratch is filled and consumed within one call, never across an await.
 */

/** Shared scratch for callers that build multi-field streams: `scratchEncoder.reset().str(…)…`. */
export const scratchEncoder = new RustHashEncoder(1024);

/** Shared output pair for `hashInto`; read it before the next hashing call. */
export const scratchOut = new Uint32Array(2);

/** H(s) for a `str`: the seed's `hash_string` (ring points and keys) and `hash_content`. */
export function hashStrInto(h: Hasher64, s: string, out: Uint32Array): void {
  const enc = scratchEncoder.reset().str(s);
  h.hashInto(enc.bytes, enc.length, out);
}

export function hashStr(h: Hasher64, s: string): bigint {
  hashStrInto(h, s, scratchOut);
  return toBigInt(scratchOut[0]!, scratchOut[1]!);
}

// The seed's `TraceId([u8; 16])` stream is 24 bytes: usize 16 (LE), then the id. Both built-in
// hashers take the length word as a prefix and read the id in place; copying it behind the prefix
// cost a third of the time of a trace locate's hash (bench/hash.js).
const TRACE_ID_PREFIX = 16;
const traceStream = new Uint8Array(24);
traceStream[0] = TRACE_ID_PREFIX;

/** H(TraceId) from its 16 bytes. */
export function hashTraceIdInto(h: Hasher64, id: Uint8Array, out: Uint32Array): void {
  if (id.length !== 16) throw new RangeError(`a trace id has 16 bytes, got ${id.length}`);
  if (h === xxh64) xxh64PrefixedInto(TRACE_ID_PREFIX, id, 16, out);
  else if (h === rustSipHash13) sipHash13PrefixedInto(TRACE_ID_PREFIX, id, 16, out);
  else {
    traceStream.set(id, 8);
    h.hashInto(traceStream, 24, out);
  }
}

export function hashTraceId(h: Hasher64, id: Uint8Array): bigint {
  hashTraceIdInto(h, id, scratchOut);
  return toBigInt(scratchOut[0]!, scratchOut[1]!);
}

/** The seed's `get_partition_for_trace`: H(TraceId) mod n (1 ≤ n ≤ 2^21). */
export function hashTraceIdMod(h: Hasher64, id: Uint8Array, n: number): number {
  hashTraceIdInto(h, id, scratchOut);
  return modFromHalves(scratchOut[0]!, scratchOut[1]!, n);
}
