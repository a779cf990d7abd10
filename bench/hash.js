// Hashing one trace id's Rust Hash stream (24 bytes: usize 16, then the id), the core of every
// trace locate. Target: the whole locate path at ≥ 5 M/s, so one hash must stay well under 100 ns.
//
//   npm run build && node bench/hash.js [milliseconds per case, default 1000]
import xxhash from 'xxhash-wasm';
import { getHasher, hashTraceIdMod } from '../dist/core/hash/index.js';

const budgetMs = Number(process.argv[2] ?? 1000);
const { h64Raw } = await xxhash();
const sip = getHasher('rust-siphash13');
const xxh = getHasher('xxh64');

const stream = new Uint8Array(24);
stream[0] = 16;
const id = new Uint8Array(16);
const out = new Uint32Array(2);

// Each case owns its loop so every call site stays monomorphic; the id changes every iteration
// (so nothing can be hoisted) and a checksum keeps the results alive.
const cases = {
  'siphash13 hashInto': (n) => {
    let x = 0;
    for (let i = 0; i < n; i++) {
      stream[8] = i;
      stream[9] = i >>> 8;
      sip.hashInto(stream, 24, out);
      x ^= out[1];
    }
    return x;
  },
  'siphash13 hashMod 256': (n) => {
    let x = 0;
    for (let i = 0; i < n; i++) {
      stream[8] = i;
      stream[9] = i >>> 8;
      x ^= sip.hashMod(stream, 24, 256);
    }
    return x;
  },
  'siphash13 hashTraceIdMod 1000': (n) => {
    let x = 0;
    for (let i = 0; i < n; i++) {
      id[0] = i;
      id[1] = i >>> 8;
      x ^= hashTraceIdMod(sip, id, 1000);
    }
    return x;
  },
  'xxh64 hashInto': (n) => {
    let x = 0;
    for (let i = 0; i < n; i++) {
      stream[8] = i;
      stream[9] = i >>> 8;
      xxh.hashInto(stream, 24, out);
      x ^= out[1];
    }
    return x;
  },
  'xxh64 hashMod 256': (n) => {
    let x = 0;
    for (let i = 0; i < n; i++) {
      stream[8] = i;
      stream[9] = i >>> 8;
      x ^= xxh.hashMod(stream, 24, 256);
    }
    return x;
  },
  'xxh64 hashTraceIdMod 1000': (n) => {
    let x = 0;
    for (let i = 0; i < n; i++) {
      id[0] = i;
      id[1] = i >>> 8;
      x ^= hashTraceIdMod(xxh, id, 1000);
    }
    return x;
  },
  'xxhash-wasm h64Raw % 256n': (n) => {
    let x = 0;
    for (let i = 0; i < n; i++) {
      stream[8] = i;
      stream[9] = i >>> 8;
      x ^= Number(h64Raw(stream, 0n) % 256n);
    }
    return x;
  },
};

// CPU time of this process, not wall time: on a busy machine the wall clock also counts the
// time other processes held the core. Both are printed.
const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

function measure(loop) {
  loop(200_000); // warm up: let the optimising compiler see the loop first
  let n = 100_000;
  let sink = 0;
  for (;;) {
    const c0 = cpuNs();
    const t0 = process.hrtime.bigint();
    sink ^= loop(n);
    const wall = Number(process.hrtime.bigint() - t0);
    const cpu = cpuNs() - c0;
    if (wall >= budgetMs * 1e6 || n >= 2 ** 30) return { cpu: cpu / n, wall: wall / n, sink };
    n = Math.min(2 ** 30, Math.ceil((n * budgetMs * 1.1e6) / Math.max(wall, 1)));
  }
}

const rows = Object.entries(cases).map(([name, loop]) => ({ name, ...measure(loop) }));
const w = Math.max(...rows.map((r) => r.name.length), 30);
console.log(`${'case (24-byte trace id stream)'.padEnd(w)}  cpu ns/op  M ops/s (cpu)  wall ns/op`);
for (const { name, cpu, wall } of rows) {
  console.log(
    `${name.padEnd(w)}  ${cpu.toFixed(1).padStart(9)}  ${(1e3 / cpu).toFixed(2).padStart(13)}  ${wall.toFixed(1).padStart(10)}`,
  );
}
