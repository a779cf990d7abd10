import { SEVERITY_LEVELS } from '../keys.js';
import { OtlpShapeError, kindOf } from './shape.js';

/** The seed's `SeverityLevel` discriminants (TRACE 1 … FATAL 21). */
export type SeverityLevel = (typeof SEVERITY_LEVELS)[keyof typeof SEVERITY_LEVELS];

const UINT64_MAX = 0xffff_ffff_ffff_ffffn;

/**
 * A fixed64 nanosecond timestamp (protobuf JSON: a decimal string; some encoders write a number)
 * as whole milliseconds since the epoch, truncated. Unset (absent or 0) is `null`.
 * Digits are cut as text, never through a double. (A bare JSON number past 2^53 has lost digits in
 * JSON.parse already; `parseOtlpText` quotes such numbers before parsing to keep them.)
 */
export function unixNanoToMs(value: unknown, name: string): number | null {
  if (value === undefined || value === null) return null;
  let digits: string;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) digits = value;
  else if (typeof value === 'number' && Number.isInteger(value) && value >= 0)
    digits = BigInt(value).toString();
  else {
    throw new OtlpShapeError(
      `${name} ${JSON.stringify(value)}: expected nanoseconds since the epoch (a string of up to 20 digits)`,
    );
  }
  if (digits.length === 20 && BigInt(digits) > UINT64_MAX) {
    throw new OtlpShapeError(`${name} ${digits}: larger than a fixed64`);
  }
  if (/^0+$/.test(digits)) return null;
  // At most 14 digits remain: exact in a double.
  return digits.length > 6 ? Number(digits.slice(0, -6)) : 0;
}

const HEX32 = /^[0-9a-fA-F]{32}$/;
// 16 bytes in base64 (standard or URL-safe alphabet, padded or not): 22 significant characters.
const BASE64_16 = /^[A-Za-z0-9+/_-]{22}(?:==)?$/;
const BASE64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * An OTLP trace id as 32 lowercase hex digits. OTLP/JSON writes it as hex (any case); plain
 * protobuf-JSON encoders write `bytes` fields as base64, so 16 bytes of base64 are accepted too.
 */
export function otlpTraceIdHex(value: unknown, name: string): string {
  if (value === undefined || value === '') throw new OtlpShapeError(`${name} is missing`);
  if (typeof value !== 'string') throw new OtlpShapeError(`${name}: expected a string, got ${kindOf(value)}`);
  let hex: string;
  if (HEX32.test(value)) hex = value.toLowerCase();
  else if (BASE64_16.test(value)) hex = base64ToHex(value.slice(0, 22)).slice(0, 32);
  else {
    throw new OtlpShapeError(
      `${name} '${value}': expected 32 hex digits (or 16 bytes in base64), got ${value.length} characters`,
    );
  }
  if (/^0+$/.test(hex)) throw new OtlpShapeError(`${name} '${value}': the all-zero trace id is invalid`);
  return hex;
}

function base64ToHex(s: string): string {
  let hex = '';
  let acc = 0;
  let bits = 0;
  for (const ch of s) {
    const d = ch === '-' ? 62 : ch === '_' ? 63 : BASE64_DIGITS.indexOf(ch);
    acc = ((acc << 6) | d) & 0x3ff;
    bits += 6;
    while (bits >= 4) {
      bits -= 4;
      hex += ((acc >> bits) & 15).toString(16);
    }
  }
  return hex;
}

const LEVELS_BY_RANGE = [1, 5, 9, 13, 17, 21] as const satisfies readonly SeverityLevel[];
// The level names, the OTel spec's short names (INFO2 … INFO4), and two common spellings
// (.NET's "Information", as in opentelemetry-proto's own example, and "Warning").
const SEVERITY_TEXT = /^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)[234]?$/;
const TEXT_ALIASES: Record<string, SeverityLevel> = { INFORMATION: 9, WARNING: 13 };

/**
 * OTLP severity number → the seed's level: 1–24 by range (1–4 → 1, 5–8 → 5, …, 21–24 → 21).
 * 0 (unspecified) falls back to `severityText` when it names a level, else INFO (9): a record
 * without a severity is ordinary output, and INFO is what logging bridges assume by default.
 * Numbers outside 0–24 are not OTLP severities: `undefined`.
 */
export function severityLevel(severityNumber: number, severityText = ''): SeverityLevel | undefined {
  if (Number.isInteger(severityNumber) && severityNumber >= 1 && severityNumber <= 24) {
    return LEVELS_BY_RANGE[(severityNumber - 1) >> 2];
  }
  if (severityNumber !== 0) return undefined;
  const text = severityText.trim().toUpperCase();
  const m = SEVERITY_TEXT.exec(text);
  if (m) return SEVERITY_LEVELS[m[1] as keyof typeof SEVERITY_LEVELS];
  return TEXT_ALIASES[text] ?? SEVERITY_LEVELS.INFO;
}

const SEVERITY_ENUM = /^SEVERITY_NUMBER_(?:UNSPECIFIED|(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)([234])?)$/;

/** A `severityNumber` field: an integer, or the enum value's name (protobuf JSON accepts both). */
export function severityNumber(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 24) return value;
  const m = typeof value === 'string' ? SEVERITY_ENUM.exec(value) : null;
  if (m) {
    if (m[1] === undefined) return 0;
    return (
      SEVERITY_LEVELS[m[1] as keyof typeof SEVERITY_LEVELS] + (m[2] === undefined ? 0 : Number(m[2]) - 1)
    );
  }
  throw new OtlpShapeError(`${name} ${JSON.stringify(value)}: expected a severity number 0–24`);
}
