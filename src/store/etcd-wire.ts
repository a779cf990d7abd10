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

/** A cursor over one protobuf message. Numbers beyond 2^53 lose precision unless read as bigint. */
class Reader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++, scale *= 128) {
      const byte = this.buf[this.pos++];
      if (byte === undefined || this.pos > this.end) break;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
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

  /** Start and end of a length-delimited field's bytes; the cursor moves past them. */
  span(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.end) throw malformed();
    return [start, this.pos];
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

/** `header.revision` of a ResponseHeader spanning [start, end). */
const headerRevision = (buf: Buffer, start: number, end: number): number =>
  field(buf, 3 << 3, (r) => r.varint(), start, end) ?? 0;

/** Where the key of a KeyValue spanning [start, end) lies. */
const keySpan = (buf: Buffer, start: number, end: number): [number, number] =>
  field(buf, (1 << 3) | 2, (r) => r.span(), start, end) ?? [start, start];

function decodeKeyValue(buf: Buffer, start: number, end: number): KeyValue {
  const r = new Reader(buf, start, end);
  const kv: KeyValue = { key: '', value: '', createRevision: 0, modRevision: 0, version: 0 };
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) kv.key = buf.toString('utf8', ...r.span());
    else if (tag === ((5 << 3) | 2)) kv.value = buf.toString('utf8', ...r.span());
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

/**
 * A RangeResponse, scanned for everything but the keys and values; `release` gets the buffer back
 * once nothing refers to it any more (after `kvs()`, or at once if there are none).
 */
export function decodeRange(buf: Buffer, release: (buf: Buffer) => void = () => undefined): RangeReply {
  const r = new Reader(buf);
  let revision = 0;
  let more = false;
  let count = 0;
  const spans: number[] = [];
  while (r.pos < buf.length) {
    const tag = r.varint();
    if (tag === ((2 << 3) | 2)) spans.push(...r.span());
    else if (tag === ((1 << 3) | 2)) revision = headerRevision(buf, ...r.span());
    else if (tag === 3 << 3) more = r.varint() !== 0;
    else if (tag === 4 << 3) count = r.varint();
    else r.skip(tag & 7);
  }
  // A copy: a continuation key must not keep the reply's buffer alive.
  const last = spans.length > 0 ? keySpan(buf, spans.at(-2) as number, spans.at(-1) as number) : undefined;
  const lastKey = last && Buffer.from(buf.subarray(...last));
  if (spans.length === 0) release(buf);
  const size = spans.length / 2;
  let decoded = 0;
  return {
    revision,
    more,
    count,
    lastKey,
    size,
    key: (i) => buf.subarray(...keySpan(buf, spans[2 * i] as number, spans[2 * i + 1] as number)),
    kvs: (from = 0, to = size) => {
      const kvs: KeyValue[] = [];
      for (let i = from; i < to; i++)
        kvs.push(decodeKeyValue(buf, spans[2 * i] as number, spans[2 * i + 1] as number));
      decoded += to - from;
      if (decoded >= size && size > 0) release(buf);
      return kvs;
    },
  };
}

/** The header revision of any response whose field 1 is the ResponseHeader (Txn, Status, …). */
export const decodeHeader = (buf: Buffer): number =>
  field(buf, (1 << 3) | 2, (r) => headerRevision(buf, ...r.span())) ?? 0;

/** AuthenticateResponse.token (field 2). */
export const decodeToken = (buf: Buffer): string =>
  field(buf, (2 << 3) | 2, (r) => buf.toString('utf8', ...r.span())) ?? '';

/** LeaseTimeToLiveResponse.TTL (field 3): seconds left, -1 when the lease is gone. */
export const decodeLeaseTtl = (buf: Buffer): number => Number(field(buf, 3 << 3, (r) => r.int64()) ?? 0n);
