// `locate --stdin` end to end and the trace router in-process (issue 2's figures), then at month
// scale against the seed's Rust code (issue 15, stdin-month.js; needs rustc).
//
//   npm run build && node bench/stdin.js [lines, default 1000000] [--month: the month-scale part only]
//
// Baselines measured in the same run: `node -e 0` (process start-up), the npm `hashring`
// package (a popular consistent-hash ring) for in-process lookups, and bench/seed-locate.rs.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import HashRing from 'hashring';
import { BIN, fmt, median, timeCommand, timeProcess } from './lib.js';
import { monthScale } from './stdin-month.js';
import { FileStore } from '../dist/store/file/store.js';

const LINES = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 1_000_000);
const MONTH_ONLY = process.argv.includes('--month');
const NOW = Math.floor(Date.now() / 1000);
const dir = mkdtempSync(join(tmpdir(), 'otlpctl-bench-'));
const store = join(dir, 'demo.json');
const input = join(dir, 'ids.txt');

try {
  if (!MONTH_ONLY) {
    // Input: random trace ids, times spread over the demo's last 24 h (metadata present for each).
    const ids = randomBytes(16 * LINES);
    const parts = [];
    for (let i = 0; i < LINES; i++) {
      parts.push(
        `${ids.toString('hex', 16 * i, 16 * i + 16)} ${NOW - 60 - Math.floor(Math.random() * 23 * 3600)}\n`,
      );
    }
    writeFileSync(input, parts.join(''));
    const demo = await timeProcess([BIN, 'demo', '--file', store, '-q']);
    if (demo.code !== 0) throw new Error(`demo failed: ${demo.stderr}`);

    // A second store with the same nodes and no partition metadata: placement from the ring alone.
    const ringOnly = join(dir, 'ring.json');
    const fs = new FileStore(ringOnly);
    const demoStore = new FileStore(store);
    const ops = [];
    for await (const page of demoStore.range('/otlp/')) {
      for (const kv of page)
        if (!kv.key.startsWith('/otlp/partitions/')) ops.push({ type: 'put', key: kv.key, value: kv.value });
    }
    await fs.txn([], ops);
    await fs.close();
    await demoStore.close();

    const nodeZero = [];
    const runs = { demo: [], ring: [] };
    for (let i = 0; i < 3; i++) {
      nodeZero.push((await timeCommand(process.execPath, ['-e', '0'])).ms);
      for (const [name, file] of [
        ['demo', store],
        ['ring', ringOnly],
      ]) {
        const r = await timeProcess([BIN, '--file', file, 'locate', '--stdin', '-o', 'tsv'], {
          stdinFile: input,
        });
        if (r.code !== 0) throw new Error(`locate --stdin exited ${r.code}: ${r.stderr}`);
        runs[name].push(r);
      }
    }

    // In-process: the library's router, one process per hash so call sites stay monomorphic.
    const inproc = {};
    for (const hash of ['xxh64', 'rust-siphash13']) {
      const out = execFileSync(process.execPath, [
        fileURLToPath(new URL('./router.js', import.meta.url)),
        hash,
        String(LINES),
      ]);
      inproc[hash] = JSON.parse(out.toString()).locates_per_s;
    }
    const nodes = Array.from({ length: 12 }, (_, i) => ({ node_id: `node-${i + 1}` }));

    // Baseline: npm `hashring` (md5 ring, 12 nodes) looking up the same partition-id keys.
    const ring = new HashRing(nodes.map((n) => n.node_id));
    const keys = Array.from(
      { length: 256 * 24 },
      (_, i) => `partition_${490000 + (i >> 8)}_${String(i & 255).padStart(4, '0')}`,
    );
    const n = 1_000_000;
    const t1 = process.hrtime.bigint();
    let s2 = 0;
    for (let i = 0; i < n; i++) s2 += ring.range(keys[i % keys.length], 3).length;
    const hashringRate = n / (Number(process.hrtime.bigint() - t1) / 1e9);
    if (s2 === 0) throw new Error('no ring');

    const nz = median(nodeZero);
    console.log(
      `locate --stdin -o tsv, ${fmt(LINES)} lines "<trace-id> <unix-seconds>" over 24 h, 12 nodes, xxh64, median of 3:`,
    );
    for (const [name, label] of [
      ['demo', 'demo store (metadata for every partition)'],
      ['ring', 'ring only (no metadata stored)'],
    ]) {
      const ms = median(runs[name].map((r) => r.ms));
      const rss = Math.max(...runs[name].map((r) => r.rssMb));
      console.log(
        `  ${label.padEnd(42)} ${fmt(ms)} ms → ${fmt(LINES / (ms / 1000))} lines/s (target ≥ 1,000,000); peak RSS ${fmt(rss, 1)} MB`,
      );
    }
    console.log(`  node -e 0 (start-up baseline, same run)        ${fmt(nz, 1)} ms`);
    console.log(`in-process TraceRouter (hash + memoised route), median of 5 passes over ${fmt(LINES)} ids:`);
    for (const [hash, rate] of Object.entries(inproc)) {
      console.log(`  ${hash.padEnd(14)} ${fmt(rate)} locates/s   (target ≥ 5,000,000)`);
    }
    console.log(
      `  npm hashring  ${fmt(hashringRate)} lookups/s (baseline: ${fmt(inproc.xxh64 / hashringRate, 1)}× slower than ours)`,
    );
  }
  await monthScale(dir, LINES);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
