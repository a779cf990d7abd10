import { rustSipHash13 } from './siphash13.js';
import { xxh64 } from './xxh64.js';
import type { HashName, Hasher64 } from './types.js';

export type { HashName, Hasher64 } from './types.js';
export { RustHashEncoder } from './encoding.js';
export { MAX_HASH_MOD, toBigInt, fromBigInt, modFromHalves } from './u64.js';
export {
  scratchEncoder,
  scratchOut,
  hashStr,
  hashStrInto,
  hashTraceId,
  hashTraceIdInto,
  hashTraceIdMod,
} from './values.js';
export { rustSipHash13, sipHash13Into, sipHash13PrefixedInto } from './siphash13.js';
export { xxh64, xxh64Into, xxh64PrefixedInto } from './xxh64.js';

export const HASH_NAMES: readonly HashName[] = ['xxh64', 'rust-siphash13'];

/** The hasher for a config's `hash` setting (PRODUCT.md §2.1); one shared instance each. */
export function getHasher(name: HashName): Hasher64 {
  switch (name) {
    case 'xxh64':
      return xxh64;
    case 'rust-siphash13':
      return rustSipHash13;
    default:
      throw new RangeError(
        `unknown hash ${JSON.stringify(name as string)}: expected xxh64 or rust-siphash13`,
      );
  }
}
