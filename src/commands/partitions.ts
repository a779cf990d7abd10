import { once } from 'node:events';
import type { ClusterConfig } from '../core/config.js';
import { ExitCode, StoreError, UsageError } from '../core/errors.js';
import { PartitionLocator } from '../core/locator.js';
import type { PartitionMetadata, PartitionSortKey, PartitionState, Signal } from '../core/model.js';
import { parsePartitionId } from '../core/partition-id.js';
import { resolvePlacement } from '../core/placement.js';
import { formatTime } from '../core/time.js';
import { parseTime } from '../core/time-input.js';
import { partitionRow, renderPartition, rowStream, type PartitionRow } from '../render/partitions.js';
import { partitionPages } from '../store/metadata.js';
import { openMetadata, print, warn, type Context } from './context.js';

/** `partitions list|show|register|set-state` (stats lives in partition-stats.ts). */

export interface ListOptions {
  state?: PartitionState;
  node?: string;
  signal?: Signal;
  fromTime?: string;
  toTime?: string;
  /** At most this many rows (after sorting, when sorted). */
  limit?: number;
  /** id, start: ascending; size, records: largest first; updated: newest first. */
  sort?: PartitionSortKey;
}

const ORDER: Record<PartitionSortKey, (a: PartitionRow, b: PartitionRow) => number> = {
  id: (a, b) => cmp(a.partition_id, b.partition_id),
  start: (a, b) => cmp(a.start ?? '', b.start ?? '') || cmp(a.partition_id, b.partition_id),
  size: (a, b) => b.size_bytes - a.size_bytes || cmp(a.partition_id, b.partition_id),
  records: (a, b) => b.record_count - a.record_count || cmp(a.partition_id, b.partition_id),
  updated: (a, b) => cmp(b.updated_at, a.updated_at) || cmp(a.partition_id, b.partition_id),
};
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Streams every matching partition: one page in memory at a time, whatever the store holds.
 * `--sort` has to see them all first, so it holds the matching rows (not the raw values).
 */
export async function partitionsList(opts: ListOptions, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const config = await md.requireConfig();
  const now = ctx.clock();
  const from = opts.fromTime === undefined ? -Infinity : parseTime(opts.fromTime, now, '--from-time');
  const to = opts.toTime === undefined ? Infinity : parseTime(opts.toTime, now, '--to-time');
  const widthMs = config.granularity_hours * 3_600_000;
  const limit = opts.limit ?? Infinity;
  const out = rowStream(ctx.format, ctx);
  const held: PartitionRow[] = [];
  let unreadable = 0;
  let shown = 0;
  pages: for await (const page of partitionPages(md)) {
    let text = '';
    for (const e of page) {
      if (!e.ok) {
        unreadable++;
        warn(ctx, `skipped ${e.key}: ${e.error}`);
        continue;
      }
      const p = e.stored.record;
      const id = parsePartitionId(p.partition_id);
      if (opts.state && p.state !== opts.state) continue;
      if (opts.node && !p.nodes.includes(opts.node) && p.leader !== opts.node) continue;
      if (opts.signal && id?.signal !== opts.signal) continue;
      if (from > -Infinity || to < Infinity) {
        if (!id || id.bucket_id * widthMs >= to || (id.bucket_id + 1) * widthMs <= from) continue;
      }
      const row = partitionRow(p, id ? formatTime(id.bucket_id * widthMs) : null);
      if (opts.sort) held.push(row);
      else {
        text += out.row(row);
        if (++shown >= limit) {
          ctx.stdout.write(text);
          break pages;
        }
      }
    }
    if (text && !ctx.stdout.write(text)) await once(ctx.stdout, 'drain');
  }
  if (opts.sort) {
    held.sort(ORDER[opts.sort]);
    ctx.stdout.write(
      held
        .slice(0, limit)
        .map((r) => out.row(r))
        .join(''),
    );
  }
  ctx.stdout.write(out.end());
  return unreadable > 0 ? ExitCode.Partial : ExitCode.Ok;
}

function mustParse(partitionId: string) {
  const id = parsePartitionId(partitionId);
  if (!id) {
    throw new UsageError(
      `partition id '${partitionId}': expected partition_<bucket>_<hash:04> (or metrics_/logs_partition_…)`,
    );
  }
  return id;
}

/** A well-formed id whose hash bucket this cluster never produces is no partition of it either. */
function mustBelong(partitionId: string, config: ClusterConfig): void {
  const { hash_partition } = mustParse(partitionId);
  if (hash_partition >= config.hash_partitions) {
    throw new UsageError(
      `partition id '${partitionId}': hash bucket ${hash_partition} is not below hash_partitions ${config.hash_partitions}`,
    );
  }
}

