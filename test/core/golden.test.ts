import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { getHasher } from '../../src/core/hash/index.js';
import { contentHash, labelHash, logHashPartition, metricHashPartition } from '../../src/core/keys.js';
import { PartitionLocator } from '../../src/core/locator.js';
import { ConsistentHashRing } from '../../src/core/ring.js';
import { TraceRouter } from '../../src/core/trace-router.js';
import { timeBucketString } from '../../src/core/time.js';

/**
 * The seed's placement, bit for bit: vectors produced by test/golden/gen.rs, a std-only Rust
 * program that runs the seed's own code with `DefaultHasher` (regenerate: see test/golden/README.md).
 */

interface Golden {
  trace_ids: { trace_id: string; hash: string; bucket_256: number; bucket_1000: number }[];
  ring: {
    nodes: string[];
    virtual_nodes: number;
    point_count: number;
    replicas: { key: string; replica_count: number; nodes: string[] }[];
  }[];
  metric_keys: {
    timestamp: number;
    name: string;
    service_name: string;
    time_bucket: string;
    labels: [string, string][];
    label_hash: string;
    bucket_256: number;
  }[];
  log_keys: {
    timestamp: number;
    service_name: string;
    time_bucket: string;
    severity_level: number;
    body: string;
    content_hash: string;
    bucket_256: number;
  }[];
}

const golden = JSON.parse(
  readFileSync(new URL('../golden/siphash13.json', import.meta.url), 'utf8'),
) as Golden;
const sip = getHasher('rust-siphash13');
const node = (id: string) => ({
  node_id: id,
  weight: 1,
  state: 'Up' as const,
  location: { region: '', availability_zone: '', data_center: '' },
});

describe('rust-siphash13 golden vectors (the seed, run by rustc)', () => {
  it('ring: replicas of partition ids for 1, 3, 4 and 16 nodes', () => {
    let checked = 0;
    for (const r of golden.ring) {
      const ring = new ConsistentHashRing(sip, r.nodes.map(node), r.virtual_nodes);
      expect(ring.pointCount).toBe(r.point_count);
      for (const c of r.replicas) {
        expect(ring.replicas(c.key, c.replica_count), `${c.key} on ${r.nodes.length} nodes`).toEqual(c.nodes);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(400);
  });

  it('trace ids: hash buckets for 256 and 1000 partitions, through the locator and the batch router', () => {
    const cfg256 = { ...DEFAULT_CONFIG, hash: 'rust-siphash13' as const };
    const cfg1000 = { ...cfg256, hash_partitions: 1000 };
    const l256 = new PartitionLocator(cfg256, [node('node-1')]);
    const l1000 = new PartitionLocator(cfg1000, [node('node-1')]);
    const router = new TraceRouter(l256);
    for (const t of golden.trace_ids) {
      if (/^0+$/.test(t.trace_id)) continue; // the all-zero id is refused as input
      expect(l256.traceHashPartition(t.trace_id)).toBe(t.bucket_256);
      expect(l1000.traceHashPartition(t.trace_id)).toBe(t.bucket_1000);
      expect(router.locate(t.trace_id, 0).partition_id).toBe(
        `partition_0_${String(t.bucket_256).padStart(4, '0')}`,
      );
    }
  });

  it('metric keys: label hash, time bucket and hash partition', () => {
    for (const m of golden.metric_keys) {
      expect(timeBucketString(m.timestamp * 1000)).toBe(m.time_bucket);
      const lh = labelHash(sip, m.labels);
      expect(lh.toString()).toBe(m.label_hash);
      const key = { name: m.name, service_name: m.service_name, time_bucket: m.time_bucket, label_hash: lh };
      expect(metricHashPartition(sip, key, 256)).toBe(m.bucket_256);
    }
  });

  it('log keys: content hash and hash partition', () => {
    for (const l of golden.log_keys) {
      expect(timeBucketString(l.timestamp * 1000)).toBe(l.time_bucket);
      const ch = contentHash(sip, l.body);
      expect(ch.toString()).toBe(l.content_hash);
      const key = {
        service_name: l.service_name,
        time_bucket: l.time_bucket,
        severity_level: l.severity_level,
        content_hash: ch,
      };
      expect(logHashPartition(sip, key, 256)).toBe(l.bucket_256);
    }
  });
});
