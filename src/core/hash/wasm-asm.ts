/*
 * Just enough of a WebAssembly assembler to write the ring-point hashes of `ring-points.ts` as
 * readable instruction lists (no binary blob in the repository, no build step). Only what those
 * functions use: i32/i64 values, one exported memory, exported functions, no imports.
 */

export type Op = number | readonly Op[];
export const I32 = 0x7f;
export const I64 = 0x7e;

export interface WasmFunction {
  name?: string; // exported under this name when given
  params: number[];
  results: number[];
  locals: number[];
  body: Op[];
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const flat = (ops: readonly Op[]): number[] =>
  ops.flatMap((op) => (typeof op === 'number' ? [op] : flat(op)));
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, items: number[][]): number[] => {
  const body = vec(items);
  return [id, ...uleb(body.length), ...body];
};
const name = (s: string) => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

// Instructions, as op lists. Memory accesses take a byte offset and assume no alignment.
export const get = (i: number): Op => [0x20, uleb(i)];
export const set = (i: number): Op => [0x21, uleb(i)];
export const tee = (i: number): Op => [0x22, uleb(i)];
export const i32 = (v: number): Op => [0x41, sleb(BigInt(v))];
export const i64 = (v: bigint): Op => [0x42, sleb(BigInt.asIntN(64, v))];
export const call = (f: number): Op => [0x10, uleb(f)];
export const br = (depth: number): Op => [0x0c, uleb(depth)];
export const brIf = (depth: number): Op => [0x0d, uleb(depth)];
export const block = (...body: Op[]): Op => [0x02, 0x40, body, 0x0b];
export const loop = (...body: Op[]): Op => [0x03, 0x40, body, 0x0b];
export const ifElse = (result: number, then: Op[], otherwise: Op[]): Op => [
  0x04,
  result,
  then,
  0x05,
  otherwise,
  0x0b,
];
export const when = (...then: Op[]): Op => [0x04, 0x40, then, 0x0b];
export const i64Load = (offset = 0): Op => [0x29, 0, uleb(offset)];
export const i64Load32U = (offset = 0): Op => [0x35, 0, uleb(offset)];
export const i64Load8U = (offset = 0): Op => [0x31, 0, uleb(offset)];
export const i32Store = (offset = 0): Op => [0x36, 0, uleb(offset)];
export const i32Store8 = (offset = 0): Op => [0x3a, 0, uleb(offset)];
export const f64Store = (offset = 0): Op => [0x39, 0, uleb(offset)];
export const OP = {
  i32Eqz: 0x45,
  i32Ne: 0x47,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32LeU: 0x4d,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivU: 0x6e,
  i32RemU: 0x70,
  i32And: 0x71,
  i64Add: 0x7c,
  i64Mul: 0x7e,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrU: 0x88,
  i64Rotl: 0x89,
  i32WrapI64: 0xa7,
  i64ExtendI32U: 0xad,
  f64ConvertI64U: 0xba,
} as const;

/** A module of `functions` (called by index in list order) and one memory exported as `memory`. */
export function assemble(functions: WasmFunction[], memoryPages: number): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [
    0x60,
    ...vec(f.params.map((t) => [t])),
    ...vec(f.results.map((t) => [t])),
  ]);
  const exports = [[...name('memory'), 0x02, 0x00]];
  functions.forEach((f, i) => f.name && exports.push([...name(f.name), 0x00, ...uleb(i)]));
  const bodies = functions.map((f) => {
    const body = [...vec(f.locals.map((t) => [1, t])), ...flat(f.body), 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, types),
    ...section(
      3,
      functions.map((_, i) => uleb(i)),
    ),
    ...section(5, [[0x00, ...uleb(memoryPages)]]),
    ...section(7, exports),
    ...section(10, bodies),
  ]);
}
