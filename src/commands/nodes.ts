import { ExitCode, PreconditionError, UsageError } from '../core/errors.js';
import { PartitionLocator } from '../core/locator.js';
import type { NodeInfo, NodeLocation, NodeState } from '../core/model.js';
import { renderNode, renderNodes, type NodeHoldings } from '../render/nodes.js';
import { partitionPages, type Metadata, type Stored } from '../store/metadata.js';
import { note, openMetadata, print, type Context } from './context.js';

/** Ring membership and locality: `nodes list|show|add|remove|set-state|set-location`. */

export interface NodeAddOptions {
  nodeId: string;
  region?: string;
  zone?: string;
  dc?: string;
  weight?: number;
  address?: string;
  state?: NodeState;
}

export async function nodesAdd(opts: NodeAddOptions, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  await md.requireConfig();
  const node: NodeInfo = {
    node_id: opts.nodeId,
    ...(opts.address !== undefined && { address: opts.address }),
    location: { region: opts.region ?? '', availability_zone: opts.zone ?? '', data_center: opts.dc ?? '' },
    weight: opts.weight ?? 1,
    state: opts.state ?? 'Up',
  };
  if (await md.node(opts.nodeId)) {
    throw new PreconditionError(
      `node '${opts.nodeId}' already exists; use 'nodes set-state' or 'nodes set-location'`,
    );
  }
  await md.create(md.layout.node(opts.nodeId), node);
  print(ctx, renderNode({ node, points: null, share: null }, ctx.format, ctx));
  return ExitCode.Ok;
}

export interface NodesListOptions {
  state?: NodeState;
  zone?: string;
}

export async function nodesList(opts: NodesListOptions, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const nodes = (await md.nodes())
    .map((n) => n.record)
    .filter(
      (n) =>
        (opts.state === undefined || n.state === opts.state) &&
        (opts.zone === undefined || n.location.availability_zone === opts.zone),
    );
  print(ctx, renderNodes(nodes, ctx.format, ctx));
  return ExitCode.Ok;
}

export async function nodesShow(nodeId: string, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const config = await md.requireConfig();
  // Its own record first: one that does not parse ends the command in one line naming its key,
  // before the listing below would warn of it too.
  const node = (await md.node(nodeId))?.record;
  if (!node)
    throw new UsageError(`node '${nodeId}': not found in ${md.store.description} (see 'otlpctl nodes list')`);
  const nodes = (await md.nodes()).map((n) => n.record);
  const ring = new PartitionLocator(config, nodes).ring;
  const held: NodeHoldings = { partitions: 0, leaders: 0, bytes: 0, leader_bytes: 0 };
  for await (const page of partitionPages(md)) {
    for (const e of page) {
      if (!e.ok) continue;
      const p = e.stored.record;
      if (p.nodes.includes(nodeId)) {
        held.partitions++;
        held.bytes += p.size_bytes;
      }
      if (p.leader === nodeId) {
        held.leaders++;
        held.leader_bytes += p.size_bytes;
      }
    }
  }
  print(
    ctx,
    renderNode(
      {
        node,
        points: ring.pointsPerNode().get(nodeId) ?? 0,
        share: ring.shares().get(nodeId) ?? 0,
        held,
      },
      ctx.format,
      ctx,
    ),
  );
  return ExitCode.Ok;
}

async function mustGet(md: Metadata, nodeId: string): Promise<Stored<NodeInfo>> {
  const stored = await md.node(nodeId);
  if (!stored)
    throw new UsageError(`node '${nodeId}': not found in ${md.store.description} (see 'otlpctl nodes list')`);
  return stored;
}

export async function nodesSetState(nodeId: string, state: NodeState, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const stored = await mustGet(md, nodeId);
  await md.update(stored, { state });
  print(ctx, renderNode({ node: { ...stored.record, state }, points: null, share: null }, ctx.format, ctx));
  if (state === 'Down' && ctx.format === 'table')
    note(
      ctx,
      `${nodeId}'s replicas stay on it (a Down node may come back); 'otlpctl failover ${nodeId}' moves its leadership, and if it will not come back: 'otlpctl rebalance plan --replace-down ${nodeId}'`,
    );
  return ExitCode.Ok;
}

/** A node's weight: its ring points (`virtual_nodes × weight`) and its fair share of the load. */
export async function nodesSetWeight(nodeId: string, weight: number, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const stored = await mustGet(md, nodeId);
  await md.update(stored, { weight });
  print(ctx, renderNode({ node: { ...stored.record, weight }, points: null, share: null }, ctx.format, ctx));
  if (ctx.format === 'table')
    note(ctx, `to move data to match the new weight: otlpctl rebalance plan --out plan.json`);
  return ExitCode.Ok;
}

export async function nodesSetLocation(
  nodeId: string,
  change: { region?: string; zone?: string; dc?: string },
  ctx: Context,
): Promise<ExitCode> {
  if (change.region === undefined && change.zone === undefined && change.dc === undefined) {
    throw new UsageError('nodes set-location: give at least one of --region, --zone, --dc');
  }
  const md = await openMetadata(ctx);
  const stored = await mustGet(md, nodeId);
  // Keep location fields we do not know about (written by a newer tool) as well as the ones not given.
  const oldLoc = (stored.raw.location ?? {}) as Record<string, unknown>;
  const location: NodeLocation = {
    ...oldLoc,
    region: change.region ?? stored.record.location.region,
    availability_zone: change.zone ?? stored.record.location.availability_zone,
    data_center: change.dc ?? stored.record.location.data_center,
  };
  await md.update(stored, { location });
  print(
    ctx,
    renderNode({ node: { ...stored.record, location }, points: null, share: null }, ctx.format, ctx),
  );
  return ExitCode.Ok;
}

/**
 * Removing a node re-routes every ring-placed partition it held, and partitions whose metadata
 * still names it would point at nothing: refuse unless --force, and say how many.
 */
export async function nodesRemove(nodeId: string, force: boolean, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const stored = await mustGet(md, nodeId);
  let referencing = 0;
  for await (const page of partitionPages(md)) {
    for (const e of page) {
      if (e.ok && (e.stored.record.nodes.includes(nodeId) || e.stored.record.leader === nodeId))
        referencing++;
    }
  }
  if (referencing > 0 && !force) {
    throw new PreconditionError(
      `node '${nodeId}' is still named by ${referencing} partition(s): move them first ('otlpctl nodes decommission ${nodeId} --out plan.json', or for a Down node 'otlpctl rebalance plan --replace-down ${nodeId} --out plan.json'; then 'rebalance apply plan.json'), or pass --force`,
    );
  }
  await md.remove(stored);
  print(ctx, renderNode({ node: stored.record, points: null, share: null }, ctx.format, ctx));
  return ExitCode.Ok;
}
