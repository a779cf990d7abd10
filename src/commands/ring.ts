import { ExitCode, UsageError } from '../core/errors.js';
import { balance } from '../core/fair-share.js';
import { PartitionLocator } from '../core/locator.js';
import { isRingMember, type NodeInfo } from '../core/model.js';
import { countPlacements, idealMovedShare, movedPlacements, type RingCounts } from '../core/ring-report.js';
import { formatTime } from '../core/time.js';
import { parseTime } from '../core/time-input.js';
import { renderRing, type RingNodeReport, type RingReport } from '../render/ring.js';
import { openMetadata, print, type Context } from './context.js';
import { simulateFailure } from './ring-failure.js';

/**
 * `ring`: points, ownership, placements per node and weighted skew over a window of time
 * partitions, under the configured placement; `--simulate-add/--simulate-remove` show the
 * state after a membership change beside the current one, `--simulate-fail-zone/-node` what a
 * failure would make unavailable.
 */

export interface RingOptions {
  at?: string;
  hours?: number;
  simulateAdd?: string[];
  simulateRemove?: string[];
  simulateFailZone?: string;
  simulateFailNode?: string[];
}

const SIMULATED = /^([A-Za-z0-9][A-Za-z0-9._-]{0,127})(?::([^@]*))?(?:@(.*))?$/;

/** `NODE[:WEIGHT][@ZONE]` → a new Up node (weight 1 and no zone unless given). */
export function parseSimulatedNode(spec: string): NodeInfo {
  const m = SIMULATED.exec(spec);
  const weight = m?.[2] === undefined ? 1 : Number(m[2]);
  if (!m || m[2]?.trim() === '' || !Number.isFinite(weight) || weight <= 0 || weight > 100 || m[3] === '')
    throw new UsageError(
      `--simulate-add '${spec}': expected NODE[:WEIGHT][@ZONE], a weight above 0 up to 100 (e.g. node-13:2@eu-west-1c)`,
    );
  return {
    node_id: m[1]!,
    weight,
    state: 'Up',
    location: { region: '', availability_zone: m[3] ?? '', data_center: '' },
  };
}

export async function ring(opts: RingOptions, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const config = await md.requireConfig();
  const nodes = (await md.nodes()).map((n) => n.record);
  const added = (opts.simulateAdd ?? []).map(parseSimulatedNode);
  const removed = opts.simulateRemove ?? [];
  const known = new Set(nodes.map((n) => n.node_id));
  for (const n of added)
    if (known.has(n.node_id)) throw new UsageError(`--simulate-add '${n.node_id}': already a node`);
  for (const id of removed)
    if (!known.has(id)) throw new UsageError(`--simulate-remove '${id}': no such node`);

  const at = opts.at === undefined ? ctx.clock() : parseTime(opts.at, ctx.clock(), '--at');
  const hours = opts.hours ?? config.retention_days * 24;
  const current = new PartitionLocator(config, nodes);
  // Exactly the ceil(hours / granularity) buckets ending with the one that holds --at: a window
  // counted from an unaligned time must not gain a bucket at its start.
  const count = Math.ceil(hours / config.granularity_hours);
  const last = current.time.bucketOf(at);
  const buckets = Array.from({ length: count }, (_, i) => last - count + 1 + i);
  const before = placementsOf(current, buckets);

  const simulated = added.length > 0 || removed.length > 0;
  const afterNodes = simulated ? [...nodes.filter((n) => !removed.includes(n.node_id)), ...added] : nodes;
  const future = simulated ? new PartitionLocator(config, afterNodes) : undefined;
  const after = future && placementsOf(future, buckets);

  const beforeBalance = weighted(nodes, before);
  const afterBalance = after && weighted(afterNodes, after);
  const report: RingReport = {
    placement: config.placement,
    zone_aware: config.zone_aware,
    hours,
    from: formatTime(current.time.partition(buckets[0]!).start),
    to: formatTime(current.time.partition(last).end),
    buckets: count,
    partitions: before.total,
    nodes: [],
    skew: beforeBalance.skew,
    under: beforeBalance.under,
    threshold: config.imbalance_threshold,
    simulate: null,
    failure: null,
  };
  if (after && afterBalance) {
    const members = nodes.filter(isRingMember);
    const weightOf = (list: readonly NodeInfo[]) => list.reduce((a, n) => a + n.weight, 0);
    const moved = movedPlacements(before, after);
    report.simulate = {
      added: added.map((n) => n.node_id),
      removed,
      moved,
      moved_share: before.total === 0 ? 0 : moved / before.total,
      ideal_share: idealMovedShare(
        weightOf(members),
        weightOf(added),
        weightOf(members.filter((m) => removed.includes(m.node_id))),
      ),
      skew_after: afterBalance.skew,
      under_after: afterBalance.under,
    };
  }
  const rows = new Map<string, RingNodeReport>();
  describe(rows, nodes, current, before, beforeBalance.fair, false);
  if (future && after && afterBalance) describe(rows, afterNodes, future, after, afterBalance.fair, true);
  report.nodes = [...rows.values()];

  if (opts.simulateFailZone !== undefined || opts.simulateFailNode !== undefined) {
    report.failure = await simulateFailure(md, config, future ?? current, afterNodes, buckets, {
      zone: opts.simulateFailZone,
      nodes: opts.simulateFailNode,
    });
  }
  print(ctx, renderRing(report, ctx.format, ctx));
  return ExitCode.Ok;
}

