import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RustHashEncoder } from '../../src/core/hash/encoding.js';
import { getHasher } from '../../src/core/hash/index.js';
import { MAX_RING_POINTS, ringPointKeys, ringPointsWasm } from '../../src/core/hash/ring-points.js';

// The WebAssembly hashes against the JavaScript ones (themselves checked against the golden
// vectors from Rust and against xxhash-wasm in hash.test.ts).
describe.each(['xxh64', 'rust-siphash13'] as const)('ring points in WebAssembly (%s)', (name) => {
  const js = getHasher(name);
  const wasm = ringPointsWasm();

  it('hashes any bytes as the JavaScript hasher does (every length, both sides of 32)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        new Uint8Array(wasm.memory.buffer).set(bytes, 64);
        const got = BigInt.asUintN(64, (name === 'xxh64' ? wasm.xxh64 : wasm.sip13)(64, bytes.length));
        expect(got).toBe(js.hash(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('ringPointKeys numbers every node\'s points "<prefix><i>" in turn: key = high·2^21 + k, and the low half', () => {
    const enc = new RustHashEncoder();
    const out = new Uint32Array(2);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 60 }), fc.integer({ min: 0, max: 300 })), { maxLength: 6 }),
        (nodes) => {
          const prefixes = nodes.map(([p]) => enc.reset().utf8(p).toBytes());
          const { keys, lo } = ringPointKeys(
            name,
            prefixes,
            nodes.map(([, n]) => n),
          );
          const copy = { keys: keys.slice(), lo: lo.slice() };
          expect(copy.keys).toHaveLength(nodes.reduce((a, [, n]) => a + n, 0));
          let k = 0;
          for (const [prefix, count] of nodes) {
            for (let i = 0; i < count; i++, k++) {
              if (i > 12 && i !== count - 1 && i % 37 !== 0) continue;
              enc.reset().str(`${prefix}${i}`);
              js.hashInto(enc.bytes, enc.length, out);
              expect([copy.keys[k], copy.lo[k]]).toEqual([out[0]! * MAX_RING_POINTS + k, out[1]]);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('grows its memory for rings larger than one page', () => {
    const { keys, lo } = ringPointKeys(name, [new TextEncoder().encode('node-7:')], [100_000]);
    const enc = new RustHashEncoder().str('node-7:99999');
    const out = new Uint32Array(2);
    js.hashInto(enc.bytes, enc.length, out);
    expect([keys[99_999], lo[99_999]]).toEqual([out[0]! * MAX_RING_POINTS + 99_999, out[1]]);
  });
});

describe('the assembled module', () => {
  it('is what wabt assembles ring-points.wat to (else run `npm run wasm`)', () => {
    const check = spawnSync(process.execPath, ['scripts/wasm.mjs', '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
