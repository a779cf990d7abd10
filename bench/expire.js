// `expire` on a real etcd (issue 5's figures): one day's partitions (24 × 256 = 6,144, target ≤ 3 s)
// and a 30-day backlog (184,320, target ≤ 30 s), each timed as a whole `otlpctl` process.
//
//   npm run build && node bench/expire.js [runs, default 3]   (medians are reported)
//
// Also measured: the daily cron run as it really happens — one expired day among 30 live ones,
// deleted under the default --max-delete 10%.
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEtcd } from './etcd-server.js';
import { BIN, fmt, median, seedPartitionPut } from './lib.js';
import { EtcdStore } from '../dist/store/etcd/store.js';
import { resolveEtcdOptions } from '../dist/store/etcd/options.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PER_HOUR = 256;
const NODES = 100;
const PROBE = fileURLToPath(new URL('./rss-probe.js', import.meta.url));
// Everything in the past (a real run refuses a --now after the clock): NOW is 31 days ago.
const NOW = Math.floor(Date.now() / HOUR) * HOUR - 31 * DAY;
const CONFIG = { granularity_hours: 1, retention_days: 30, hash_partitions: 256 };

const RUNS = Number(process.argv[2] ?? 3);

const etcd = await startEtcd();
try {
  const store = await EtcdStore.connect(
    resolveEtcdOptions({ endpoints: etcd.endpoint, commandTimeout: '60s' }, {}),
  );
  try {
    // 1. One day alone: the store holds only the day that expired.
    const day = [];
    for (let i = 0; i < RUNS; i++) {
      await load(store, '/day', NOW - 31 * DAY, 24);
      day.push(check(await expire('/day', NOW, ['--max-delete', '100%']), 6_144, 6_144));
      await compact(store);
    }
    report('one day (6,144 partitions, all expired)', day, 3);
    // The same run with nothing left to do: start-up, connection, lock and audit alone.
    const idle = [];
    for (let i = 0; i < RUNS; i++) idle.push(check(await expire('/day', NOW, []), 0, 0));
    report('nothing to do (start-up, connect, lock, audit)', idle);

    // 2. The daily cron run: 30 days live plus the one that just expired, under the default guard.
    // 3. The backlog: 30 days later, the 30 days still stored have all expired.
    const daily = [];
    const backlog = [];
    for (let i = 0; i < RUNS; i++) {
      await load(store, '/otlp', NOW - 31 * DAY, 31 * 24);
      daily.push(check(await expire('/otlp', NOW, []), 6_144, 190_464));
      backlog.push(check(await expire('/otlp', NOW + 30 * DAY, ['--max-delete', '100%']), 184_320, 184_320));
      await compact(store);
    }
    report('daily run (6,144 expired of 190,464, default guard)', daily);
    report('30-day backlog (184,320 partitions)', backlog, 30);
  } finally {
    await store.close();
  }
} finally {
  etcd.stop();
}

/**
 * Drops the history of deleted keys, as a production etcd's auto-compaction does: etcd 3.4 walks the
 * index of every key left in a range on each page, tombstones included, so uncompacted rounds of
 * load-and-delete would slow each other down.
 */
async function compact(store) {
  const rev = await store.revision();
  const etcdctl = (...args) =>
    execFileSync('etcdctl', ['--endpoints', etcd.endpoint, '--command-timeout=120s', ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      stdio: 'ignore',
    });
  etcdctl('compact', String(rev), '--physical');
  etcdctl('defrag');
}

/** Seed-format partitions for `hours` hours from `fromMs`, 256 per hour, 3 replicas among 100 nodes. */
async function load(store, prefix, fromMs, hours) {
  const t0 = Date.now();
  const ops = [{ type: 'put', key: `${prefix}/config`, value: JSON.stringify(CONFIG) }];
  const first = fromMs / HOUR;
  for (let k = 0; k < hours * PER_HOUR; k++) {
    const bucket = first + Math.floor(k / PER_HOUR);
    ops.push(seedPartitionPut(prefix, bucket, k % PER_HOUR, k, NODES));
  }
  const batches = [];
  for (let i = 0; i < ops.length; i += 128) batches.push(ops.slice(i, i + 128));
  for (let i = 0; i < batches.length; i += 16)
    await Promise.all(batches.slice(i, i + 16).map((b) => store.txn([], b)));
  console.log(
    `loaded ${fmt(ops.length - 1)} partitions under ${prefix} in ${fmt((Date.now() - t0) / 1000, 1)} s`,
  );
}

/** `otlpctl expire` as a whole process: wall time, exit code, its JSON summary and peak RSS. */
function expire(prefix, nowMs, extra) {
  const args = [
    '--endpoints',
    etcd.endpoint,
    '--prefix',
    prefix,
    'expire',
    '--now',
    new Date(nowMs).toISOString(),
    '-o',
    'json',
    ...extra,
  ];
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', PROBE, BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const m = /OTLPCTL_BENCH_MAXRSS_KB=(\d+)/.exec(err);
      const stderr = err.replace(/OTLPCTL_BENCH_MAXRSS_KB=\d+\n?/, '');
      if (code !== 0) return reject(new Error(`otlpctl ${args.join(' ')} exited ${code}: ${stderr}`));
      resolve({
        ms,
        rssMb: m ? Number(m[1]) / 1024 : NaN,
        summary: JSON.parse(out),
        stderr,
        cmd: `node bin/otlpctl.js ${args.join(' ')}`,
      });
    });
  });
}

function check(r, deleted, partitions) {
  const s = r.summary;
  if (
    s.deleted !== deleted ||
    s.partitions !== partitions ||
    s.skipped.length ||
    s.failed.length ||
    r.stderr
  ) {
    throw new Error(`unexpected result: ${JSON.stringify({ ...s, by_node: undefined })} ${r.stderr}`);
  }
  return r;
}

function report(what, runs, targetSeconds) {
  const s = median(runs.map((r) => r.ms)) / 1000;
  const all = runs.map((r) => fmt(r.ms / 1000, 2)).join(', ');
  const verdict =
    targetSeconds === undefined
      ? ''
      : ` (target ≤ ${targetSeconds} s: ${s <= targetSeconds ? 'met' : 'MISSED'})`;
  const rss = Math.max(...runs.map((r) => r.rssMb));
  console.log(`expire, ${what}: median ${fmt(s, 2)} s of [${all}]${verdict}; peak RSS ${fmt(rss, 1)} MB`);
  console.log(`  $ ${runs[0].cmd}`);
}
