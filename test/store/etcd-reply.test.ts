/**
 * The Range reply (src/store/etcd/reply.ts, over the generated decoder) against messages encoded
 * here field by field as protobuf does, independently of the generated code: multi-byte varints, int64 leases beyond 2^53, UTF-8 keys and
 * values, fields it does not know, slices decoded on demand, and messages cut short.
 */
import { describe, expect, it, vi } from 'vitest';
import type { KeyValue } from '../../src/store/contract.js';
import { decodeRange } from '../../src/store/etcd/reply.js';

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const int = (field: number, value: number | bigint): Buffer =>
  Buffer.from([...varint(field << 3), ...varint(value)]);
const bytes = (field: number, value: Buffer): Buffer =>
  Buffer.concat([Buffer.from([...varint((field << 3) | 2), ...varint(value.length)]), value]);
const fixed = (field: number, wireType: 1 | 5): Buffer =>
  Buffer.from([...varint((field << 3) | wireType), ...Array<number>(wireType === 1 ? 8 : 4).fill(0xab)]);

/** A KeyValue message as etcd sends it, with fields it may add later mixed in. */
function keyValue(kv: KeyValue): Buffer {
  return Buffer.concat([
    bytes(1, Buffer.from(kv.key)),
    int(2, kv.createRevision),
    int(3, kv.modRevision),
    fixed(15, 5),
    int(4, kv.version),
    bytes(5, Buffer.from(kv.value)),
    kv.lease === undefined ? Buffer.alloc(0) : int(6, BigInt(kv.lease)),
    int(14, 2 ** 40),
  ]);
}

function rangeResponse(kvs: KeyValue[], o: { revision: number; more: boolean; count: number }): Buffer {
  const header = Buffer.concat([int(1, 0xdeadbeefn), int(2, 7), int(3, o.revision), int(4, 3)]);
  return Buffer.concat([
    bytes(1, header),
    ...kvs.map((kv) => bytes(2, keyValue(kv))),
    fixed(9, 1),
    int(3, o.more ? 1 : 0),
    int(4, o.count),
    bytes(10, Buffer.from([1, 2, 3])),
  ]);
}

const KVS: KeyValue[] = [
  {
    key: '/otlp/partitions/partition_1_0001',
    value: '{"a":1}',
    createRevision: 2,
    modRevision: 5,
    version: 4,
  },
  // Revisions past 2^32 and 2^35 (five- and six-byte varints), a lease past 2^53.
  {
    key: '/otlp/日本/é',
    value: `{"name":"ünïcode ✓ 😀","pad":"${'x'.repeat(200)}"}`,
    createRevision: 2 ** 33 + 1,
    modRevision: 2 ** 40 + 5,
    version: 300,
    lease: '7587869281312345678',
  },
  // A value past 16 KiB: a three-byte length.
  { key: '/otlp/big', value: 'v'.repeat(20_000), createRevision: 127, modRevision: 128, version: 1 },
  { key: '/otlp/empty', value: '', createRevision: 1, modRevision: 1, version: 1 },
];

describe('decodeRange', () => {
  it('decodes the header revision, more, count and every key value exactly', () => {
    const reply = decodeRange(rangeResponse(KVS, { revision: 2 ** 35 + 9, more: true, count: 184_320 }));
    expect(reply).toMatchObject({ revision: 2 ** 35 + 9, more: true, count: 184_320, size: 4 });
    expect(reply.kvs()).toEqual(KVS);
  });

  it('decodes slices on demand, gives raw keys, and copies the last key', () => {
    const buf = rangeResponse(KVS, { revision: 10, more: false, count: 4 });
    const release = vi.fn();
    const reply = decodeRange(buf, release);
    expect(reply.key(1).toString('utf8')).toBe(KVS[1]!.key);
    expect(reply.lastKey).toEqual(Buffer.from(KVS[3]!.key));
    expect(reply.kvs(1, 3)).toEqual(KVS.slice(1, 3));
    expect(release).not.toHaveBeenCalled();
    expect(reply.kvs(0, 1)).toEqual(KVS.slice(0, 1));
    expect(reply.kvs(3, 4)).toEqual(KVS.slice(3));
    // Handed back once every key value has been decoded, and only then.
    expect(release).toHaveBeenCalledTimes(1);
    expect(release).toHaveBeenCalledWith(buf);
    buf.fill(0);
    expect(reply.lastKey).toEqual(Buffer.from(KVS[3]!.key));
  });

  it('hands an empty reply’s buffer back at once', () => {
    const release = vi.fn();
    const reply = decodeRange(rangeResponse([], { revision: 3, more: false, count: 0 }), release);
    expect(reply).toMatchObject({ revision: 3, size: 0, count: 0, lastKey: undefined });
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('takes every reply of a listing through the same decoder', () => {
    // Many replies in a row (a listing of 184,320 keys is 37 of them) decode alike.
    for (let i = 0; i < 50; i++) {
      const kvs = KVS.map((kv) => ({ ...kv, modRevision: kv.modRevision + i }));
      expect(decodeRange(rangeResponse(kvs, { revision: i, more: true, count: 9 })).kvs()).toEqual(kvs);
    }
  });

  it.each([
    ['cut inside a key value', (b: Buffer) => b.subarray(0, b.length - 30)],
    ['cut inside a varint', (b: Buffer) => Buffer.concat([b, Buffer.from([0x20, 0x80])])],
  ])('rejects a message %s', (_, cut) => {
    const buf = cut(rangeResponse(KVS, { revision: 1, more: false, count: 4 }));
    expect(() => decodeRange(buf).kvs()).toThrow(/^malformed response from etcd: /);
  });

  it.each([
    ['missing', [3 << 3]],
    ['cut short', [3 << 3, 0x85]],
  ])('does not read a key value’s varint past the end of its message (%s)', (_, tail) => {
    // A KeyValue whose last field's varint is cut by the message's length; the bytes after it
    // (the next key value's) must not complete it.
    const inner = Buffer.concat([bytes(1, Buffer.from('k')), Buffer.from(tail)]);
    const buf = Buffer.concat([bytes(2, inner), bytes(2, keyValue(KVS[0]!))]);
    expect(() => decodeRange(buf).kvs()).toThrow(/^malformed response from etcd: /);
  });

  it('reads revisions of every varint length the same way, up to 2^53', () => {
    const revisions = [0, 1, 127, 128, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 32, 2 ** 53 - 1];
    const kvs = revisions.map((r, i) => ({
      key: `k${i}`,
      value: 'v',
      createRevision: r,
      modRevision: r,
      version: r,
    }));
    expect(
      decodeRange(rangeResponse(kvs, { revision: 2 ** 28, more: false, count: kvs.length })).kvs(),
    ).toEqual(kvs);
  });
});
