import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import xxhash from 'xxhash-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  getHasher,
  hashStr,
  hashTraceId,
  hashTraceIdMod,
  hashTraceIdInto,
  modFromHalves,
  RustHashEncoder,
  sipHash13PrefixedInto,
  xxh64PrefixedInto,
  type HashName,
  type Hasher64,
} from '../../src/core/hash/index.js';

// The schema of both golden files is described in test/golden/README.md.
interface Golden {
  bytes: { hex: string; hash: string }[];
  strings: { s: string; stream: string; hash: string }[];
  trace_ids: { trace_id: string; stream: string; hash: string; bucket_256: number; bucket_1000: number }[];
  metric_keys: {
    name: string;
    service_name: string;
    time_bucket: string;
    labels: [string, string][];
    labels_stream: string;
    label_hash: string;
    stream: string;
    key_hash: string;
    bucket_256: number;
  }[];
  log_keys: {
    service_name: string;
    time_bucket: string;
    severity_level: number;
    body: string;
    body_stream: string;
    content_hash: string;
    stream: string;
    key_hash: string;
    bucket_256: number;
  }[];
}
interface SipGolden extends Golden {
  ring: {
    nodes: string[];
    virtual_nodes: number;
    point_count: number;
    points: { hash: string; node: string }[];
    replicas: { key: string; key_hash: string; replica_count: number; nodes: string[] }[];
  }[];
}
interface XxhGolden extends Golden {
  ring_keys: { s: string; hash: string }[];
}

