/**
 * A Range reply as the listing code uses it. A listing reads 184,320 key values in 37 replies, so
 * the reply is not decoded into generated message objects (a KeyValue object with four bigints,
 * then the contract's object, per key): @bufbuild/protobuf's BinaryReader finds where each key
 * value lies, and a page's key values are read from the reply's bytes only when it is handed out,
 * straight into the contract's form. Field numbers come from the generated descriptors (gen/);
 * every other message goes through the generated decoder (`decode`).
 */
import { fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { KeyValue } from '../contract.js';
import { RangeResponseSchema, ResponseHeaderSchema } from './gen/etcd/etcdserver/etcdserverpb/rpc_pb.js';
import { KeyValueSchema } from './gen/etcd/mvcc/mvccpb/kv_pb.js';

export interface RangeRequest {
  key: Uint8Array;
  rangeEnd?: Uint8Array;
  limit?: number;
  revision?: number;
  countOnly?: boolean;
}

export interface RangeReply {
  /** The store revision the reply was read at (`header.revision`). */
  revision: number;
  /** How many keys came back. */
  size: number;
  /** Keys and values [from, to) in the contract's form (each converted once). */
  kvs(from?: number, to?: number): KeyValue[];
  /** The raw bytes of key `i` (a view into the reply). */
  key(i: number): Buffer;
  /** The raw bytes of the last key, to continue a listing after it (keys need not be UTF-8). */
  lastKey: Buffer | undefined;
  more: boolean;
  /** Keys in the requested range at that revision, however many were returned. */
  count: number;
}

const READ = { readUnknownFields: false };

/** A reply decoded by its generated schema; bytes that are no such message say so in one line. */
export function decode<D extends DescMessage>(schema: D, buf: Uint8Array): MessageShape<D> {
  try {
    return fromBinary(schema, buf, READ);
  } catch (err) {
    throw malformed(err);
  }
}

/** `buf` holds one RangeResponse; `release` gets it back once nothing refers to it any more. */
export function decodeRange(buf: Buffer, release: (buf: Buffer) => void = () => undefined): RangeReply {
  try {
    return new Reply(buf, release);
  } catch (err) {
    throw malformed(err);
  }
}

function malformed(err: unknown): Error {
  return new Error(`malformed response from etcd: ${(err as Error).message}`);
}

/** A field's number, by its name in the generated schema (so none is written here by hand). */
function fieldNo(schema: DescMessage, localName: string): number {
  const field = schema.fields.find((f) => f.localName === localName);
  if (field === undefined) throw new Error(`${schema.typeName} has no field ${localName}`);
  return field.number;
}

const RANGE = {
  header: fieldNo(RangeResponseSchema, 'header'),
  kvs: fieldNo(RangeResponseSchema, 'kvs'),
  more: fieldNo(RangeResponseSchema, 'more'),
  count: fieldNo(RangeResponseSchema, 'count'),
};
const KV = {
  key: fieldNo(KeyValueSchema, 'key'),
  createRevision: fieldNo(KeyValueSchema, 'createRevision'),
  modRevision: fieldNo(KeyValueSchema, 'modRevision'),
  version: fieldNo(KeyValueSchema, 'version'),
  value: fieldNo(KeyValueSchema, 'value'),
  lease: fieldNo(KeyValueSchema, 'lease'),
};
const RANGE_FIELDS = new Set(Object.values(RANGE));
const KV_FIELDS = new Set(Object.values(KV));

/** Skips a field this code does not read; one it reads, with another wire type, is malformed. */
function skip(r: BinaryReader, no: number, type: WireType, known: Set<number>): void {
  if (known.has(no)) throw new Error(`field ${no} has wire type ${type}`);
  r.skip(type, no);
}

/** A length-delimited field's bytes as [start, end) in the reader's buffer, without a view object. */
function span(r: BinaryReader): number {
  const length = r.uint32();
  const start = r.pos;
  r.pos += length;
  if (r.pos > r.len) throw new RangeError('premature EOF');
  return start;
}

/**
 * An int64 as a number. Revisions and versions are far below 2^53; one of up to four bytes is
 * exact from `uint32` (< 2^28) and costs no bigint, anything longer is read as int64.
 */
function int(r: BinaryReader): number {
  const start = r.pos;
  const small = r.uint32();
  if (r.pos - start <= 4) return small;
  r.pos = start;
  return Number(r.int64());
}

class Reply implements RangeReply {
  readonly revision: number;
  readonly size: number;
  readonly more: boolean = false;
  readonly count: number = 0;
  readonly lastKey: Buffer | undefined;
  private readonly reader: BinaryReader;
  /** Where key value i lies in the reply: bytes [at[2i], at[2i + 1]). */
  private at: number[] = [];
  private converted = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly release: (buf: Buffer) => void,
  ) {
    const r = (this.reader = new BinaryReader(buf));
    let revision = 0n;
    while (r.pos < r.len) {
      const [no, type] = r.tag();
      if (no === RANGE.kvs && type === WireType.LengthDelimited) {
        const start = span(r);
        this.at.push(start, r.pos);
      } else if (no === RANGE.header && type === WireType.LengthDelimited) {
        revision = fromBinary(ResponseHeaderSchema, r.bytes(), READ).revision;
      } else if (no === RANGE.more && type === WireType.Varint) this.more = r.bool();
      else if (no === RANGE.count && type === WireType.Varint) this.count = Number(r.int64());
      else skip(r, no, type, RANGE_FIELDS);
    }
    this.revision = Number(revision);
    this.size = this.at.length / 2;
    // A copy: a continuation key must not keep the reply's buffer alive.
    this.lastKey = this.size > 0 ? Buffer.from(this.key(this.size - 1)) : undefined;
    if (this.size === 0) release(buf);
  }

  key(i: number): Buffer {
    const r = this.reader;
    const end = this.at[2 * i + 1] as number;
    r.pos = this.at[2 * i] as number;
    let key = this.buf.subarray(0, 0);
    try {
      while (r.pos < end) {
        const [no, type] = r.tag();
        if (no === KV.key && type === WireType.LengthDelimited) key = this.buf.subarray(span(r), r.pos);
        else r.skip(type, no);
        if (r.pos > end) throw new RangeError('premature EOF');
      }
    } catch (err) {
      throw malformed(err);
    }
    return key;
  }

  kvs(from = 0, to = this.size): KeyValue[] {
    const out: KeyValue[] = [];
    try {
      for (let i = from; i < to; i++)
        out.push(this.read(this.at[2 * i] as number, this.at[2 * i + 1] as number));
    } catch (err) {
      throw malformed(err);
    }
    this.converted += to - from;
    if (this.converted >= this.size && this.size > 0) {
      this.at = [];
      this.release(this.buf);
    }
    return out;
  }

  /** The key value in bytes [start, end), its fields in any order, unknown ones skipped. */
  private read(start: number, end: number): KeyValue {
    const { reader: r, buf } = this;
    const kv: KeyValue = { key: '', value: '', createRevision: 0, modRevision: 0, version: 0 };
    let lease = 0n;
    r.pos = start;
    while (r.pos < end) {
      const [no, type] = r.tag();
      if (type === WireType.Varint) {
        if (no === KV.modRevision) kv.modRevision = int(r);
        else if (no === KV.createRevision) kv.createRevision = int(r);
        else if (no === KV.version) kv.version = int(r);
        else if (no === KV.lease) lease = BigInt(r.int64());
        else skip(r, no, type, KV_FIELDS);
      } else if (type === WireType.LengthDelimited && (no === KV.key || no === KV.value)) {
        const at = span(r);
        // Straight from the reply's bytes: no view object per field.
        const text = r.pos === at ? '' : buf.toString('utf8', at, r.pos);
        if (no === KV.key) kv.key = text;
        else kv.value = text;
      } else skip(r, no, type, KV_FIELDS);
      // A field must end inside its key value, whatever the bytes after it would complete.
      if (r.pos > end) throw new RangeError('premature EOF');
    }
    if (lease !== 0n) kv.lease = lease.toString();
    return kv;
  }
}
