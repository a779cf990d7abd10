/**
 * A Range reply as the listing code uses it, over etcd's RangeResponse decoded by the generated
 * code (gen/): keys and values stay views into the reply's buffer until a page is handed out,
 * and are turned into the contract's strings only then, each once.
 */
import type { KeyValue } from '../contract.js';
import { RangeResponse } from './gen/etcd/etcdserver/etcdserverpb/rpc.js';
import type { KeyValue as WireKeyValue } from './gen/etcd/mvcc/mvccpb/kv.js';

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

/** `buf` holds one RangeResponse; `release` gets it back once nothing refers to it any more. */
export function decodeRange(buf: Buffer, release: (buf: Buffer) => void = () => undefined): RangeReply {
  return new Reply(buf, decode(RangeResponse, buf), release);
}

/** A reply decoded by its generated code; bytes that are no such message say so in one line. */
export function decode<T>(type: { decode(input: Uint8Array): T }, buf: Uint8Array): T {
  try {
    // A plain Uint8Array over the Buffer's bytes: the decoder's bytes fields are subarrays of what
    // it is given, and a Buffer's subarray is a Buffer, built through Node's subclass (FastBuffer).
    return type.decode(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (err) {
    throw new Error(`malformed response from etcd: ${(err as Error).message}`);
  }
}

class Reply implements RangeReply {
  readonly revision: number;
  readonly size: number;
  readonly more: boolean;
  readonly count: number;
  readonly lastKey: Buffer | undefined;
  private wire: WireKeyValue[];
  private converted = 0;

  constructor(
    private readonly buf: Buffer,
    message: RangeResponse,
    private readonly release: (buf: Buffer) => void,
  ) {
    this.revision = Number(message.header?.revision ?? 0n);
    this.wire = message.kvs;
    this.size = this.wire.length;
    this.more = message.more;
    this.count = Number(message.count);
    // A copy: a continuation key must not keep the reply's buffer alive.
    this.lastKey = this.size > 0 ? Buffer.from(this.key(this.size - 1)) : undefined;
    if (this.size === 0) release(buf);
  }

  key(i: number): Buffer {
    const k = (this.wire[i] as WireKeyValue).key;
    return k === undefined ? Buffer.alloc(0) : Buffer.from(k.buffer, k.byteOffset, k.byteLength);
  }

  kvs(from = 0, to = this.size): KeyValue[] {
    const out: KeyValue[] = [];
    const { buf } = this;
    const base = buf.byteOffset;
    // Straight from the reply's buffer (the fields are views into it): no Buffer object per field.
    // A field etcd left out (an empty value) is undefined: the .proto declares them `optional`.
    const text = (b: Uint8Array | undefined): string =>
      b === undefined || b.byteLength === 0
        ? ''
        : buf.toString('utf8', b.byteOffset - base, b.byteOffset - base + b.byteLength);
    for (let i = from; i < to; i++) {
      const w = this.wire[i] as WireKeyValue;
      const kv: KeyValue = {
        key: text(w.key),
        value: text(w.value),
        createRevision: Number(w.createRevision),
        modRevision: Number(w.modRevision),
        version: Number(w.version),
      };
      if (w.lease !== 0n) kv.lease = w.lease.toString();
      out.push(kv);
    }
    this.converted += to - from;
    if (this.converted >= this.size && this.size > 0) {
      this.wire = [];
      this.release(buf);
    }
    return out;
  }
}
