import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { HASH_NAMES } from '../../src/core/hash/index.js';
import { PartitionLocator } from '../../src/core/locator.js';
import type { NodeInfo, PartitionMetadata } from '../../src/core/model.js';
import { formatPartitionId } from '../../src/core/partition-id.js';
import { resolvePlacement } from '../../src/core/placement.js';
import { TraceRouter } from '../../src/core/trace-router.js';

/**
 * The batch router must answer exactly as the single-locate path does: the locator's partition
 * id and ring replicas, overridden by stored metadata where a bucket has it (PRODUCT.md §2.5) —
 * whatever its caches hold, evict or renumber.
 */

const node = (id: string): NodeInfo => ({
  node_id: id,
  weight: 1,
  state: 'Up',
  location: { region: '', availability_zone: '', data_center: '' },
});
const nodes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    ...node(`node-${i + 1}`),
    location: { region: '', availability_zone: `z${i % 3}`, data_center: '' },
  }));
// The seed's ring, and the per-bucket assignments (bounded, zone-aware walks) of PRODUCT.md §2.4/2.6.
const PLACEMENTS = [
  { placement: 'ring', zone_aware: false },
  { placement: 'bounded', zone_aware: false },
  { placement: 'ring', zone_aware: true },
  { placement: 'bounded', zone_aware: true },
] as const;
const hexId = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .filter((b) => b.some((x) => x !== 0))
  .map((b) => Buffer.from(b).toString('hex'));
const MONTH_START = Date.parse('2026-11-01T00:00:00Z');
const monthMs = fc.integer({ min: 0, max: 30 * 86_400 - 1 }).map((s) => MONTH_START + s * 1000);

function meta(partitionId: string, leader: string, nodeIds: string[]): PartitionMetadata {
  return {
    partition_id: partitionId,
    nodes: nodeIds,
    leader,
    state: 'Active',
    size_bytes: 1,
    record_count: 1,
    created_at: '',
    updated_at: '',
  };
}

/** Stored metadata in every third bucket, for the even hash partitions, on nodes off the ring. */
function storedFor(bucket: number): Map<string, PartitionMetadata> {
  const m = new Map<string, PartitionMetadata>();
  if (bucket % 3 !== 0) return m;
  for (let h = 0; h < 256; h += 2) {
    const id = formatPartitionId('traces', bucket, h);
    m.set(id, meta(id, `moved-${h % 5}`, [`moved-${h % 5}`, `moved-${(h + 1) % 5}`]));
  }
  return m;
}

/** What `locate <id> --at <ms>` answers, from the locator and the stored metadata. */
function expected(locator: PartitionLocator, id: string, ms: number) {
  const k = locator.locateTrace(id, ms);
  const p = resolvePlacement(
    k.partition_id,
    k.ring_replicas,
    storedFor(k.time_partition.bucket_id).get(k.partition_id),
  );
  return { partition_id: k.partition_id, source: p.source, leader: p.leader, replicas: p.replicas };
}