export async function partitionsShow(partitionId: string, ctx: Context): Promise<ExitCode> {
  mustParse(partitionId);
  const md = await openMetadata(ctx);
  const [config, nodes, stored] = await Promise.all([
    md.requireConfig(),
    md.nodes(),
    md.partition(partitionId),
  ]);
  mustBelong(partitionId, config);
  const ring = new PartitionLocator(
    config,
    nodes.map((n) => n.record),
  ).ringReplicas(partitionId);
  if (!stored) {
    throw new StoreError(
      `no metadata stored for ${partitionId}; the ring places it on ${ring.join(',') || 'no node'} (see 'otlpctl locate')`,
    );
  }
  const placement = resolvePlacement(partitionId, ring, stored.record);
  print(
    ctx,
    renderPartition(
      { ...stored.raw, ...stored.record },
      { mod_revision: stored.modRevision, ring_replicas: ring, disagrees: placement.disagrees },
      ctx.format,
      ctx,
    ),
  );
  return ExitCode.Ok;
}

export interface RegisterOptions {
  partitionId: string;
  nodes?: string[];
  leader?: string;
  sizeBytes?: number;
  recordCount?: number;
  state?: PartitionState;
}

/**
 * Registers a partition's placement. Unlike the seed's `register_partition`, a re-register keeps
 * size_bytes, record_count, created_at and every unknown field: it changes only what it is given.
 */
export async function partitionsRegister(opts: RegisterOptions, ctx: Context): Promise<ExitCode> {
  mustParse(opts.partitionId);
  const md = await openMetadata(ctx);
  const [config, nodes, stored] = await Promise.all([
    md.requireConfig(),
    md.nodes(),
    md.partition(opts.partitionId),
  ]);
  mustBelong(opts.partitionId, config);
  const known = new Set(nodes.map((n) => n.record.node_id));
  for (const n of opts.nodes ?? [])
    if (!known.has(n)) throw new UsageError(`--nodes: '${n}' is not a node (see 'otlpctl nodes list')`);
  if (opts.nodes && new Set(opts.nodes).size !== opts.nodes.length)
    throw new UsageError(`--nodes '${opts.nodes.join(',')}': a node is named twice`);
  const now = formatTime(ctx.clock());
  const ring = new PartitionLocator(
    config,
    nodes.map((n) => n.record),
  ).ringReplicas(opts.partitionId);
  const placed = opts.nodes ?? stored?.record.nodes ?? ring;
  const leader =
    opts.leader ?? (stored && placed.includes(stored.record.leader) ? stored.record.leader : placed[0]);
  if (leader === undefined)
    throw new UsageError('no nodes to register the partition on: add nodes or give --nodes');
  if (!placed.includes(leader))
    throw new UsageError(`--leader '${leader}': must be one of the nodes (${placed.join(',')})`);
  const changes: Partial<PartitionMetadata> = {
    nodes: placed,
    leader,
    updated_at: now,
    ...(opts.sizeBytes !== undefined && { size_bytes: opts.sizeBytes }),
    ...(opts.recordCount !== undefined && { record_count: opts.recordCount }),
    ...(opts.state !== undefined && { state: opts.state }),
  };
  let record: PartitionMetadata;
  if (stored) {
    await md.update(stored, changes);
    record = { ...stored.record, ...changes };
  } else {
    record = {
      partition_id: opts.partitionId,
      nodes: placed,
      leader,
      state: opts.state ?? 'Active',
      size_bytes: opts.sizeBytes ?? 0,
      record_count: opts.recordCount ?? 0,
      created_at: now,
      updated_at: now,
    };
    await md.create(md.layout.partition(opts.partitionId), record);
  }
  print(
    ctx,
    renderPartition(
      record,
      { ring_replicas: ring, disagrees: resolvePlacement(opts.partitionId, ring, record).disagrees },
      ctx.format,
      ctx,
    ),
  );
  return ExitCode.Ok;
}

export async function partitionsSetState(
  partitionId: string,
  state: PartitionState,
  ctx: Context,
): Promise<ExitCode> {
  mustParse(partitionId);
  const md = await openMetadata(ctx);
  mustBelong(partitionId, await md.requireConfig());
  const stored = await md.partition(partitionId);
  if (!stored)
    throw new StoreError(
      `no metadata stored for ${partitionId}: register it first ('otlpctl partitions register ${partitionId}')`,
    );
  const changes = { state, updated_at: formatTime(ctx.clock()) };
  await md.update(stored, changes);
  print(ctx, renderPartition({ ...stored.raw, ...stored.record, ...changes }, {}, ctx.format, ctx));
  return ExitCode.Ok;
}
