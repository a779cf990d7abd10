import type { ClusterConfig } from './config.js';
import { getHasher } from './hash/index.js';
import type { Hasher64 } from './hash/types.js';
import { contentHash, labelHash, logHashPartition, metricHashPartition, traceHashPartition } from './keys.js';
import { isRingMember, type NodeInfo, type Signal } from './model.js';
import { formatPartitionId } from './partition-id.js';
import { ConsistentHashRing } from './ring.js';
import { TimeRangePartitioner, timeBucketString, type TimePartition } from './time.js';
import { traceIdBytes } from './trace-id.js';

/**
 * The seed's `ShardManager` without I/O: from configuration and the node list to a partition id
 * and its ring replicas. One instance per command; ring lookups are memoised per partition id,
 * since a time partition holds only `hash_partitions` distinct ids.
 */

export interface LocatedKey {
  signal: Signal;
  time_partition: TimePartition;
  hash_partition: number;
  partition_id: string;
  ring_replicas: string[];
}

export class PartitionLocator {
  readonly hasher: Hasher64;
  readonly time: TimeRangePartitioner;
  readonly ring: ConsistentHashRing;
  private readonly replicaCache = new Map<string, string[]>();
  private readonly traceBytes = new Uint8Array(16);

  constructor(
    readonly config: ClusterConfig,
    nodes: readonly NodeInfo[],
  ) {
    this.hasher = getHasher(config.hash);
    this.time = new TimeRangePartitioner(config.granularity_hours, config.retention_days);
    this.ring = new ConsistentHashRing(
      this.hasher,
      nodes.filter(isRingMember).map((n) => ({ node_id: n.node_id, weight: n.weight })),
      config.virtual_nodes,
    );
  }

  ringReplicas(partitionId: string): string[] {
    let r = this.replicaCache.get(partitionId);
    if (!r) {
      r = this.ring.replicas(partitionId, this.config.replication_factor);
      this.replicaCache.set(partitionId, r);
    }
    return r;
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
