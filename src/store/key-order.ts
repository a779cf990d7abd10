/**
 * The key order every store lists in. (The key layout itself is `layout.ts`.)
 */

/**
 * etcd orders keys by their UTF-8 bytes. JS compares UTF-16 units, which agrees except when a
 * surrogate (U+D800–DFFF, i.e. a code point above U+FFFF) meets U+E000–FFFF: fix those up.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

const SURROGATE = /[\ud800-\udfff]/;

/** Sorts in place in etcd order; without surrogates UTF-16 order is byte order, and the native sort much faster. */
export function sortKeys(keys: string[]): string[] {
  return keys.some((k) => SURROGATE.test(k)) ? keys.sort(compareKeys) : keys.sort();
}
