import type { ClusterConfig } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { PartitionLocator, type LocatedKey } from '../core/locator.js';
import type { NodeInfo } from '../core/model.js';
import {
  preferReplica,
  replicaViews,
  resolvePlacement,
  type Placement,
  type Preference,
  type ReplicaView,
  type Vantage,
} from '../core/placement.js';
import { formatTime } from '../core/time.js';
import type { Metadata } from '../store/metadata.js';
import { openMetadata, type Context } from './context.js';

/** What the locate family reads once per command: configuration, nodes, and the locator. */
export interface Cluster {
  md: Metadata;
  config: ClusterConfig;
  nodes: Map<string, NodeInfo>;
  locator: PartitionLocator;
}

export async function loadCluster(ctx: Context): Promise<Cluster> {
  const md = await openMetadata(ctx);
  const [config, stored] = await Promise.all([md.requireConfig(), md.nodes()]);
  const nodes = stored.map((s) => s.record);
  return {
    md,
    config,
    nodes: new Map(nodes.map((n) => [n.node_id, n])),
    locator: new PartitionLocator(config, nodes),
  };
}

export interface VantageOptions {
  from?: string;
  region?: string;
  zone?: string;
  dc?: string;
}

export function resolveVantage(opts: VantageOptions, cluster: Cluster): Vantage | undefined {
  if (opts.from !== undefined) {
    if (opts.region || opts.zone || opts.dc)
      throw new UsageError('--from: give either --from NODE or --region/--zone/--dc, not both');
    const node = cluster.nodes.get(opts.from);
    if (!node) throw new UsageError(`--from '${opts.from}': no such node (see 'otlpctl nodes list')`);
    return node.location;
  }
  if (opts.region || opts.zone || opts.dc) {
    return { region: opts.region, availability_zone: opts.zone, data_center: opts.dc };
  }
  return undefined;
}

/** The JSON shape every locate form shares (PRODUCT.md §9). */
export interface LocateResult {
  time_partition: { bucket_id: number; start: string; end: string };
  hash_partition: number;
  partition_id: string;
  source: Placement['source'];
  state: Placement['state'];
  leader: string | null;
  replicas: ReplicaView[];
  ring_replicas: string[];
  preferred: Preference | null;
  warnings: string[];
}

export async function placementOf(
  cluster: Cluster,
  key: LocatedKey,
  vantage: Vantage | undefined,
): Promise<LocateResult> {
  const stored = await cluster.md.partition(key.partition_id);
  return describePlacement(
    cluster,
    key,
    resolvePlacement(key.partition_id, key.ring_replicas, stored?.record),
    vantage,
  );
}

export function describePlacement(
  cluster: Cluster,
  key: LocatedKey,
  placement: Placement,
  vantage: Vantage | undefined,
): LocateResult {
  const replicas = replicaViews(placement.replicas, cluster.nodes);
  const preferred = preferReplica(replicas, vantage);
  return {
    time_partition: {
      bucket_id: key.time_partition.bucket_id,
      start: formatTime(key.time_partition.start),
      end: formatTime(key.time_partition.end),
    },
    hash_partition: key.hash_partition,
    partition_id: key.partition_id,
    source: placement.source,
    state: placement.state,
    leader: placement.leader,
    replicas,
    ring_replicas: placement.ring_replicas,
    preferred,
    warnings: warningsFor(placement, replicas, preferred, cluster.config.replication_factor),
  };
}

function warningsFor(
  p: Placement,
  replicas: ReplicaView[],
  preferred: Preference | null,
  rf: number,
): string[] {
  const w: string[] = [];
  if (p.migrating)
    w.push(`partition is ${p.state}: a move is in flight; data may be on the old and the new nodes`);
  if (p.disagrees) {
    w.push(
      `metadata places it on ${p.replicas.join(',')}; the ring alone would say ${p.ring_replicas.join(',')}`,
    );
  }
  if (replicas.length === 0) w.push('no ring members: add nodes with `otlpctl nodes add`');
  else if (replicas.length < rf) w.push(`under-replicated: ${replicas.length} of ${rf} replicas`);
  for (const r of replicas) {
    if (r.state === 'Up') continue;
    if (r.node_id !== p.leader) w.push(`replica ${r.node_id} is ${r.state}`);
    else {
      // At 3 a.m. the question is where to read: say so, and what moves the leadership.
      const instead = preferred
        ? `read from replica ${preferred.node_id} instead`
        : 'no replica is Up to read from';
      w.push(
        `leader ${r.node_id} is ${r.state}: ${instead}; 'otlpctl failover ${r.node_id}' moves the leadership`,
      );
    }
  }
  if (p.leader !== null && !p.replicas.includes(p.leader))
    w.push(`leader ${p.leader} is not among the replicas`);
  return w;
}
