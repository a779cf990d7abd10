// Month-scale `locate --stdin` (issue 15), run by bench/stdin.js: 1,000,000 "<trace-id>
// <unix-seconds>" lines over 30 days (720 hourly buckets × 256 = 184,320 partitions), -o tsv,
// 4 nodes, both hash modes, against the seed's own Rust code doing the same lookups and writing
// the same bytes (bench/seed-locate.rs, built here with rustc -O into the bench's temp dir).
// Runs alternate between the two so that the load of a shared machine hits both alike.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, fmt, median, seedPartitionPut, timeCommand, timeProcess } from './lib.js';
import { startEtcd } from './etcd-server.js';
import { EtcdStore } from '../dist/store/etcd/store.js';
import { resolveEtcdOptions } from '../dist/store/etcd/options.js';
import { FileStore } from '../dist/store/file/store.js';

const SOURCE = fileURLToPath(new URL('./seed-locate.rs', import.meta.url));
const NODES = ['node-001', 'node-002', 'node-003', 'node-004'];
const HASHES = ['xxh64', 'rust-siphash13'];
const REPS = Number(process.env.OTLPCTL_BENCH_REPS ?? 7);

/** The config and nodes of a 4-node cluster in `hash` mode; `partitions` adds stored metadata. */
async function writeStore(file, hash, partitions = [], placement = 'ring', store = new FileStore(file)) {
  const ops = [{ type: 'put', key: '/otlp/config', value: JSON.stringify({ ...CONFIG, hash, placement }) }];
  for (const node_id of NODES) {
    const location = { region: '', availability_zone: '', data_center: '' };
    ops.push({
      type: 'put',
      key: `/otlp/nodes/${node_id}`,
      value: JSON.stringify({ node_id, location, weight: 1, state: 'Up' }),
    });
  }
  await store.txn([], ops);
  // 128 operations a transaction: etcd's default --max-txn-ops.
  for (let i = 0; i < partitions.length; i += 128) await store.txn([], partitions.slice(i, i + 128));
  await store.close();
}

const CONFIG = {
  granularity_hours: 1,
  retention_days: 30,
  hash_partitions: 256,
  virtual_nodes: 150,
  replication_factor: 3,
  zone_aware: false,
  imbalance_threshold: 0.2,
  max_concurrent_migrations: 3,
};

function ids(lines, secondsOf) {
  const bytes = randomBytes(16 * lines);
  const parts = [];
  for (let i = 0; i < lines; i++)
    parts.push(`${bytes.toString('hex', 16 * i, 16 * i + 16)} ${secondsOf(i)}\n`);
  return parts.join('');
}

const spread = (xs) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;