/** Trace partitions stand for every signal: each has `hash_partitions` per bucket, placed alike. */
function placementsOf(locator: PartitionLocator, buckets: readonly number[]): RingCounts {
  return countPlacements(locator.ring.nodeIds, buckets, (b) => locator.bucketReplicas('traces', b));
}

/** Skew over the Up nodes against their weighted fair shares (§9), and each Up node's share. */
function weighted(list: readonly NodeInfo[], counts: RingCounts) {
  const up = list.filter((n) => n.state === 'Up');
  const loads = up.map((n) => counts.placements.get(n.node_id) ?? 0);
  const weights = up.map((n) => n.weight);
  const { skew, under } = balance(loads, weights, counts.total);
  const sum = weights.reduce((a, w) => a + (w > 0 ? w : 0), 0);
  const fair = new Map(
    up.map((n) => [n.node_id, sum > 0 && n.weight > 0 ? (counts.total * n.weight) / sum : 0]),
  );
  return { skew, under, fair };
}

function describe(
  rows: Map<string, RingNodeReport>,
  list: readonly NodeInfo[],
  locator: PartitionLocator,
  counts: RingCounts,
  fair: Map<string, number>,
  afterChange: boolean,
): void {
  const points = locator.ring.pointsPerNode();
  const shares = locator.ring.shares();
  for (const n of list) {
    const load = counts.placements.get(n.node_id) ?? 0;
    const f = fair.get(n.node_id) ?? 0;
    const deviation = f > 0 ? load / f - 1 : null;
    const row = rows.get(n.node_id) ?? {
      node_id: n.node_id,
      state: n.state,
      weight: n.weight,
      zone: n.location.availability_zone,
      points: 0,
      share: 0,
      partitions: 0,
      deviation: null,
    };
    if (afterChange) {
      Object.assign(row, {
        points_after: points.get(n.node_id) ?? 0,
        share_after: shares.get(n.node_id) ?? 0,
        partitions_after: load,
        deviation_after: deviation,
      });
    } else {
      Object.assign(row, {
        points: points.get(n.node_id) ?? 0,
        share: shares.get(n.node_id) ?? 0,
        partitions: load,
        deviation,
      });
    }
    rows.set(n.node_id, row);
  }
  if (afterChange) {
    // Nodes the change removes: nothing after.
    for (const row of rows.values()) {
      if (row.partitions_after !== undefined) continue;
      Object.assign(row, { points_after: 0, share_after: 0, partitions_after: 0, deviation_after: null });
    }
  }
}
