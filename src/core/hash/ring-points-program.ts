import * as A from './wasm-asm.js';
import { I32, I64, OP, type Op, type WasmFunction } from './wasm-asm.js';

/*
 * The program of ring-points.ts, in WebAssembly: XXH64, SipHash-1-3 and the loop over a node's
 * point keys. Not loaded at run time: `npm run wasm` assembles it into ring-points-wasm.ts, and
 * test/core/ring-points.test.ts checks that file is up to date.
 *
 * Ring points in WebAssembly. Building a ring hashes "<node>:<i>" for every virtual node: 15,000
 * keys for 100 nodes. In a fresh process that JavaScript runs in V8's interpreter before it is
 * optimised, and it was the largest single cost of a cold `locate` (~45 ms; PRODUCT.md §10 gives
 * the whole command 0.8× `node -e 0` over Node's own start-up). WebAssembly is compiled before
 * its first call, with native 64-bit arithmetic. The hashes are the same XXH64 (seed 0) and
 * SipHash-1-3 (keys 0, 0) as xxh64.ts and siphash13.ts, checked against them and the golden
 * vectors in test/core/hash.test.ts.
 */

const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;
const { i32Add, i32Sub, i32GeU, i32LtU, i32LeU, i32GtU, i32DivU, i32RemU, i32Mul, i32And } = OP;
const { i64Add, i64Mul, i64Xor, i64Or, i64Shl, i64ShrU, i64Rotl, i32WrapI64, i64ExtendI32U } = OP;
const { get, set, tee, i32, i64, call, br, brIf, block, loop, when, ifElse } = A;

const ROUND = 0;
const XXH64 = 1;
const SIP13 = 2;

/** XXH64's round(acc, input): rotl(acc + input·P2, 31)·P1. */
const round: WasmFunction = {
  params: [I64, I64],
  results: [I64],
  locals: [],
  body: [get(0), get(1), i64(P2), i64Mul, i64Add, i64(31n), i64Rotl, i64(P1), i64Mul],
};

// xxh64(p, len): locals end=2, limit=3, h=4, v1..v4=5..8.
const lane = (v: number, offset: number): Op => [get(v), get(0), A.i64Load(offset), call(ROUND), set(v)];
const merge = (v: number): Op => [i64(0n), get(v), call(ROUND), i64Xor, i64(P1), i64Mul, i64(P4), i64Add];
const xorShift = (k: bigint): Op => [get(4), get(4), i64(k), i64ShrU, i64Xor, set(4)];
const xxh64: WasmFunction = {
  name: 'xxh64',
  params: [I32, I32],
  results: [I64],
  locals: [I32, I32, I64, I64, I64, I64, I64],
  body: [
    [get(0), get(1), i32Add, set(2)],
    get(1),
    i32(32),
    i32GeU,
    ifElse(
      I64,
      [
        [get(2), i32(32), i32Sub, set(3)],
        [i64(P1 + P2), set(5), i64(P2), set(6), i64(0n), set(7), i64(-P1), set(8)],
        loop(lane(5, 0), lane(6, 8), lane(7, 16), lane(8, 24), [
          get(0),
          i32(32),
          i32Add,
          tee(0),
          get(3),
          i32LeU,
          brIf(0),
        ]),
        [get(5), i64(1n), i64Rotl, get(6), i64(7n), i64Rotl, i64Add],
        [get(7), i64(12n), i64Rotl, i64Add, get(8), i64(18n), i64Rotl, i64Add],
        merge(5),
        merge(6),
        merge(7),
        merge(8),
      ],
      [i64(P5)],
    ),
    set(4),
    [get(4), get(1), i64ExtendI32U, i64Add, set(4)],
    block(
      loop(
        [get(0), i32(8), i32Add, get(2), i32GtU, brIf(1)],
        [
          get(4),
          i64(0n),
          get(0),
          A.i64Load(0),
          call(ROUND),
          i64Xor,
          i64(27n),
          i64Rotl,
          i64(P1),
          i64Mul,
          i64(P4),
          i64Add,
          set(4),
        ],
        [get(0), i32(8), i32Add, set(0), br(0)],
      ),
    ),
    [get(0), i32(4), i32Add, get(2), i32LeU],
    when(
      [
        get(4),
        get(0),
        A.i64Load32U(0),
        i64(P1),
        i64Mul,
        i64Xor,
        i64(23n),
        i64Rotl,
        i64(P2),
        i64Mul,
        i64(P3),
        i64Add,
        set(4),
      ],
      [get(0), i32(4), i32Add, set(0)],
    ),
    block(
      loop(
        [get(0), get(2), i32GeU, brIf(1)],
        [get(4), get(0), A.i64Load8U(0), i64(P5), i64Mul, i64Xor, i64(11n), i64Rotl, i64(P1), i64Mul, set(4)],
        [get(0), i32(1), i32Add, set(0), br(0)],
      ),
    ),
    xorShift(33n),
    [get(4), i64(P2), i64Mul, set(4)],
    xorShift(29n),
    [get(4), i64(P3), i64Mul, set(4)],
    xorShift(32n),
    get(4),
  ],
};