export async function monthScale(dir, lines) {
  const now = Math.floor(Date.now() / 1000);
  const month = join(dir, 'month.txt');
  const hour = join(dir, 'hour.txt');
  // Random times over the last 30 days (unsorted, as a grep of a month of logs is); the hour
  // input is issue 2's case: every line in the last hour.
  writeFileSync(
    month,
    ids(lines, () => now - 1 - Math.floor(Math.random() * 30 * 86400)),
  );
  writeFileSync(
    hour,
    ids(lines, () => now - 1 - Math.floor(Math.random() * 3600)),
  );

  const ref = {};
  const store = {};
  for (const hash of HASHES) {
    ref[hash] = join(dir, `seed-locate-${hash}`);
    const cfg = hash === 'xxh64' ? ['--cfg', 'xxh64'] : [];
    execFileSync('rustc', ['-O', '--edition', '2021', ...cfg, SOURCE, '-o', ref[hash]], { stdio: 'inherit' });
    store[hash] = join(dir, `month-${hash}.json`);
    await writeStore(store[hash], hash);
  }
  // Stored metadata for every 10th hour of the month (73 buckets, 18,688 partitions), in the
  // seed's format: those buckets come from the store, the others from the ring.
  const first = Math.floor(now / 3600) - 720;
  const puts = [];
  for (let b = first; b <= first + 720; b += 10)
    for (let h = 0; h < 256; h++) puts.push(seedPartitionPut('/otlp', b, h, puts.length, NODES.length));
  const withMetadata = join(dir, 'month-metadata.json');
  await writeStore(withMetadata, 'xxh64', puts);
  // placement: bounded (issue 13) assigns each bucket's placements as a whole.
  const bounded = join(dir, 'month-bounded.json');
  await writeStore(bounded, 'xxh64', [], 'bounded');
  // The same metadata on a real etcd: each bucket met is one range read there.
  const etcd = await startEtcd();
  const etcdStore = await EtcdStore.connect(resolveEtcdOptions({ endpoints: etcd.endpoint }, {}));
  await writeStore(undefined, 'xxh64', puts, 'ring', etcdStore);

  const otlpctl = (file, input) =>
    timeProcess([BIN, '--file', file, 'locate', '--stdin', '-o', 'tsv'], { stdinFile: input });
  const rust = (hash, input) => timeCommand(ref[hash], NODES, { stdinFile: input });

  // Same bytes out: the reference and otlpctl must agree on every line before either is timed.
  for (const hash of HASHES) {
    const a = join(dir, 'a.tsv');
    const b = join(dir, 'b.tsv');
    execFileSync('sh', ['-c', `"$0" "$@" < ${month} > ${a}`, ref[hash], ...NODES]);
    execFileSync('sh', [
      '-c',
      `"$0" "$@" < ${month} > ${b}`,
      process.execPath,
      BIN,
      '--file',
      store[hash],
      'locate',
      '--stdin',
      '-o',
      'tsv',
    ]);
    if (!readFileSync(a).equals(readFileSync(b)))
      throw new Error(`${hash}: otlpctl and the Rust reference differ`);
  }

  const runs = {};
  const add = (name, r) => {
    if (r.code !== 0) throw new Error(`${name} exited ${r.code}: ${r.stderr ?? ''}`);
    (runs[name] ??= []).push(r);
  };
  for (let i = 0; i < REPS; i++) {
    for (const hash of HASHES) {
      // Alternate who goes first; bounded right beside ring (same hash), as its comparison.
      const pair = [
        async () => add(`rust ${hash}`, await rust(hash, month)),
        async () => add(`otlpctl ${hash}`, await otlpctl(store[hash], month)),
      ];
      if (hash === 'xxh64') pair.push(async () => add('otlpctl bounded', await otlpctl(bounded, month)));
      if (i % 2) pair.reverse();
      for (const run of pair) await run();
    }
    add('otlpctl hour', await otlpctl(store.xxh64, hour));
    add('otlpctl metadata', await otlpctl(withMetadata, month));
    add(
      'otlpctl etcd',
      await timeProcess([BIN, '--endpoints', etcd.endpoint, 'locate', '--stdin', '-o', 'tsv'], {
        stdinFile: month,
      }),
    );
  }

  const ms = (name) => runs[name].map((r) => r.ms);
  // Per round, a over b: runs side by side share the machine's load of the moment.
  const paired = (a, b) => {
    const q = ms(a).map((x, i) => x / ms(b)[i]);
    return `${fmt(median(q), 2)}× (${fmt(Math.min(...q), 2)}–${fmt(Math.max(...q), 2)})`;
  };
  const rss = (name) => Math.max(...runs[name].map((r) => r.rssMb));
  console.log(
    `locate --stdin -o tsv, ${fmt(lines)} lines over 30 days (184,320 partitions), 4 nodes, ` +
      `median (min–max) of ${REPS}, alternating with the seed's Rust code (bench/seed-locate.rs, same output):`,
  );
  for (const hash of HASHES) {
    const o = median(ms(`otlpctl ${hash}`));
    const r = median(ms(`rust ${hash}`));
    console.log(
      `  ${hash.padEnd(15)} otlpctl ${fmt(o)} ms (${spread(ms(`otlpctl ${hash}`))}), peak RSS ${fmt(rss(`otlpctl ${hash}`), 1)} MB` +
        ` · Rust ${fmt(r)} ms (${spread(ms(`rust ${hash}`))}) → medians ${fmt(o / r, 2)}×, per round ` +
        `${paired(`otlpctl ${hash}`, `rust ${hash}`)} (target ≤ 1.0×, ≤ 100 MB)`,
    );
  }
  const m = ms('otlpctl metadata');
  console.log(
    `  metadata for every 10th hour (${fmt(puts.length)} stored partitions, file store), xxh64: ${fmt(median(m))} ms (${spread(m)}), peak RSS ${fmt(rss('otlpctl metadata'), 1)} MB`,
  );
  etcd.stop();
  const e = ms('otlpctl etcd');
  console.log(
    `  the same metadata on etcd: ${fmt(median(e))} ms (${spread(e)}), peak RSS ${fmt(rss('otlpctl etcd'), 1)} MB`,
  );
  const bo = ms('otlpctl bounded');
  const ring = median(ms('otlpctl xxh64'));
  console.log(
    `  placement: bounded, xxh64: ${fmt(median(bo))} ms (${spread(bo)}), peak RSS ${fmt(rss('otlpctl bounded'), 1)} MB → ${fmt(median(bo) / ring, 2)}× ring, per round ${paired('otlpctl bounded', 'otlpctl xxh64')} (target ≤ 1.1×)`,
  );
  const h = ms('otlpctl hour');
  console.log(
    `  all lines in the last hour, xxh64: ${fmt(median(h))} ms (${spread(h)}), peak RSS ${fmt(rss('otlpctl hour'), 1)} MB`,
  );
}
