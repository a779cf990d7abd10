/*
 * The byte stream that Rust's `#[derive(Hash)]` feeds a Hasher (PRODUCT.md §2.2). Both hash
 * functions hash this same stream, so a key is encoded once and hashed by whichever is configured.
 *
 * What std does, checked against test/golden/siphash13.json (`stream` fields recorded in Rust):
 * - `str`/`String`: `write_str` = the UTF-8 bytes, then 0xFF (never a UTF-8 byte, so the
 *   concatenation of several strings stays unambiguous). There is no length prefix.
 * - `[u8; N]` hashes as a slice: `write_length_prefix(N)` = N as a usize, then the bytes.
 * - integers: native-endian bytes, little-endian on every platform the seed targets.
 */

const INITIAL_CAPACITY = 256;

export class RustHashEncoder {
  /** The underlying buffer; only `bytes[0, length)` is meaningful, and it is reused on reset. */
  bytes: Uint8Array;
  length = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    this.bytes = new Uint8Array(capacity);
  }

  reset(): this {
    this.length = 0;
    return this;
  }

  /** A copy of the stream written so far. */
  toBytes(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  /** Raw bytes, as `Hasher::write`. */
  write(src: Uint8Array): this {
    this.ensure(src.length);
    this.bytes.set(src, this.length);
    this.length += src.length;
    return this;
  }

  u8(n: number): this {
    this.ensure(1);
    this.bytes[this.length++] = n;
    return this;
  }

  /** A u64 given as a bigint (taken mod 2^64), 8 bytes little-endian. */
  u64(v: bigint): this {
    const w = BigInt.asUintN(64, v);
    return this.u64Halves(Number(w >> 32n), Number(w & 0xffffffffn));
  }

  /** A u64 given as its high and low 32-bit halves, as the hashers produce it (no BigInt). */
  u64Halves(hi: number, lo: number): this {
    this.ensure(8);
    const b = this.bytes;
    let p = this.length;
    b[p++] = lo;
    b[p++] = lo >>> 8;
    b[p++] = lo >>> 16;
    b[p++] = lo >>> 24;
    b[p++] = hi;
    b[p++] = hi >>> 8;
    b[p++] = hi >>> 16;
    b[p++] = hi >>> 24;
    this.length = p;
    return this;
  }

  /** A usize (64-bit target): 8 bytes little-endian; exact for any safe integer ≥ 0. */
  usize(n: number): this {
    return this.u64Halves((n / 4294967296) >>> 0, n >>> 0);
  }

  /** The seed's `TraceId([u8; 16])`: its length 16 as a usize, then the 16 bytes. */
  traceId(id: Uint8Array): this {
    if (id.length !== 16) throw new RangeError(`a trace id has 16 bytes, got ${id.length}`);
    this.usize(16);
    return this.write(id);
  }

  /** A `str`/`String`: UTF-8 bytes, then 0xFF. */
  str(s: string): this {
    return this.utf8(s).u8(0xff);
  }

  /**
   * The decimal digits of a safe integer ≥ 0, as `format!("{}", n)` writes them (no terminator):
   * with `utf8` and `u8(0xff)` a `format!`ed key is encoded without building the string.
   */
  decimal(n: number): this {
    this.ensure(16);
    const b = this.bytes;
    let p = this.length;
    const start = p;
    do {
      b[p++] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
    b.subarray(start, p).reverse();
    this.length = p;
    return this;
  }

  /** UTF-8 bytes of `s`, without the 0xFF that ends a `str`. */
  utf8(s: string): this {
    // Worst case 3 bytes per UTF-16 unit (a surrogate pair is 2 units → 4 bytes).
    this.ensure(s.length * 3);
    const b = this.bytes;
    let p = this.length;
    const n = s.length;
    let i = 0;
    // ASCII fast path: names, services, time buckets and partition ids are almost always ASCII.
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      b[p++] = c;
    }
    for (; i < n; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        b[p++] = c;
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >>> 6);
        b[p++] = 0x80 | (c & 0x3f);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
            b[p++] = 0xf0 | (c >>> 18);
            b[p++] = 0x80 | ((c >>> 12) & 0x3f);
            b[p++] = 0x80 | ((c >>> 6) & 0x3f);
            b[p++] = 0x80 | (c & 0x3f);
            continue;
          }
          // A lone surrogate cannot be in a Rust string; encode U+FFFD as TextEncoder does.
          c = 0xfffd;
        }
        b[p++] = 0xe0 | (c >>> 12);
        b[p++] = 0x80 | ((c >>> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      }
    }
    this.length = p;
    return this;
  }

  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.bytes.length) return;
    let cap = Math.max(16, this.bytes.length * 2);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
}