describe.each(HASH_NAMES)('TraceRouter (%s)', (hash) => {
  it.each(PLACEMENTS)(
    'agrees with the locator and stored metadata over a month ($placement, zone_aware $zone_aware)',
    (placement) => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(hexId, monthMs), { minLength: 1, maxLength: 150 }),
          fc.integer({ min: 1, max: 12 }),
          fc.boolean(),
          (lines, nodeCount, upper) => {
            const locator = new PartitionLocator({ ...DEFAULT_CONFIG, hash, ...placement }, nodes(nodeCount));
            const router = new TraceRouter(locator, storedFor);
            for (const [id, ms] of lines) {
              expect(router.locate(upper ? id.toUpperCase() : id, ms)).toEqual(expected(locator, id, ms));
            }
          },
        ),
        { numRuns: 30 },
      );
    },
  );

  it('asks for a bucket once it is not loaded, and routes it after', () => {
    const locator = new PartitionLocator({ ...DEFAULT_CONFIG, hash }, nodes(4));
    const loaded = new Map<number, Map<string, PartitionMetadata>>();
    const asked: number[] = [];
    const router = new TraceRouter(locator, (b) => {
      asked.push(b);
      const m = loaded.get(b);
      loaded.delete(b); // the router keeps what it needs
      return m;
    });
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    const ms = MONTH_START + 3 * 3_600_000;
    const bucket = router.bucketOf(ms);
    const hashPartition = locator.traceHashPartition(id);
    expect(router.placementIfReady(bucket, hashPartition)).toBe(-1);
    expect(() => router.route(bucket, hashPartition)).toThrow(/not loaded/);
    loaded.set(bucket, storedFor(bucket));
    expect(router.placementIfReady(bucket, hashPartition)).toBeGreaterThanOrEqual(0);
    expect(router.locate(id, ms)).toEqual(expected(locator, id, ms));
    expect(asked).toEqual([bucket, bucket, bucket]);
    // Routed now: not asked again.
    router.locate(id, ms + 1000);
    expect(asked).toHaveLength(3);
  });

  it('a bucket pushed out of its slot is taken again, with its metadata asked for again', () => {
    const locator = new PartitionLocator({ ...DEFAULT_CONFIG, hash }, nodes(5));
    const asked: number[] = [];
    const router = new TraceRouter(locator, (b) => {
      asked.push(b);
      return storedFor(b);
    });
    // 2^20 entries / 256 partitions = 4096 slots: buckets 4096 apart share one.
    const a = 498_000;
    const b = a + 4096 * 3;
    for (let round = 0; round < 3; round++) {
      for (const bucket of [a, b]) {
        for (const h of [0, 1, 2, 255]) {
          const ms = bucket * 3_600_000;
          const route = router.route(bucket, h);
          const id = formatPartitionId('traces', bucket, h);
          const p = resolvePlacement(id, locator.ringReplicas(id), storedFor(bucket).get(id));
          expect(route).toEqual({
            partition_id: id,
            source: p.source,
            leader: p.leader,
            replicas: p.replicas,
          });
          expect(router.bucketOf(ms)).toBe(bucket);
        }
      }
    }
    expect(asked).toEqual([a, b, a, b, a, b]);
  });

  it('renumbers its placements when too many are distinct, and still answers the same', () => {
    // 40,000 hash partitions (so up to 80,000 placements) and a distinct stored placement for
    // every partition of three buckets: 120,000 placements, one restart.
    const config = { ...DEFAULT_CONFIG, hash, hash_partitions: 40_000 };
    const locator = new PartitionLocator(config, nodes(3));
    const stored = (bucket: number) => {
      const m = new Map<string, PartitionMetadata>();
      for (let h = 0; h < 40_000; h++) {
        const id = formatPartitionId('traces', bucket, h);
        m.set(id, meta(id, `b${bucket}-${h}`, [`b${bucket}-${h}`, 'node-1']));
      }
      return m;
    };
    const router = new TraceRouter(locator, stored);
    const before = router.generation;
    for (const bucket of [10, 11, 12, 10]) {
      for (const h of [0, 7, 39_999]) {
        expect(router.route(bucket, h)).toMatchObject({
          partition_id: formatPartitionId('traces', bucket, h),
          source: 'metadata',
          leader: `b${bucket}-${h}`,
          replicas: [`b${bucket}-${h}`, 'node-1'],
        });
      }
    }
    expect(router.generation).toBeGreaterThan(before);
  });

  it('renumbers when the ring alone has too many distinct placements, and still answers the same', () => {
    // bounded at 100 nodes: a month of hours has ~50,000 distinct replica sets, so 1,200 hours
    // pass the 65,535 a 16-bit route holds; a placement number past it would wrap.
    const config = { ...DEFAULT_CONFIG, hash, placement: 'bounded' as const };
    const locator = new PartitionLocator(config, nodes(100));
    const router = new TraceRouter(locator);
    const before = router.generation;
    let wrong = 0;
    for (let bucket = 0; bucket < 1200; bucket++) {
      const want = locator.bucketReplicas('traces', bucket);
      for (let h = 0; h < config.hash_partitions; h++) {
        const got = router.route(bucket, h).replicas;
        if (got.join() !== want[h]!.join()) wrong++;
      }
    }
    expect(router.generation).toBeGreaterThan(before);
    expect(wrong).toBe(0);
  });

  it('refuses what is not a trace id', () => {
    const router = new TraceRouter(new PartitionLocator({ ...DEFAULT_CONFIG, hash }, nodes(2)));
    for (const bad of ['0'.repeat(32), 'xyz', 'g'.repeat(32), '4bf92f3577b34da6a3ce929d0e0e473']) {
      expect(() => router.locate(bad, 0)).toThrow(/expected 32 hex digits/);
    }
  });
});
