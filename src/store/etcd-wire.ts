/**
 * The few etcd v3 protobuf messages the read path needs (RangeRequest/Response, the response
 * header, Authenticate, LeaseTimeToLive), encoded and decoded by hand: loading etcd3's
 * protobuf schema costs more than a whole read-only command may, and decoding straight into the
 * contract's KeyValue avoids an object per field. Field numbers are those of etcd's rpc.proto
 * and kv.proto, which etcd keeps stable across 3.x.
 */
import type { KeyValue } from './contract.js';

export interface RangeRequest {
  key: Buffer;
  rangeEnd?: Buffer;
  limit?: number;
  revision?: number;
  countOnly?: boolean;
}

export interface RangeReply {
  /** The store revision the reply was read at (`header.revision`). */
  revision: number;
  /** How many keys came back (without decoding them). */
  size: number;
  /**
   * Keys and values [from, to), decoded when asked for (each once): a listing holds a few replies
   * ahead of its caller, and raw bytes outside the JS heap cost the garbage collector nothing,
   * where thousands of decoded objects kept alive across collections cost it dearly.
   */
  kvs(from?: number, to?: number): KeyValue[];
  /** The raw bytes of key `i` (a view: valid until every key and value has been decoded). */
  key(i: number): Buffer;
  /** The raw bytes of the last key, to continue a listing after it (keys need not be UTF-8). */
  lastKey: Buffer | undefined;
  more: boolean;
  /** Keys in the requested range at that revision, however many were returned. */
  count: number;
}

/** A protobuf writer for small request messages. */
class Writer {
  private readonly bytes: number[] = [];

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
    return this;
  }

  /** A varint field; zero is the default and is left out, as protobuf does. */
  int(field: number, value: number | bigint | boolean | undefined): this {
    if (!value) return this;
    return this.varint(field << 3).varint(typeof value === 'boolean' ? 1 : value);
  }

  bytesField(field: number, value: Buffer | undefined): this {
    if (value === undefined || value.length === 0) return this;
    this.varint((field << 3) | 2).varint(value.length);
    for (const b of value) this.bytes.push(b);
    return this;
  }

  finish(): Buffer {
    return Buffer.from(this.bytes);
  }
}

export const encodeRange = (r: RangeRequest): Buffer =>
  new Writer()
    .bytesField(1, r.key)
    .bytesField(2, r.rangeEnd)
    .int(3, r.limit)
    .int(4, r.revision)
    .int(9, r.countOnly)
    .finish();

export const encodeAuthenticate = (name: string, password: string): Buffer =>
  new Writer().bytesField(1, Buffer.from(name)).bytesField(2, Buffer.from(password)).finish();

export const encodeLeaseTimeToLive = (id: string): Buffer => new Writer().int(1, BigInt(id)).finish();

export const withByte = (q: Buffer, b: number): Buffer => Buffer.concat([q, Buffer.from([b])]);

/** The first key after `key`. */
export const after = (key: Buffer): Buffer => withByte(key, 0);

/** The first key after every key starting with `prefix`; `\0` (the end of the keyspace) if none. */
export function prefixEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if ((prefix[i] as number) < 0xff) return withByte(prefix.subarray(0, i), (prefix[i] as number) + 1);
  }
  return Buffer.from([0]);
}

const malformed = (): Error => new Error('malformed response from etcd');

/**
 * A cursor over one protobuf message. Numbers beyond 2^53 lose precision unless read as bigint.
 * A listing reads every key and value through it, so it allocates nothing per field: `span`
 * leaves the field's bytes in [start, pos).
 */
class Reader {
  pos: number;
  /** Where the bytes of the last length-delimited field (`span`) begin; they end at `pos`. */
  start = 0;

  constructor(
    readonly buf: Buffer,
    start = 0,
    public end = buf.length,
  ) {
    this.pos = start;
  }

  /** Moves the cursor to the message spanning [start, end) of the same buffer. */
  reset(start: number, end: number): this {
    this.pos = start;
    this.end = end;
    return this;
  }

  varint(): number {
    // Tags and short lengths take one byte: that case first.
    const byte = this.buf[this.pos];
    if (byte !== undefined && byte < 0x80 && this.pos < this.end) {
      this.pos++;
      return byte;
    }
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++, scale *= 128) {
      const b = this.buf[this.pos++];
      if (b === undefined || this.pos > this.end) break;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
    }
    throw malformed();
  }

  /** An int64 exactly, negative values included (they take ten bytes on the wire). */
  int64(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.buf[this.pos++];
      if (byte === undefined || this.pos > this.end) break;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asIntN(64, value);
    }
    throw malformed();
  }

  /** A length-delimited field: its bytes are [start, pos) after this. */
  span(): void {
    const length = this.varint();
    this.start = this.pos;
    this.pos += length;
    if (this.pos > this.end) throw malformed();
  }

  /** A length-delimited field's bytes (a view). */
  bytes(): Buffer {
    this.span();
    return this.buf.subarray(this.start, this.pos);
  }

  /** A length-delimited field as UTF-8 text. */
  text(): string {
    this.span();
    return this.buf.toString('utf8', this.start, this.pos);
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.span();
    else if (wireType === 1 || wireType === 5) this.pos += wireType === 1 ? 8 : 4;
    else throw malformed();
    if (this.pos > this.end) throw malformed();
  }
}

