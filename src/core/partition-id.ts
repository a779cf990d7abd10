import type { Signal } from './model.js';

/**
 * Composite partition ids: `partition_<bucket_id>_<hash:04>` for traces (the seed's format),
 * `metrics_partition_…` and `logs_partition_…` for the other signals. Parsing is strict: only a
 * string that formats back to itself is an id, so a stray key can never be taken for a partition.
 */

const PREFIX: Record<Signal, string> = {
  traces: 'partition_',
  metrics: 'metrics_partition_',
  logs: 'logs_partition_',
};

export interface CompositePartitionId {
  signal: Signal;
  bucket_id: number;
  hash_partition: number;
}

export function formatPartitionId(signal: Signal, bucketId: number, hashPartition: number): string {
  return `${PREFIX[signal]}${bucketId}_${String(hashPartition).padStart(4, '0')}`;
}

const ID = /^(metrics_|logs_)?partition_(-?[1-9]\d{0,15}|0)_(\d{4,7})$/;

export function parsePartitionId(id: string): CompositePartitionId | undefined {
  const m = ID.exec(id);
  if (!m) return undefined;
  const signal: Signal = m[1] === 'metrics_' ? 'metrics' : m[1] === 'logs_' ? 'logs' : 'traces';
  const bucket = Number(m[2]);
  const hash = Number(m[3]);
  if (!Number.isSafeInteger(bucket)) return undefined;
  // Round trip: refuses `partition_5_00012` (over-padded) and `-0`.
  if (formatPartitionId(signal, bucket, hash) !== id) return undefined;
  return { signal, bucket_id: bucket, hash_partition: hash };
}
