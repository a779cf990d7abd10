import { RING_POINTS_WASM } from './ring-points-wasm.js';

/*
 * Ring points in WebAssembly: see ring-points.wat for why and for the program itself, assembled
 * by `npm run wasm` (wabt) into ring-points-wasm.ts.
 */

// The WebAssembly global, typed here: the project's TypeScript libs (ES2022, no DOM) omit it.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasmApi = () => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  points(
    kind: number,
    prefix: number,
    prefixLen: number,
    count: number,
    keys: number,
    los: number,
    base: number,
  ): void;
  xxh64(p: number, len: number): bigint;
  sip13(p: number, len: number): bigint;
}

let exports: Exports | undefined;

/** The module's exports, compiled on first use (synchronously: it is about 1 kB). */
export function ringPointsWasm(): Exports {
  const { Module, Instance } = wasmApi();
  return (exports ??= new Instance(new Module(RING_POINTS_WASM)).exports as Exports);
}

/** Points a ring can index in its sort keys (see `ringPointKeys`). */
export const MAX_RING_POINTS = 1 << 21;

/**
 * The points of a ring, in one call: for each node j (its `"<node>:"` prefix as UTF-8) the hashes
 * of the Rust strs `"<prefix><i>"`, i in [0, counts[j]), numbered k = 0, 1, … node after node.
 * `keys[k]` = high 32 bits · 2^21 + k (sorting the keys sorts by high half, then by k);
 * `lo[k]` = the low 32 bits. Views into wasm memory, valid until the next call.
 */
export function ringPointKeys(
  kind: 'xxh64' | 'rust-siphash13',
  prefixes: readonly Uint8Array[],
  counts: readonly number[],
): { keys: Float64Array; lo: Uint32Array } {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total > MAX_RING_POINTS) throw new RangeError(`${total} ring points: at most ${MAX_RING_POINTS}`);
  const wasm = ringPointsWasm();
  const longest = prefixes.reduce((a, p) => Math.max(a, p.length), 0);
  const keysAt = (longest + 32) & ~7; // room behind a prefix for 20 digits and 0xFF
  const losAt = keysAt + 8 * total;
  const need = losAt + 4 * total;
  const have = wasm.memory.buffer.byteLength;
  if (need > have) wasm.memory.grow(Math.ceil((need - have) / 65536));
  const bytes = new Uint8Array(wasm.memory.buffer);
  const kind01 = kind === 'xxh64' ? 0 : 1;
  for (let j = 0, base = 0; j < prefixes.length; base += counts[j]!, j++) {
    bytes.set(prefixes[j]!, 0);
    wasm.points(kind01, 0, prefixes[j]!.length, counts[j]!, keysAt, losAt, base);
  }
  // WebAssembly memory is little-endian, as every platform Node runs on.
  return {
    keys: new Float64Array(wasm.memory.buffer, keysAt, total),
    lo: new Uint32Array(wasm.memory.buffer, losAt, total),
  };
}
