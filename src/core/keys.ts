import { RustHashEncoder } from './hash/encoding.js';
import { hashTraceIdMod } from './hash/values.js';
import type { Hasher64 } from './hash/types.js';

/**
 * The seed's partition keys, hashed exactly as `#[derive(Hash)]` feeds them to a Hasher, so a
 * cluster built from the seed's Rust code places every key where we say it does.
 */

export const SEVERITY_LEVELS = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 } as const;

export interface MetricPartitionKey {
  name: string;
  service_name: string;
  time_bucket: string;
  label_hash: bigint;
}

export interface LogPartitionKey {
  service_name: string;
  time_bucket: string;
  severity_level: number;
  content_hash: bigint;
}

const enc = new RustHashEncoder();

/** The seed's `hash_labels`: each key then its value, keys sorted (byte order, as Rust sorts Strings). */
export function labelHash(hasher: Hasher64, labels: ReadonlyArray<readonly [string, string]>): bigint {
  const sorted = [...labels].sort((a, b) => compareUtf8(a[0], b[0]));
  enc.reset();
  for (const [k, v] of sorted) {
    enc.str(k);
    enc.str(v);
  }
  return hasher.hash(enc.bytes.subarray(0, enc.length));
}

/** The seed's `hash_content` of a string body (a structured body is hashed as its compact JSON). */
export function contentHash(hasher: Hasher64, body: string): bigint {
  enc.reset();
  enc.str(body);
  return hasher.hash(enc.bytes.subarray(0, enc.length));
}

export function metricHashPartition(hasher: Hasher64, key: MetricPartitionKey, n: number): number {
  enc.reset();
  enc.str(key.name);
  enc.str(key.service_name);
  enc.str(key.time_bucket);
  enc.u64(key.label_hash);
  return hasher.hashMod(enc.bytes, enc.length, n);
}

export function logHashPartition(hasher: Hasher64, key: LogPartitionKey, n: number): number {
  enc.reset();
  enc.str(key.service_name);
  enc.str(key.time_bucket);
  enc.u8(key.severity_level);
  enc.u64(key.content_hash);
  return hasher.hashMod(enc.bytes, enc.length, n);
}

/** Trace bucket: H(TraceId) mod n, TraceId hashed as a 16-byte slice (length prefix, then bytes). */
export function traceHashPartition(hasher: Hasher64, traceId: Uint8Array, n: number): number {
  return hashTraceIdMod(hasher, traceId, n);
}

/** Rust compares Strings by UTF-8 bytes; JS `<` compares UTF-16 units, which differs above U+FFFF. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
