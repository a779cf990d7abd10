import type { ClusterConfig } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { FailureTally, type FailureCounts } from '../core/failure.js';
import type { PartitionLocator } from '../core/locator.js';
import type { NodeInfo, PartitionMetadata, Signal } from '../core/model.js';
import { formatPartitionId, parsePartitionId } from '../core/partition-id.js';
import { partitionPages, type Metadata } from '../store/metadata.js';
import type { FailureReport } from '../render/ring.js';

/**
 * `ring --simulate-fail-zone Z | --simulate-fail-node N…`: every partition of every signal in the
 * window, placed where it lives (stored metadata where it exists, §2.5, else the placement rule),
 * counted against the nodes left Up.
 */

const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];

export async function simulateFailure(
  md: Metadata,
  config: ClusterConfig,
  locator: PartitionLocator,
  nodes: readonly NodeInfo[],
  buckets: readonly number[],
  fail: { zone?: string; nodes?: string[] },
): Promise<FailureReport> {
  if (fail.zone !== undefined && fail.nodes !== undefined)
    throw new UsageError('--simulate-fail-zone and --simulate-fail-node: give one of them, not both');
  const byId = new Map(nodes.map((n) => [n.node_id, n]));
  let failed: string[];
  if (fail.zone !== undefined) {
    failed = nodes.filter((n) => n.location.availability_zone === fail.zone).map((n) => n.node_id);
    if (failed.length === 0) {
      const zones = [...new Set(nodes.map((n) => n.location.availability_zone).filter(Boolean))].sort();
      throw new UsageError(
        `--simulate-fail-zone '${fail.zone}': no node in that zone (zones: ${zones.join(', ') || 'none'})`,
      );
    }
  } else {
    failed = fail.nodes ?? [];
    for (const id of failed)
      if (!byId.has(id)) throw new UsageError(`--simulate-fail-node '${id}': no such node`);
  }
  const down = new Set(failed);
  const up = (id: string) => byId.get(id)?.state === 'Up' && !down.has(id);

  const first = buckets[0] ?? 0;
  const last = buckets[buckets.length - 1] ?? -1;
  const stored = new Map<string, PartitionMetadata>();
  for await (const page of partitionPages(md)) {
    for (const e of page) {
      if (!e.ok) continue;
      const id = parsePartitionId(e.stored.record.partition_id);
      if (id && id.bucket_id >= first && id.bucket_id <= last)
        stored.set(e.stored.record.partition_id, e.stored.record);
    }
  }
  const total = new FailureTally(config.replication_factor, up);
  const bySignal = {} as Record<Signal, FailureCounts>;
  for (const signal of SIGNALS) {
    const tally = new FailureTally(config.replication_factor, up);
    for (const b of buckets) {
      const sets = locator.bucketReplicas(signal, b);
      for (let h = 0; h < sets.length; h++) {
        const meta = stored.get(formatPartitionId(signal, b, h));
        const replicas = meta ? meta.nodes : sets[h]!;
        tally.add(replicas);
        total.add(replicas);
      }
    }
    bySignal[signal] = tally.counts;
  }
  return {
    ...(fail.zone !== undefined ? { zone: fail.zone } : {}),
    nodes: failed,
    ...total.counts,
    signals: bySignal,
    stored: stored.size,
  };
}
