import { UsageError } from './errors.js';

/** A 128-bit trace id (the seed's `TraceId([u8; 16])`). */

const HEX32 = /^[0-9a-fA-F]{32}$/;
// W3C traceparent: version-traceid-parentid-flags; version ff is forbidden by the spec.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/i;

/** Accepts 32 hex digits or a W3C `traceparent`; returns the 32 lowercase hex digits. */
export function parseTraceId(input: string): string {
  const s = input.trim();
  let hex: string | undefined;
  if (HEX32.test(s)) hex = s;
  else {
    const m = TRACEPARENT.exec(s);
    if (m && m[1]!.toLowerCase() !== 'ff' && (m[1] !== '00' || s.length === 55)) hex = m[2];
  }
  if (hex === undefined) {
    throw new UsageError(
      `trace id '${input}': expected 32 hex digits or a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)`,
    );
  }
  if (/^0+$/.test(hex)) throw new UsageError(`trace id '${input}': the all-zero trace id is invalid`);
  return hex.toLowerCase();
}

/** 32 hex digits → 16 bytes, written into `out` (reused by hot paths). */
export function traceIdBytes(hex: string, out: Uint8Array = new Uint8Array(16)): Uint8Array {
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
