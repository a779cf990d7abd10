import { ExitCode } from '../core/errors.js';
import { balance, fairShares } from '../core/fair-share.js';
import type { PartitionMetadata } from '../core/model.js';
import { renderStats, type PartitionStats } from '../render/stats.js';
import { partitionValues, readPartition } from '../store/metadata.js';
import { openMetadata, print, type Context } from './context.js';

/**
 * `partitions stats`: per node bytes, records, partitions, leaders and leader bytes, and each Up
 * node's load against its weighted fair share (core/fair-share.ts) with the skew, in one
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
    under: 0,
    unreadable: 0,
    nodes: {},
  };
  const entry = (id: string) =>
    (stats.nodes[id] ??= { partitions: 0, leaders: 0, bytes: 0, leader_bytes: 0, records: 0 });
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
        const l = entry(p.leader);
        l.leaders++;
        l.leader_bytes += p.size_bytes;
      }
    }
  }
  // Skew and each node's share against its weighted fair share, over the Up nodes, in the unit of --by.
  const up = nodes.filter((n) => n.state === 'Up');
  const load = (id: string) => {
    const n = stats.nodes[id]!;
    return by === 'bytes' ? n.bytes : by === 'partitions' ? n.partitions : n.leader_bytes;
  };
  const loads = up.map((n) => load(n.node_id));
  const weights = up.map((n) => n.weight);
  const fair = fairShares(
    weights,
    loads.reduce((a, b) => a + b, 0),
  );
  up.forEach((n, i) => {
    if (fair[i]! > 0) stats.nodes[n.node_id]!.vs_fair = loads[i]! / fair[i]! - 1;
  });
  ({ skew: stats.skew, under: stats.under } = balance(loads, weights));
  print(ctx, renderStats(stats, nodes, ctx.format, ctx));
  return stats.unreadable > 0 ? ExitCode.Partial : ExitCode.Ok;
}
