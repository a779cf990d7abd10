import { ExitCode } from '../core/errors.js';
import { skew } from '../core/ring-report.js';
import type { PartitionMetadata } from '../core/model.js';
import { renderStats, type PartitionStats } from '../render/stats.js';
import { partitionValues, readPartition } from '../store/metadata.js';
import { openMetadata, print, type Context } from './context.js';

/**
 * `partitions stats`: per node bytes, records, partitions and leaders, and the skew, in one
 * streamed pass over the partitions (memory bounded by a page, not by the partition count). Each
 * value is checked and counted as it comes, and nothing parsed is kept; a value `partitionPages`
 * would report counts as unreadable.
 */

export type LoadMeasure = 'bytes' | 'leader-bytes' | 'partitions';

export async function partitionsStats(opts: { by?: LoadMeasure }, ctx: Context): Promise<ExitCode> {
  const by = opts.by ?? 'bytes';
  const md = await openMetadata(ctx);
  const nodes = (await md.nodes()).map((n) => n.record);
  const stats: PartitionStats = {
    by,
    partitions: 0,
    bytes: 0,
    records: 0,
    skew: 0,
    unreadable: 0,
    nodes: {},
  };
  const entry = (id: string) => (stats.nodes[id] ??= { partitions: 0, leaders: 0, bytes: 0, records: 0 });
  for (const n of nodes) entry(n.node_id);
  const prefix = md.layout.partitionsPrefix;
  for await (const page of partitionValues(md)) {
    for (const kv of page) {
      let p: PartitionMetadata;
      try {
        p = readPartition(kv, prefix);
      } catch {
        stats.unreadable++;
        continue;
      }
      stats.partitions++;
      stats.bytes += p.size_bytes;
      stats.records += p.record_count;
      for (const id of p.nodes) {
        const n = entry(id);
        n.partitions++;
        n.bytes += p.size_bytes;
        n.records += p.record_count;
      }
      if (p.leader) {
        entry(p.leader).leaders++;
        (stats.leader_bytes ??= {})[p.leader] = (stats.leader_bytes[p.leader] ?? 0) + p.size_bytes;
      }
    }
  }
  // Skew over the nodes that can hold data (state Up), in the unit of --by.
  const up = nodes.filter((n) => n.state === 'Up').map((n) => n.node_id);
  const load = (id: string) =>
    by === 'bytes'
      ? stats.nodes[id]!.bytes
      : by === 'partitions'
        ? stats.nodes[id]!.partitions
        : (stats.leader_bytes?.[id] ?? 0);
  stats.skew = skew(up.map(load));
  delete stats.leader_bytes;
  print(ctx, renderStats(stats, nodes, ctx.format, ctx));
  return stats.unreadable > 0 ? ExitCode.Partial : ExitCode.Ok;
}