const load = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../golden/${name}`, import.meta.url), 'utf8')) as T;
const goldens: Record<HashName, Golden> = {
  'rust-siphash13': load<SipGolden>('siphash13.json'),
  xxh64: load<XxhGolden>('xxh64.json'),
};

const fromHex = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const streamOf = (enc: RustHashEncoder): string => toHex(enc.toBytes());

describe.each(['rust-siphash13', 'xxh64'] as const)('%s against golden vectors', (name) => {
  const h: Hasher64 = getHasher(name);
  const golden = goldens[name];
  const out = new Uint32Array(2);

  it('hashes raw byte streams of every length 0..64 and some long ones', () => {
    for (const { hex, hash } of golden.bytes) {
      const bytes = fromHex(hex);
      expect(h.hash(bytes), hex).toBe(BigInt(hash));
      // hashInto honours `length`, ignoring whatever follows in the buffer.
      const padded = new Uint8Array(bytes.length + 11).fill(0xab);
      padded.set(bytes);
      h.hashInto(padded, bytes.length, out);
      expect((BigInt(out[0]!) << 32n) | BigInt(out[1]!)).toBe(BigInt(hash));
    }
  });

  it('hashes strings as UTF-8 then 0xFF', () => {
    const enc = new RustHashEncoder(4);
    for (const { s, stream, hash } of golden.strings) {
      expect(streamOf(enc.reset().str(s)), s).toBe(stream);
      expect(hashStr(h, s), s).toBe(BigInt(hash));
    }
  });

  it('hashes trace ids as usize 16 then the bytes, and buckets them like HashPartitioner', () => {
    const enc = new RustHashEncoder();
    for (const t of golden.trace_ids) {
      const id = fromHex(t.trace_id);
      enc.reset().traceId(id);
      expect(streamOf(enc)).toBe(t.stream);
      expect(hashTraceId(h, id)).toBe(BigInt(t.hash));
      expect(h.hashMod(enc.bytes, enc.length, 256)).toBe(t.bucket_256);
      expect(h.hashMod(enc.bytes, enc.length, 1000)).toBe(t.bucket_1000);
      expect(hashTraceIdMod(h, id, 1000)).toBe(t.bucket_1000);
    }
  });

  it('hashes MetricPartitionKey and its sorted labels as #[derive(Hash)] does', () => {
    const enc = new RustHashEncoder();
    for (const m of golden.metric_keys) {
      enc.reset();
      for (const [k, v] of m.labels) enc.str(k).str(v);
      expect(streamOf(enc)).toBe(m.labels_stream);
      expect(h.hash(enc.toBytes())).toBe(BigInt(m.label_hash));

      enc.reset().str(m.name).str(m.service_name).str(m.time_bucket).u64(BigInt(m.label_hash));
      expect(streamOf(enc)).toBe(m.stream);
      expect(h.hash(enc.toBytes())).toBe(BigInt(m.key_hash));
      expect(h.hashMod(enc.bytes, enc.length, 256)).toBe(m.bucket_256);
    }
  });

  it('hashes LogPartitionKey and its body as #[derive(Hash)] does', () => {
    const enc = new RustHashEncoder();
    for (const l of golden.log_keys) {
      expect(hashStr(h, l.body)).toBe(BigInt(l.content_hash));
      enc.reset().str(l.service_name).str(l.time_bucket).u8(l.severity_level).u64(BigInt(l.content_hash));
      expect(streamOf(enc)).toBe(l.stream);
      expect(h.hash(enc.toBytes())).toBe(BigInt(l.key_hash));
      expect(h.hashMod(enc.bytes, enc.length, 256)).toBe(l.bucket_256);
    }
  });
});

describe('ring vectors hash as the seed hash_string does', () => {
  const golden = goldens['rust-siphash13'] as SipGolden;
  const h = getHasher('rust-siphash13');

  it.each(golden.ring.map((r) => [r.nodes.length, r.virtual_nodes, r] as const))(
    '%i nodes × %i virtual nodes: first points and key hashes',
    (_n, vnodes, ring) => {
      const points = ring.nodes
        .flatMap((node) =>
          Array.from({ length: vnodes }, (_, i) => ({ hash: hashStr(h, `${node}:${i}`), node })),
        )
        .sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
      expect(points.length).toBe(ring.point_count);
      expect(points.slice(0, 20).map((p) => ({ hash: String(p.hash), node: p.node }))).toEqual(ring.points);
      for (const r of ring.replicas) expect(hashStr(h, r.key)).toBe(BigInt(r.key_hash));
    },
  );

  it('xxh64 ring keys match the reference', () => {
    const xxh = getHasher('xxh64');
    for (const { s, hash } of (goldens.xxh64 as XxhGolden).ring_keys)
      expect(hashStr(xxh, s), s).toBe(BigInt(hash));
  });
});

describe('xxh64 equals xxhash-wasm', () => {
  let h64Raw: (input: Uint8Array, seed?: bigint) => bigint;
  beforeAll(async () => {
    ({ h64Raw } = await xxhash());
  });
  const xxh = getHasher('xxh64');

  it('on byte arrays of length 0..100', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 100 }), (bytes) => {
        expect(xxh.hash(bytes)).toBe(h64Raw(bytes, 0n));
      }),
      { numRuns: 2000 },
    );
  });

  it('on byte arrays of a few KB', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1000, maxLength: 5000 }), (bytes) => {
        expect(xxh.hash(bytes)).toBe(h64Raw(bytes, 0n));
      }),
      { numRuns: 100 },
    );
  });
});

describe('siphash13 equals a plain BigInt SipHash-1-3', () => {
  // A deliberately naive transcription of the SipHash paper, independent of the 32-bit one.
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M;
  function reference(bytes: Uint8Array): bigint {
    const v = [0x736f6d6570736575n, 0x646f72616e646f6dn, 0x6c7967656e657261n, 0x7465646279746573n];
    const round = (): void => {
      v[0] = (v[0]! + v[1]!) & M;
      v[1] = rotl(v[1]!, 13n) ^ v[0];
      v[0] = rotl(v[0], 32n);
      v[2] = (v[2]! + v[3]!) & M;
      v[3] = rotl(v[3]!, 16n) ^ v[2];
      v[0] = (v[0] + v[3]) & M;
      v[3] = rotl(v[3], 21n) ^ v[0];
      v[2] = (v[2] + v[1]) & M;
      v[1] = rotl(v[1], 17n) ^ v[2];
      v[2] = rotl(v[2], 32n);
    };
    const padded = new Uint8Array(bytes.length - (bytes.length % 8) + 8);
    padded.set(bytes);
    padded[padded.length - 1] = bytes.length & 0xff;
    const view = new DataView(padded.buffer);
    for (let i = 0; i < padded.length; i += 8) {
      const m = view.getBigUint64(i, true);
      v[3]! ^= m;
      round();
      v[0]! ^= m;
    }
    v[2]! ^= 0xffn;
    round();
    round();
    round();
    return v[0]! ^ v[1]! ^ v[2]! ^ v[3]!;
  }

  it('on byte arrays of length 0..300', () => {
    const sip = getHasher('rust-siphash13');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        expect(sip.hash(bytes)).toBe(reference(bytes));
      }),
      { numRuns: 500 },
    );
  });
});

describe.each([
  ['rust-siphash13', sipHash13PrefixedInto],
  ['xxh64', xxh64PrefixedInto],
] as const)('%s with a length prefix (how [u8; N] hashes)', (name, prefixedInto) => {
  const h = getHasher(name);

  it('equals the hash of the 8 prefix bytes followed by the input, at any length', () => {
    const out = new Uint32Array(2);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.uint8Array({ maxLength: 100 }),
        (prefix, bytes) => {
          const stream = new RustHashEncoder().usize(prefix).write(bytes).toBytes();
          prefixedInto(prefix, bytes, bytes.length, out);
          expect((BigInt(out[0]!) << 32n) | BigInt(out[1]!)).toBe(h.hash(stream));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('hashTraceIdInto takes the same path as any other Hasher64', () => {
    // A wrapper is not the built-in instance, so it takes the generic copy-behind-prefix path.
    const wrapped: Hasher64 = {
      name: h.name,
      hashInto: (b, l, o) => h.hashInto(b, l, o),
      hash: (b) => h.hash(b),
      hashMod: (b, l, n) => h.hashMod(b, l, n),
    };
    const a = new Uint32Array(2);
    const b = new Uint32Array(2);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (id) => {
        hashTraceIdInto(h, id, a);
        hashTraceIdInto(wrapped, id, b);
        expect([...a]).toEqual([...b]);
      }),
    );
    expect(() => hashTraceIdInto(h, new Uint8Array(17), a)).toThrow(RangeError);
  });
});

describe.each(['rust-siphash13', 'xxh64'] as const)('%s hashMod', (name) => {
  const h = getHasher(name);
  it('equals BigInt(hash) % n for 1 ≤ n ≤ 2^21', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.oneof(
          fc.integer({ min: 1, max: 2 ** 21 }),
          fc.constantFrom(1, 2, 255, 256, 1000, 2 ** 21 - 1, 2 ** 21),
        ),
        (bytes, n) => {
          expect(h.hashMod(bytes, bytes.length, n)).toBe(Number(h.hash(bytes) % BigInt(n)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a length beyond the bytes given, instead of hashing zeros', () => {
    expect(() => h.hashInto(new Uint8Array(8), 9, new Uint32Array(2))).toThrow(RangeError);
  });

  it('refuses moduli it cannot compute exactly', () => {
    const bytes = new Uint8Array(3);
    for (const n of [0, -1, 2.5, 2 ** 21 + 1, Number.NaN])
      expect(() => h.hashMod(bytes, 3, n)).toThrow(RangeError);
  });
});

describe('RustHashEncoder', () => {
  const anyUtf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
  const u64Max = (1n << 64n) - 1n;

  it('utf8 + decimal + 0xFF is the encoding of the formatted string (ring point keys)', () => {
    const enc = new RustHashEncoder(1);
    fc.assert(
      fc.property(fc.string(), fc.maxSafeNat(), (prefix, n) => {
        const direct = [...enc.reset().str(`${prefix}${n}`).toBytes()];
        expect([...enc.reset().utf8(prefix).decimal(n).u8(0xff).toBytes()]).toEqual(direct);
      }),
    );
  });

  it('writes any string as its UTF-8 (lone surrogates as U+FFFD, like TextEncoder) then 0xFF', () => {
    const enc = new RustHashEncoder(1);
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: anyUtf16Unit }), fc.string()),
        (s) => {
          const expected = [...new TextEncoder().encode(s), 0xff];
          expect([...enc.reset().str(s).toBytes()]).toEqual(expected);
        },
      ),
    );
  });

  it('round-trips u64, usize and u8 as little-endian bytes', () => {
    const enc = new RustHashEncoder(2);
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: u64Max }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 255 }),
        (v, n, b) => {
          const bytes = enc.reset().u64(v).usize(n).u8(b).toBytes();
          const view = new DataView(bytes.buffer);
          expect(bytes.length).toBe(17);
          expect(view.getBigUint64(0, true)).toBe(v);
          expect(view.getBigUint64(8, true)).toBe(BigInt(n));
          expect(view.getUint8(16)).toBe(b);
        },
      ),
    );
  });

  it('takes u64 values mod 2^64, as Rust casts do', () => {
    const enc = new RustHashEncoder();
    expect(toHex(enc.u64(-1n).toBytes())).toBe('ffffffffffffffff');
    expect(
      toHex(
        enc
          .reset()
          .u64(1n << 64n)
          .toBytes(),
      ),
    ).toBe('0000000000000000');
  });

  it('keeps earlier bytes when it grows, and reuses its buffer after reset', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 40 }), (parts) => {
        const enc = new RustHashEncoder(1);
        for (const p of parts) enc.str(p);
        const expected = parts.flatMap((p) => [...new TextEncoder().encode(p), 0xff]);
        expect([...enc.toBytes()]).toEqual(expected);
        const buffer = enc.bytes;
        enc.reset().u8(7);
        expect(enc.bytes).toBe(buffer);
        expect([...enc.toBytes()]).toEqual([7]);
      }),
    );
  });

  it('refuses a trace id that is not 16 bytes', () => {
    expect(() => new RustHashEncoder().traceId(new Uint8Array(15))).toThrow(RangeError);
  });
});

describe('getHasher', () => {
  it('returns one shared instance per name', () => {
    expect(getHasher('xxh64')).toBe(getHasher('xxh64'));
    expect(getHasher('rust-siphash13').name).toBe('rust-siphash13');
    expect(() => getHasher('md5' as HashName)).toThrow(/xxh64 or rust-siphash13/);
  });

  it('modFromHalves covers the full 64-bit range', () => {
    expect(modFromHalves(0xffffffff, 0xffffffff, 2 ** 21)).toBe(Number(((1n << 64n) - 1n) % 2n ** 21n));
    expect(modFromHalves(-1, -1, 1000)).toBe(Number(((1n << 64n) - 1n) % 1000n));
  });
});
