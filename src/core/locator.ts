import type { ClusterConfig } from './config.js';
import { getHasher } from './hash/index.js';
import type { Hasher64 } from './hash/types.js';
import { contentHash, labelHash, logHashPartition, metricHashPartition, traceHashPartition } from './keys.js';
import { isRingMember, type NodeInfo, type Signal } from './model.js';
import { BoundedPlacement } from './bounded.js';
import { formatPartitionId, parsePartitionId } from './partition-id.js';
import { ConsistentHashRing } from './ring.js';
import { TimeRangePartitioner, timeBucketString, type TimePartition } from './time.js';
import { traceIdBytes } from './trace-id.js';

/**
 * The seed's `ShardManager` without I/O: from configuration and the node list to a partition id
 * and the replicas its placement rule gives it (`placement: ring` or `bounded`, `zone_aware`).
 * One instance per command. A time bucket holds only `hash_partitions` distinct partitions per
 * signal, so replica sets are computed a bucket at a time and memoised per (signal, bucket):
 * `bounded` needs the whole bucket anyway, and a hot path then costs one table lookup.
 */

export interface LocatedKey {
  signal: Signal;
  time_partition: TimePartition;
  hash_partition: number;
  partition_id: string;
  ring_replicas: string[];
}

const MAX_BUCKETS = 2048;

export class PartitionLocator {
  readonly hasher: Hasher64;
  readonly time: TimeRangePartitioner;
  readonly ring: ConsistentHashRing;
  private readonly buckets = new Map<string, (string[] | undefined)[]>();
  private bounded: BoundedPlacement | undefined;
  private readonly traceBytes = new Uint8Array(16);

  constructor(
    readonly config: ClusterConfig,
    nodes: readonly NodeInfo[],
  ) {
    this.hasher = getHasher(config.hash);
    this.time = new TimeRangePartitioner(config.granularity_hours, config.retention_days);
    this.ring = new ConsistentHashRing(
      this.hasher,
      nodes.filter(isRingMember).map((n) => ({
        node_id: n.node_id,
        weight: n.weight,
        zone: n.location.availability_zone,
      })),
      config.virtual_nodes,
    );
  }

  /**
   * Replica sets of one bucket's partitions of `signal`, by hash partition, as the placement rule
   * gives them (the caller must not change them).
   */
  bucketReplicas(signal: Signal, bucketId: number): readonly string[][] {
    const table = this.table(signal, bucketId);
    for (let h = 0; h < table.length; h++) table[h] ??= this.walk(signal, bucketId, h);
    return table as string[][];
  }

  /** Replicas of partition `hashPartition` of a bucket (memoised with its bucket). */
  replicasOf(signal: Signal, bucketId: number, hashPartition: number): string[] {
    const table = this.table(signal, bucketId);
    return (table[hashPartition] ??= this.walk(signal, bucketId, hashPartition));
  }

  /** `ring` fills a bucket's table lazily (a cold `locate` walks once); `bounded` all at once. */
  private table(signal: Signal, bucketId: number): (string[] | undefined)[] {
    const key = `${signal}:${bucketId}`;
    let table = this.buckets.get(key);
    if (table) return table;
    const parts = this.config.hash_partitions;
    if (this.config.placement === 'bounded') {
      const partitionIds = Array.from({ length: parts }, (_, h) => formatPartitionId(signal, bucketId, h));
      const ids = this.ring.nodeIds;
      table = this.boundedPlacement.bucket(partitionIds).map((set) => set.map((o) => ids[o]!));
    } else table = new Array<string[] | undefined>(parts);
    // A long-lived library user walks through time: keep the newest buckets only.
    if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
    this.buckets.set(key, table);
    return table;
  }

  /** `placement: bounded` for this cluster (capacities worked out once), for per-bucket callers. */
  get boundedPlacement(): BoundedPlacement {
    const { hash_partitions: parts, replication_factor: rf, zone_aware: zoneAware } = this.config;
    return (this.bounded ??= new BoundedPlacement(this.ring, parts, rf, zoneAware));
  }

  private walk(signal: Signal, bucketId: number, hashPartition: number): string[] {
    const { replication_factor: rf, zone_aware: zoneAware } = this.config;
    return this.ring.replicas(formatPartitionId(signal, bucketId, hashPartition), rf, zoneAware);
  }

  /** Replicas the placement rule gives a partition id (one that does not parse: its ring walk). */
  ringReplicas(partitionId: string): string[] {
    const id = parsePartitionId(partitionId);
    if (id && id.hash_partition < this.config.hash_partitions)
      return this.replicasOf(id.signal, id.bucket_id, id.hash_partition);
    return this.ring.replicas(partitionId, this.config.replication_factor, this.config.zone_aware);
  }

  traceHashPartition(traceIdHex: string): number {
    return traceHashPartition(
      this.hasher,
      traceIdBytes(traceIdHex, this.traceBytes),
      this.config.hash_partitions,
    );
  }

  locateTrace(traceIdHex: string, atMs: number): LocatedKey {
    return this.located('traces', this.time.bucketOf(atMs), this.traceHashPartition(traceIdHex));
  }

  locateMetric(
    name: string,
    serviceName: string,
    labels: ReadonlyArray<readonly [string, string]>,
    atMs: number,
  ): LocatedKey & { time_bucket: string; label_hash: bigint } {
    const time_bucket = timeBucketString(atMs);
    const label_hash = labelHash(this.hasher, labels);
    const hash = metricHashPartition(
      this.hasher,
      { name, service_name: serviceName, time_bucket, label_hash },
      this.config.hash_partitions,
    );
    return { ...this.located('metrics', this.time.bucketOf(atMs), hash), time_bucket, label_hash };
  }

  locateLog(
    serviceName: string,
    severityLevel: number,
    body: string,
    atMs: number,
  ): LocatedKey & { time_bucket: string; content_hash: bigint } {
    const time_bucket = timeBucketString(atMs);
    const content_hash = contentHash(this.hasher, body);
    const hash = logHashPartition(
      this.hasher,
      { service_name: serviceName, time_bucket, severity_level: severityLevel, content_hash },
      this.config.hash_partitions,
    );
    return { ...this.located('logs', this.time.bucketOf(atMs), hash), time_bucket, content_hash };
  }

  located(signal: Signal, bucketId: number, hashPartition: number): LocatedKey {
    const partition_id = formatPartitionId(signal, bucketId, hashPartition);
    return {
      signal,
      time_partition: this.time.partition(bucketId),
      hash_partition: hashPartition,
      partition_id,
      ring_replicas: this.ringReplicas(partition_id),
    };
  }
}
