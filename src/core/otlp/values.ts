import { compareUtf8 } from '../keys.js';
import { OtlpShapeError, field, isObject, kindOf, repeated, type JsonObject } from './shape.js';

/** OTLP `AnyValue` → the strings the seed's keys hash: metric label values and log bodies. */

const VARIANTS = [
  'stringValue',
  'boolValue',
  'intValue',
  'doubleValue',
  'arrayValue',
  'kvlistValue',
  'bytesValue',
] as const;
type Variant = (typeof VARIANTS)[number];

const MAX_DEPTH = 100;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The variant set in an AnyValue, or undefined for an empty one (no value). */
function variant(v: unknown, path: string): { kind: Variant; value: unknown; path: string } | undefined {
  if (!isObject(v)) throw new OtlpShapeError(`expected an AnyValue object, got ${kindOf(v)}`, path);
  for (const kind of VARIANTS) {
    const f = field(v, kind);
    if (f !== undefined) return { kind, value: f.value, path: `${path}.${f.key}` };
  }
  return undefined;
}

/**
 * A metric label value, as the collector's `Value.AsString()` gives it: a string as is, an int
 * in decimal, a double as JS `String()`, a bool as `true`/`false`, bytes as their base64 text,
 * an array or kvlist as the compact JSON of its plain value (see `anyValueJson`); empty → ''.
 */
export function anyValueLabel(v: unknown, path: string): string {
  const x = variant(v, path);
  if (x === undefined) return '';
  switch (x.kind) {
    case 'stringValue':
    case 'bytesValue':
      return str(x.value, x.path);
    case 'boolValue':
      return String(bool(x.value, x.path));
    case 'intValue':
      return int64(x.value, x.path);
    case 'doubleValue':
      return String(double(x.value, x.path));
    default:
      return anyValueJson(v, path);
  }
}

/** A log body: a string body as is, any other value as its compact JSON (`anyValueJson`); none → ''. */
export function anyValueBody(v: unknown, path: string): string {
  if (v === undefined) return '';
  const x = variant(v, path);
  if (x === undefined) return '';
  return x.kind === 'stringValue' ? str(x.value, x.path) : anyValueJson(v, path);
}

/**
 * The compact JSON of an AnyValue's plain value, exactly as the seed's
 * `serde_json::Value::to_string()` writes it, because the seed hashes that string: a kvlist is an
 * object with its keys sorted by UTF-8 bytes (serde_json's default `Map` is a `BTreeMap`; the
 * last of duplicate keys wins, as on insert), ints are exact decimals, doubles are formatted as
 * serde_json formats an `f64` (`serdeF64`), bytes are their base64 string, an empty value is null.
 */
export function anyValueJson(v: unknown, path: string, depth = 0): string {
  if (depth > MAX_DEPTH) throw new OtlpShapeError(`nested deeper than ${MAX_DEPTH} levels`, path);
  const x = variant(v, path);
  if (x === undefined) return 'null';
  switch (x.kind) {
    case 'stringValue':
    case 'bytesValue':
      return JSON.stringify(str(x.value, x.path));
    case 'boolValue':
      return String(bool(x.value, x.path));
    case 'intValue':
      return int64(x.value, x.path);
    case 'doubleValue':
      return serdeF64(double(x.value, x.path));
    case 'arrayValue': {
      const { items, path: at } = repeated(container(x.value, x.path), 'values', x.path);
      return `[${items.map((e, i) => anyValueJson(e, `${at}[${i}]`, depth + 1)).join(',')}]`;
    }
    case 'kvlistValue': {
      const { items, path: at } = repeated(container(x.value, x.path), 'values', x.path);
      const entries = new Map<string, string>();
      items.forEach((kv, i) => {
        const p = `${at}[${i}]`;
        if (!isObject(kv) || typeof kv.key !== 'string') throw new OtlpShapeError(`expected {key, value}`, p);
        const value = field(kv, 'value');
        entries.set(
          kv.key,
          value === undefined ? 'null' : anyValueJson(value.value, `${p}.value`, depth + 1),
        );
      });
      const keys = [...entries.keys()].sort(compareUtf8);
      return `{${keys.map((k) => `${JSON.stringify(k)}:${entries.get(k)}`).join(',')}}`;
    }
  }
}

/**
 * An `f64` as serde_json ≥ 1.0.147 (zmij; ryu before, same digits) writes it: the shortest
 * round-trip digits, plain notation for 1e-5 ≤ |x| < 1e16 with a `.0` on integral values, else
 * `d.ddde±N`; NaN and infinities become null. Older serde_json wrote `1e16` where this writes `1e+16`.
 */
export function serdeF64(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const exp = x.toExponential(); // shortest round-trip digits, the same as zmij/ryu choose
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp)!;
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const kk = Number(m[4]) + 1; // 10^(kk-1) ≤ |x| < 10^kk
  if (kk > 16 || kk <= -5) return exp;
  if (kk >= digits.length) return `${sign}${digits}${'0'.repeat(kk - digits.length)}.0`;
  if (kk > 0) return `${sign}${digits.slice(0, kk)}.${digits.slice(kk)}`;
  return `${sign}0.${'0'.repeat(-kk)}${digits}`;
}

function container(v: unknown, path: string): JsonObject {
  if (!isObject(v)) throw new OtlpShapeError(`expected an object, got ${kindOf(v)}`, path);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new OtlpShapeError(`expected a string, got ${kindOf(v)}`, path);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new OtlpShapeError(`expected a bool, got ${kindOf(v)}`, path);
  return v;
}

/** int64: protobuf JSON writes it as a decimal string; a number is accepted if it is an integer. */
function int64(v: unknown, path: string): string {
  let n: bigint | undefined;
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) n = BigInt(v);
  else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  if (n === undefined || n < INT64_MIN || n > INT64_MAX) {
    throw new OtlpShapeError(`expected an int64 (a decimal string), got ${JSON.stringify(v)}`, path);
  }
  return n.toString();
}

/** double: a JSON number, or protobuf JSON's strings ("NaN", "Infinity", "-Infinity", "1.5"). */
function double(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (!Number.isNaN(n) || v === 'NaN') return n;
  }
  throw new OtlpShapeError(`expected a double, got ${JSON.stringify(v)}`, path);
}