/** The last value of field `tag` (number and wire type) in a message spanning [start, end). */
function field<T>(
  buf: Buffer,
  tag: number,
  read: (r: Reader) => T,
  start = 0,
  end = buf.length,
): T | undefined {
  const r = new Reader(buf, start, end);
  let value: T | undefined;
  while (r.pos < end) {
    const t = r.varint();
    if (t === tag) value = read(r);
    else r.skip(t & 7);
  }
  return value;
}

/** `header.revision` of a ResponseHeader. */
const headerRevision = (header: Buffer): number => field(header, 3 << 3, (r) => r.varint()) ?? 0;

function decodeKeyValue(r: Reader): KeyValue {
  const kv: KeyValue = { key: '', value: '', createRevision: 0, modRevision: 0, version: 0 };
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) kv.key = r.text();
    else if (tag === ((5 << 3) | 2)) kv.value = r.text();
    else if (tag === 2 << 3) kv.createRevision = r.varint();
    else if (tag === 3 << 3) kv.modRevision = r.varint();
    else if (tag === 4 << 3) kv.version = r.varint();
    else if (tag === 6 << 3) {
      const lease = r.int64();
      if (lease !== 0n) kv.lease = lease.toString();
    } else r.skip(tag & 7);
  }
  return kv;
}

const keep = (): void => undefined;

/**
 * A RangeResponse, scanned for everything but the keys and values; `release` gets the buffer back
 * once nothing refers to it any more (after `kvs()`, or at once if there are none).
 */
export function decodeRange(buf: Buffer, release: (buf: Buffer) => void = keep): RangeReply {
  const r = new Reader(buf);
  let revision = 0;
  let more = false;
  let count = 0;
  // Where each KeyValue lies: start, end, start, end, …
  const spans: number[] = [];
  while (r.pos < buf.length) {
    const tag = r.varint();
    if (tag === ((2 << 3) | 2)) {
      r.span();
      spans.push(r.start, r.pos);
    } else if (tag === ((1 << 3) | 2)) revision = headerRevision(r.bytes());
    else if (tag === 3 << 3) more = r.varint() !== 0;
    else if (tag === 4 << 3) count = r.varint();
    else r.skip(tag & 7);
  }
  return new Reply(r, spans, revision, more, count, release);
}

/** The decoded parts of a reply, and its key values read from its buffer on demand. */
class Reply implements RangeReply {
  readonly size: number;
  readonly lastKey: Buffer | undefined;
  private decoded = 0;

  constructor(
    private readonly reader: Reader,
    private readonly spans: number[],
    readonly revision: number,
    readonly more: boolean,
    readonly count: number,
    private readonly release: (buf: Buffer) => void,
  ) {
    this.size = spans.length / 2;
    // A copy: a continuation key must not keep the reply's buffer alive.
    this.lastKey = this.size > 0 ? Buffer.from(this.key(this.size - 1)) : undefined;
    if (this.size === 0) release(reader.buf);
  }

  key(i: number): Buffer {
    const [buf, start, end] = [this.reader.buf, this.spans[2 * i] as number, this.spans[2 * i + 1] as number];
    return field(buf, (1 << 3) | 2, (r) => r.bytes(), start, end) ?? buf.subarray(start, start);
  }

  kvs(from = 0, to = this.size): KeyValue[] {
    const kvs: KeyValue[] = [];
    for (let i = from; i < to; i++)
      kvs.push(
        decodeKeyValue(this.reader.reset(this.spans[2 * i] as number, this.spans[2 * i + 1] as number)),
      );
    this.decoded += to - from;
    if (this.decoded >= this.size && this.size > 0) this.release(this.reader.buf);
    return kvs;
  }
}

/** The header revision of any response whose field 1 is the ResponseHeader (Txn, Status, …). */
export const decodeHeader = (buf: Buffer): number =>
  field(buf, (1 << 3) | 2, (r) => headerRevision(r.bytes())) ?? 0;

/** AuthenticateResponse.token (field 2). */
export const decodeToken = (buf: Buffer): string => field(buf, (2 << 3) | 2, (r) => r.text()) ?? '';

/** LeaseTimeToLiveResponse.TTL (field 3): seconds left, -1 when the lease is gone. */
export const decodeLeaseTtl = (buf: Buffer): number => Number(field(buf, 3 << 3, (r) => r.int64()) ?? 0n);
