// `expire` on a real etcd (issue 5's figures): one day's partitions (24 × 256 = 6,144, target ≤ 3 s)
// and a 30-day backlog (184,320, target ≤ 30 s), each timed as a whole `otlpctl` process.
//
//   npm run build && node bench/expire.js
//
// Also measured: the daily cron run as it really happens — one expired day among 30 live ones,
// deleted under the default --max-delete 10%.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, fmt } from './lib.js';
import { EtcdStore } from '../dist/store/etcd.js';
import { resolveEtcdOptions } from '../dist/store/etcd-options.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PER_HOUR = 256;
const NODES = 100;
const PROBE = fileURLToPath(new URL('./rss-probe.js', import.meta.url));
// Everything in the past (a real run refuses a --now after the clock): NOW is 31 days ago.
const NOW = Math.floor(Date.now() / HOUR) * HOUR - 31 * DAY;
const CONFIG = { granularity_hours: 1, retention_days: 30, hash_partitions: 256 };

const etcd = await startEtcd();
try {
  const store = await EtcdStore.connect(
    resolveEtcdOptions({ endpoints: etcd.endpoint, commandTimeout: '60s' }, {}),
  );
  try {
    // 1. One day alone: the store holds only the day that expired.
    await load(store, '/day', NOW - 31 * DAY, 24);
    const day = await expire('/day', NOW, ['--max-delete', '100%']);
    check(day, 6_144, 6_144);
    report('one day (6,144 partitions, all expired)', day, 3);

    // 2. The daily cron run: 30 days live plus the one that just expired, under the default guard.
    await load(store, '/otlp', NOW - 31 * DAY, 31 * 24);
    const daily = await expire('/otlp', NOW, []);
    check(daily, 6_144, 190_464);
    report('daily run (6,144 expired of 190,464)', daily);

    // 3. The backlog: 30 days later, the 30 days still stored have all expired.
    const backlog = await expire('/otlp', NOW + 30 * DAY, ['--max-delete', '100%']);
    check(backlog, 184_320, 184_320);
    report('30-day backlog (184,320 partitions)', backlog, 30);
  } finally {
    await store.close();
  }
} finally {
  etcd.stop();
}

/** Seed-format partitions for `hours` hours from `fromMs`, 256 per hour, 3 replicas among 100 nodes. */
async function load(store, prefix, fromMs, hours) {
  const t0 = Date.now();
  const ops = [{ type: 'put', key: `${prefix}/config`, value: JSON.stringify(CONFIG) }];
  const first = fromMs / HOUR;
  for (let k = 0; k < hours * PER_HOUR; k++) {
    const bucket = first + Math.floor(k / PER_HOUR);
    const id = `partition_${bucket}_${String(k % PER_HOUR).padStart(4, '0')}`;
    const n = (k * 7) % NODES;
    const nodes = [n, (n + 1) % NODES, (n + 2) % NODES].map((x) => `node-${String(x + 1).padStart(3, '0')}`);
    const t = new Date(bucket * HOUR).toISOString().replace('.000Z', '.123456789Z');
    ops.push({
      type: 'put',
      key: `${prefix}/partitions/${id}`,
      value: JSON.stringify({
        partition_id: id,
        nodes,
        leader: nodes[0],
        state: 'Active',
        size_bytes: 1_000_000_000 + ((k * 2654435761) % 4_000_000_000),
        record_count: 500_000 + (k % 1000),
        created_at: t,
        updated_at: t,
      }),
    });
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
}

function report(what, r, targetSeconds) {
  const s = r.ms / 1000;
  const verdict =
    targetSeconds === undefined
      ? ''
      : ` (target ≤ ${targetSeconds} s: ${s <= targetSeconds ? 'met' : 'MISSED'})`;
  console.log(
    `expire, ${what}: ${fmt(s, 2)} s${verdict}; deleted ${fmt(r.summary.deleted)}, peak RSS ${fmt(r.rssMb, 1)} MB`,
  );
  console.log(`  $ ${r.cmd}`);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A throwaway single-member etcd on free loopback ports, in its own temp dir and process group. */
async function startEtcd() {
  const dir = mkdtempSync(join(tmpdir(), 'otlpctl-bench-expire-'));
  const [client, peer] = [await freePort(), await freePort()];
  const child = spawn(
    process.env.ETCD ?? '/usr/bin/etcd',
    [
      `--data-dir=${join(dir, 'data')}`,
      `--listen-client-urls=http://127.0.0.1:${client}`,
      `--advertise-client-urls=http://127.0.0.1:${client}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=default=http://127.0.0.1:${peer}`,
      `--quota-backend-bytes=${8 * 1024 ** 3}`,
      '--log-level=error',
    ],
    { stdio: 'ignore', detached: true },
  );
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone already
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${client}/health`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      stop();
      throw new Error('etcd did not become healthy in 20 s (is etcd-server installed at /usr/bin/etcd?)');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`etcd on 127.0.0.1:${client}, data in ${dir}`);
  return { endpoint: `127.0.0.1:${client}`, stop };
}
