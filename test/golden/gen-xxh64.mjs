// Golden vectors for `hash: xxh64` (PRODUCT.md §2.2): XXH64, seed 0, computed by the reference
// xxhash-wasm (the C xxHash compiled to wasm) over the byte streams that Rust recorded in
// siphash13.json — so the encoding comes from rustc and the hash from the xxHash reference.
//
//   node test/golden/gen-xxh64.mjs    (after regenerating siphash13.json; see README.md)
/* global console */
import { Buffer } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { URL } from 'node:url';
import xxhash from 'xxhash-wasm';

const dir = new URL('.', import.meta.url);
const sip = JSON.parse(readFileSync(new URL('siphash13.json', dir), 'utf8'));
const { h64Raw } = await xxhash();

const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (bytes) => Buffer.from(bytes).toString('hex');
const h = (hex) => h64Raw(fromHex(hex), 0n);
const u64le = (v) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b.toString('hex');
};
// A `str` stream is its UTF-8 then 0xFF: checked against Rust's recorded streams just below.
const strStream = (s) => toHex(Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0xff])]));
for (const { s, stream } of sip.strings) {
  if (strStream(s) !== stream) throw new Error(`str stream of ${JSON.stringify(s)} differs from Rust's`);
}

// The last 8 bytes of a metric (log) key stream are its label_hash (content_hash) field, the
// struct's last field: swap in the xxh64 value and keep every other byte as Rust wrote it.
const withLastU64 = (streamHex, v) => streamHex.slice(0, -16) + u64le(v);

const ringKeys = new Set();
for (let n = 1; n <= 16; n++) for (let i = 0; i < 10; i++) ringKeys.add(`node-${n}:${i}`);
for (const ring of sip.ring) for (const r of ring.replicas) ringKeys.add(r.key);

const out = {
  schema: 'otlpctl-golden/xxh64/v1',
  generator: 'test/golden/gen-xxh64.mjs (see test/golden/README.md)',
  hasher: 'XXH64, seed 0 (xxhash-wasm h64Raw) over the Rust Hash byte streams of siphash13.json',
  bytes: sip.bytes.map(({ hex }) => ({ hex, hash: String(h(hex)) })),
  strings: sip.strings.map(({ s, stream }) => ({ s, stream, hash: String(h(stream)) })),
  trace_ids: sip.trace_ids.map(({ trace_id, stream }) => {
    const hash = h(stream);
    return {
      trace_id,
      stream,
      hash: String(hash),
      bucket_256: Number(hash % 256n),
      bucket_1000: Number(hash % 1000n),
    };
  }),
  ring_keys: [...ringKeys].map((s) => ({ s, hash: String(h(strStream(s))) })),
  metric_keys: sip.metric_keys.map(
    ({ labels_stream, stream, label_hash: _sip, key_hash: _k, bucket_256: _b, ...rest }) => {
      const labelHash = h(labels_stream);
      const keyStream = withLastU64(stream, labelHash);
      const keyHash = h(keyStream);
      return {
        ...rest,
        labels_stream,
        label_hash: String(labelHash),
        stream: keyStream,
        key_hash: String(keyHash),
        bucket_256: Number(keyHash % 256n),
      };
    },
  ),
  log_keys: sip.log_keys.map(
    ({ body_stream, stream, content_hash: _sip, key_hash: _k, bucket_256: _b, ...rest }) => {
      const contentHash = h(body_stream);
      const keyStream = withLastU64(stream, contentHash);
      const keyHash = h(keyStream);
      return {
        ...rest,
        body_stream,
        content_hash: String(contentHash),
        stream: keyStream,
        key_hash: String(keyHash),
        bucket_256: Number(keyHash % 256n),
      };
    },
  ),
};

// One entry per line, like siphash13.json, so diffs stay readable.
const lines = ['{'];
const keys = Object.keys(out);
keys.forEach((k, i) => {
  const comma = i < keys.length - 1 ? ',' : '';
  const v = out[k];
  if (Array.isArray(v))
    lines.push(
      `  ${JSON.stringify(k)}: [\n    ${v.map((e) => JSON.stringify(e)).join(',\n    ')}\n  ]${comma}`,
    );
  else lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)}${comma}`);
});
lines.push('}');
writeFileSync(new URL('xxh64.json', dir), lines.join('\n') + '\n');
console.log(`wrote xxh64.json: ${out.trace_ids.length} trace ids, ${out.ring_keys.length} ring keys`);
