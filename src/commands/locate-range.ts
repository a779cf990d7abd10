import { ExitCode, UsageError } from '../core/errors.js';
import type { Signal } from '../core/model.js';
import { formatPartitionId } from '../core/partition-id.js';
import { preferReplica, replicaViews, resolvePlacement } from '../core/placement.js';
import { formatTime } from '../core/time.js';
import { parseTime } from '../core/time-input.js';
import { renderFanout, type Fanout } from '../render/fanout.js';
import { storedPartition } from '../store/metadata.js';
import { loadCluster, resolveVantage, type VantageOptions } from './cluster.js';
import { print, type Context } from './context.js';

/**
 * `locate range`: the seed's `query_traces` fan-out — every partition of the time range (all hash
 * buckets), the replica a query should read from, and how many partitions each node serves.
 */

export interface LocateRangeOptions extends VantageOptions {
  fromTime?: string;
  toTime?: string;
  service?: string;
  signal: Signal;
}

const MAX_TIME_PARTITIONS = 24 * 400;

export async function locateRange(opts: LocateRangeOptions, ctx: Context): Promise<ExitCode> {
  if (opts.fromTime === undefined) throw new UsageError('locate range: --from-time is required');
  const now = ctx.clock();
  const from = parseTime(opts.fromTime, now, '--from-time');
  const to = opts.toTime === undefined ? now : parseTime(opts.toTime, now, '--to-time');
  if (to <= from)
    throw new UsageError(
      `--to-time must be after --from-time (got ${opts.fromTime} .. ${opts.toTime ?? 'now'})`,
    );
  const cluster = await loadCluster(ctx);
  const vantage = resolveVantage(opts, cluster);
  const { locator, md } = cluster;
  const buckets = locator.time.bucketsInRange(from, to);
  if (buckets.length > MAX_TIME_PARTITIONS) {
    throw new UsageError(
      `time range spans ${buckets.length} time partitions; at most ${MAX_TIME_PARTITIONS}`,
    );
  }
  const fanout: Fanout = {
    signal: opts.signal,
    service_name: opts.service ?? null,
    from: formatTime(from),
    to: formatTime(to),
    time_partitions: buckets.length,
    partitions: [],
    nodes: {},
    unavailable: [],
  };
  for (const bucket of buckets) {
    // One range read per time partition: its ids share the prefix `<signal>partition_<bucket>_`.
    const idPrefix = formatPartitionId(opts.signal, bucket, 0).replace(/\d+$/, '');
    const stored = new Map<string, ReturnType<typeof storedPartition>['record']>();
    for await (const page of md.store.range(md.layout.partition(idPrefix))) {
      for (const kv of page) {
        const s = storedPartition(kv);
        stored.set(s.record.partition_id, s.record);
      }
    }
    for (let h = 0; h < cluster.config.hash_partitions; h++) {
      const id = formatPartitionId(opts.signal, bucket, h);
      const placement = resolvePlacement(id, locator.ringReplicas(id), stored.get(id));
      const preferred = preferReplica(replicaViews(placement.replicas, cluster.nodes), vantage);
      fanout.partitions.push({
        partition_id: id,
        source: placement.source,
        preferred: preferred?.node_id ?? null,
      });
      if (!preferred) {
        fanout.unavailable.push(id);
        continue;
      }
      const n = (fanout.nodes[preferred.node_id] ??= { partitions: 0, reasons: {} });
      n.partitions++;
      n.reasons[preferred.reason] = (n.reasons[preferred.reason] ?? 0) + 1;
    }
  }
  print(ctx, renderFanout(fanout, ctx.format, ctx));
  return fanout.unavailable.length > 0 ? ExitCode.Partial : ExitCode.Ok;
}
