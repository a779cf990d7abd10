// Issue 3's figures on a real etcd: cold start of `locate --endpoints`, and `partitions stats` /
// `partitions list` over 184,320 partitions against `etcdctl get --prefix -w json`.
//
//   npm run build && node bench/etcd.js [partitions, default 184320]
import { BIN, fmt, median, seedPartitionPut, timeCommand, timeProcess } from './lib.js';
import { startEtcd } from './etcd-server.js';
import { DEFAULT_CONFIG } from '../dist/core/config.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdStore } from '../dist/store/etcd/store.js';
import { resolveEtcdOptions } from '../dist/store/etcd/options.js';
import { FileStore } from '../dist/store/file/store.js';

const PARTITIONS = Number(process.argv[2] ?? 184_320);
const NODES = 100;
const etcd = await startEtcd();
const ep = etcd.endpoint;
const dir = mkdtempSync(join(tmpdir(), 'otlpctl-bench-etcd-file-'));
try {
  const store = await EtcdStore.connect(resolveEtcdOptions({ endpoints: ep, commandTimeout: '60s' }, {}));
  const config = DEFAULT_CONFIG;
  const ops = [{ type: 'put', key: '/otlp/config', value: JSON.stringify(config) }];
  for (let i = 0; i < NODES; i++) {
    const node_id = `node-${String(i + 1).padStart(3, '0')}`;
    ops.push({
      type: 'put',
      key: `/otlp/nodes/${node_id}`,
      value: JSON.stringify({
        node_id,
        location: { region: `r${i % 3}`, availability_zone: `z${i % 9}`, data_center: `dc${i % 18}` },
        weight: 1,
        state: 'Up',
      }),
    });
  }
  // Seed-format values: 30 days × 24 h × 256 buckets, chrono timestamps with nanoseconds.
  const firstBucket = Math.floor(Date.now() / 3_600_000) - Math.ceil(PARTITIONS / 256);
  for (let k = 0; k < PARTITIONS; k++) {
    const bucket = firstBucket + Math.floor(k / 256);
    ops.push(seedPartitionPut('/otlp', bucket, k % 256, k, NODES));
  }
  const t0 = Date.now();
  const batches = [];
  for (let i = 0; i < ops.length; i += 128) batches.push(ops.slice(i, i + 128));
  for (let i = 0; i < batches.length; i += 16)
    await Promise.all(batches.slice(i, i + 16).map((b) => store.txn([], b)));
  await store.close();
  console.log(
    `loaded ${fmt(PARTITIONS)} partitions and ${NODES} nodes into etcd in ${fmt((Date.now() - t0) / 1000, 1)} s`,
  );

  // The same cluster in the embedded store (config, nodes, the first hour's partitions): the same
  // locate there is everything in the etcd one that is not etcd's.
  const file = join(dir, 'cluster.json');
  const fileStore = new FileStore(file);
  const hour = `/otlp/partitions/partition_${firstBucket}_`;
  await fileStore.txn(
    [],
    ops.filter((o) => !o.key.startsWith('/otlp/partitions/') || o.key.startsWith(hour)),
  );
  await fileStore.close();

  // Cold start: alternate runs so drift hits both sides alike; timed without the RSS probe, whose
  // --import would start Node's ESM loader in a process that otherwise never loads it. One round
  // first, not counted: etcd is still settling from the bulk load, and the page cache is cold.
  const zero = [];
  const locate = [];
  const locateFile = [];
  const at = String(firstBucket * 3600 + 1800);
  const locateArgs = ['locate', '4bf92f3577b34da6a3ce929d0e0e4736', '--at', at, '-o', 'json'];
  for (let i = -1; i < 15; i++) {
    const z0 = await timeCommand(process.execPath, ['-e', '0']);
    const r = await timeCommand(process.execPath, [BIN, '--endpoints', ep, ...locateArgs]);
    if (r.code !== 0) throw new Error(`locate --endpoints exited ${r.code}`);
    const f = await timeCommand(process.execPath, [BIN, '--file', file, ...locateArgs]);
    if (f.code !== 0) throw new Error(`locate --file exited ${f.code}`);
    if (i < 0) continue;
    zero.push(z0.ms);
    locate.push(r.ms);
    locateFile.push(f.ms);
  }
  const z = median(zero);
  console.log(
    `cold start: node -e 0 ${fmt(z, 1)} ms; otlpctl --endpoints … locate ${fmt(median(locate), 1)} ms → ${fmt(median(locate) / z, 2)}× (target ≤ 1.8×)`,
  );
  console.log(
    `  the same locate on the embedded store (--file): ${fmt(median(locateFile), 1)} ms → ${fmt(median(locateFile) / z, 2)}×; etcd's own share ${fmt(median(locate) - median(locateFile), 1)} ms`,
  );

  const etcdctl = [];
  const stats = [];
  const list = [];
  for (let i = 0; i < 3; i++) {
    etcdctl.push(
      (
        await timeCommand(
          'etcdctl',
          ['--endpoints', ep, 'get', '--prefix', '/otlp/partitions/', '-w', 'json'],
          { env: { ETCDCTL_API: '3' } },
        )
      ).ms,
    );
    const s = await timeProcess([BIN, '--endpoints', ep, 'partitions', 'stats', '-o', 'json']);
    if (s.code !== 0) throw new Error(`stats failed: ${s.stderr}`);
    stats.push(s);
    const l = await timeProcess([BIN, '--endpoints', ep, 'partitions', 'list', '-o', 'ndjson']);
    if (l.code !== 0) throw new Error(`list failed: ${l.stderr}`);
    list.push(l);
  }
  const e = median(etcdctl);
  const sMs = median(stats.map((x) => x.ms));
  console.log(`etcdctl get --prefix /otlp/partitions/ -w json: ${fmt(e)} ms (median of 3)`);
  console.log(
    `partitions stats: ${fmt(sMs)} ms → ${fmt(sMs / e, 2)}× etcdctl (target ≤ 1.0×); peak RSS ${fmt(Math.max(...stats.map((x) => x.rssMb)), 1)} MB (target ≤ 200)`,
  );
  console.log(
    `partitions list -o ndjson: ${fmt(median(list.map((x) => x.ms)))} ms; peak RSS ${fmt(Math.max(...list.map((x) => x.rssMb)), 1)} MB (target ≤ 200)`,
  );
} finally {
  etcd.stop();
  rmSync(dir, { recursive: true, force: true });
}