// sip13(p, len): locals end=2, v0..v3=3..6, m=7, b=8, k=9.
const rotlXor = (v: number, r: bigint, with_: number): Op => [
  get(v),
  i64(r),
  i64Rotl,
  get(with_),
  i64Xor,
  set(v),
];
const add = (to: number, from: number): Op => [get(to), get(from), i64Add, set(to)];
const half = (v: number): Op => [get(v), i64(32n), i64Rotl, set(v)];
const SIPROUND: Op = [
  [add(3, 4), rotlXor(4, 13n, 3), half(3)],
  [add(5, 6), rotlXor(6, 16n, 5)],
  [add(3, 6), rotlXor(6, 21n, 3)],
  [add(5, 4), rotlXor(4, 17n, 5), half(5)],
];
const sip13: WasmFunction = {
  name: 'sip13',
  params: [I32, I32],
  results: [I64],
  locals: [I32, I64, I64, I64, I64, I64, I64, I32],
  body: [
    // "somepseudorandomlygeneratedbytes", XORed with the zero key.
    [i64(0x736f6d6570736575n), set(3), i64(0x646f72616e646f6dn), set(4)],
    [i64(0x6c7967656e657261n), set(5), i64(0x7465646279746573n), set(6)],
    [get(0), get(1), i32(-8), i32And, i32Add, set(2)],
    block(
      loop(
        [get(0), get(2), i32GeU, brIf(1)],
        [get(0), A.i64Load(0), set(7), get(6), get(7), i64Xor, set(6)],
        SIPROUND,
        [get(3), get(7), i64Xor, set(3), get(0), i32(8), i32Add, set(0), br(0)],
      ),
    ),
    // The last block: the tail bytes, and the length mod 256 in the top byte.
    [get(1), i64ExtendI32U, i64(56n), i64Shl, set(8), i32(0), set(9)],
    block(
      loop(
        [get(9), get(1), i32(7), i32And, i32GeU, brIf(1)],
        [
          get(8),
          get(0),
          get(9),
          i32Add,
          A.i64Load8U(0),
          get(9),
          i64ExtendI32U,
          i64(3n),
          i64Shl,
          i64Shl,
          i64Or,
          set(8),
        ],
        [get(9), i32(1), i32Add, set(9), br(0)],
      ),
    ),
    [get(6), get(8), i64Xor, set(6)],
    SIPROUND,
    [get(3), get(8), i64Xor, set(3), get(5), i64(0xffn), i64Xor, set(5)],
    SIPROUND,
    SIPROUND,
    SIPROUND,
    [get(3), get(4), i64Xor, get(5), i64Xor, get(6), i64Xor],
  ],
};

// points(kind, prefix, prefixLen, count, keys, los, base): locals i=7, digits=8, q=9, len=10,
// pos=11, h=12. Point i of this node is point base + i of the ring.
const points: WasmFunction = {
  name: 'points',
  params: [I32, I32, I32, I32, I32, I32, I32],
  results: [],
  locals: [I32, I32, I32, I32, I32, I64],
  body: [
    [i32(0), set(7)],
    block(
      loop(
        [get(7), get(3), i32GeU, brIf(1)],
        // The key is the prefix, the decimal digits of i, then 0xFF (how a Rust str is hashed).
        [i32(1), set(8), get(7), set(9)],
        block(
          loop(
            [get(9), i32(10), i32LtU, brIf(1)],
            [get(9), i32(10), i32DivU, set(9), get(8), i32(1), i32Add, set(8), br(0)],
          ),
        ),
        [get(2), get(8), i32Add, set(10), get(1), get(10), i32Add, set(11), get(7), set(9)],
        loop(
          [get(11), i32(1), i32Sub, tee(11), get(9), i32(10), i32RemU, i32(48), i32Add, A.i32Store8(0)],
          [get(9), i32(10), i32DivU, tee(9), brIf(0)],
        ),
        [get(1), get(10), i32Add, i32(0xff), A.i32Store8(0), get(10), i32(1), i32Add, set(10)],
        get(0),
        ifElse(I64, [get(1), get(10), call(SIP13)], [get(1), get(10), call(XXH64)]),
        set(12),
        // keys[base + i] = high·2^21 + base + i, a float64 (exact: < 2^53) for a native sort by
        // high half and then by point index; los[base + i] = the low half.
        [get(4), get(6), get(7), i32Add, i32(8), i32Mul, i32Add],
        [get(12), i64(32n), i64ShrU, i64(21n), i64Shl, get(6), get(7), i32Add, i64ExtendI32U, i64Or],
        [OP.f64ConvertI64U, A.f64Store(0)],
        [get(5), get(6), get(7), i32Add, i32(4), i32Mul, i32Add, get(12), i32WrapI64, A.i32Store(0)],
        [get(7), i32(1), i32Add, set(7), br(0)],
      ),
    ),
  ],
};

/** The module: functions called by index in this order, one page of memory to start with. */
export const assembleRingPoints = (): Uint8Array => A.assemble([round, xxh64, sip13, points], 1);
