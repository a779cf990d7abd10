/** Key arithmetic on raw bytes, as etcd orders keys. */

export const withByte = (q: Uint8Array, b: number): Buffer => Buffer.concat([q, Buffer.from([b])]);

/** The first key after `key`. */
export const after = (key: Uint8Array): Buffer => withByte(key, 0);

/** The first key after every key starting with `prefix`; `\0` (the end of the keyspace) if none. */
export function prefixEnd(prefix: Uint8Array): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if ((prefix[i] as number) < 0xff) return withByte(prefix.subarray(0, i), (prefix[i] as number) + 1);
  }
  return Buffer.from([0]);
}
