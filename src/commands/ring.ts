import { ExitCode, UsageError } from '../core/errors.js';
import { getHasher } from '../core/hash/index.js';
import { isRingMember, type NodeInfo } from '../core/model.js';
import { ConsistentHashRing } from '../core/ring.js';
import { countPlacements, idealMovedShare, movedPlacements, skew } from '../core/ring-report.js';
import { parseTime } from '../core/time-input.js';
import { TimeRangePartitioner } from '../core/time.js';
import { renderRing, type RingReport } from '../render/ring.js';
import { openMetadata, print, type Context } from './context.js';

/** `ring`: points, ownership, partitions per node and skew; `--simulate-add/--simulate-remove`. */

export interface RingOptions {
  at?: string;
  hours?: number;
  simulateAdd?: string[];
  simulateRemove?: string[];
}

export async function ring(opts: RingOptions, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const config = await md.requireConfig();
  const nodes = (await md.nodes()).map((n) => n.record);
  const added = opts.simulateAdd ?? [];
  const removed = opts.simulateRemove ?? [];
  const known = new Set(nodes.map((n) => n.node_id));
  for (const id of added) if (known.has(id)) throw new UsageError(`--simulate-add '${id}': already a node`);
  for (const id of removed)
    if (!known.has(id)) throw new UsageError(`--simulate-remove '${id}': no such node`);

  const at = opts.at === undefined ? ctx.clock() : parseTime(opts.at, ctx.clock(), '--at');
  const hours = opts.hours ?? config.retention_days * 24;
  const buckets = new TimeRangePartitioner(config.granularity_hours, config.retention_days).bucketsInRange(
    at - hours * 3_600_000,
    at,
  );
  const hasher = getHasher(config.hash);
  const members = nodes.filter(isRingMember);
  const current = new ConsistentHashRing(hasher, members, config.virtual_nodes);
  const before = countPlacements(current, buckets, config.hash_partitions, config.replication_factor);
  const report: RingReport = {
    placement: config.placement,
    hours,
    partitions: before.total,
    nodes: [],
    skew: 0,
    threshold: config.imbalance_threshold,
    simulate: null,
  };
  const points = current.pointsPerNode();
  const shares = current.shares();
  const upLoads = (counts: Map<string, number>, list: NodeInfo[]) =>
    list.filter((n) => n.state === 'Up').map((n) => counts.get(n.node_id) ?? 0);

  let after: Map<string, number> | undefined;
  let afterRing: ConsistentHashRing | undefined;
  let afterNodes: NodeInfo[] = nodes;
  if (added.length > 0 || removed.length > 0) {
    const extra: NodeInfo[] = added.map((node_id) => ({
      node_id,
      weight: 1,
      state: 'Up',
      location: { region: '', availability_zone: '', data_center: '' },
    }));
    afterNodes = [...nodes.filter((n) => !removed.includes(n.node_id)), ...extra];
    afterRing = new ConsistentHashRing(hasher, afterNodes.filter(isRingMember), config.virtual_nodes);
    const counts = countPlacements(afterRing, buckets, config.hash_partitions, config.replication_factor);
    after = counts.placements;
    const moved = movedPlacements(before, counts);
    report.simulate = {
      added,
      removed,
      moved,
      moved_share: before.total === 0 ? 0 : moved / before.total,
      ideal_share: idealMovedShare(
        members.length,
        added.length,
        removed.filter((r) => members.some((m) => m.node_id === r)).length,
      ),
      skew_after: skew(upLoads(after, afterNodes)),
    };
  }
  const afterPoints = afterRing?.pointsPerNode();
  const afterShares = afterRing?.shares();
  for (const n of [...nodes, ...afterNodes.filter((n) => !known.has(n.node_id))]) {
    report.nodes.push({
      node_id: n.node_id,
      state: n.state,
      points: points.get(n.node_id) ?? 0,
      share: shares.get(n.node_id) ?? 0,
      partitions: before.placements.get(n.node_id) ?? 0,
      ...(after && {
        points_after: afterPoints?.get(n.node_id) ?? 0,
        share_after: afterShares?.get(n.node_id) ?? 0,
        partitions_after: after.get(n.node_id) ?? 0,
      }),
    });
  }
  report.skew = skew(upLoads(before.placements, nodes));
  print(ctx, renderRing(report, ctx.format, ctx));
  return ExitCode.Ok;
}
