import { DEFAULT_CONFIG } from '../core/config.js';
import { ExitCode, PreconditionError } from '../core/errors.js';
import { PartitionLocator } from '../core/locator.js';
import type { NodeInfo, PartitionMetadata } from '../core/model.js';
import { formatTime } from '../core/time.js';
import type { Op } from '../store/contract.js';
import { openMetadata, note, print, type Context } from './context.js';

/**
 * `demo`: a realistic small cluster to try the tool on — 12 nodes in 3 zones of 2 regions, the
 * last 24 hours of trace partitions with sizes in the seed's ranges, and the things on-call meets:
 * a Down node, a Draining node, a partition mid-migration, one moved off its ring position.
 */

const ZONES = [
  ['eu-west-1', 'eu-west-1a', 'dc-1'],
  ['eu-west-1', 'eu-west-1b', 'dc-2'],
  ['us-east-1', 'us-east-1a', 'dc-3'],
] as const;

// Deterministic, so the demo (and the README's example output) is the same for everyone.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function demo(opts: { force: boolean }, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const { store, layout } = md;
  if ((await md.config()) && !opts.force) {
    throw new PreconditionError(
      `${store.description} already holds a cluster under ${layout.prefix}; pass --force to replace it`,
    );
  }
  const ops: Op[] = [];
  for await (const page of store.range(`${layout.prefix}/`))
    for (const kv of page) ops.push({ type: 'delete', key: kv.key });
  await apply(ctx, ops);

  const config = { ...DEFAULT_CONFIG };
  const nodes: NodeInfo[] = Array.from({ length: 12 }, (_, i) => {
    const [region, zone, dc] = ZONES[i % 3]!;
    return {
      node_id: `node-${String(i + 1).padStart(2, '0')}`,
      address: `10.0.${i % 3}.${10 + i}:4317`,
      location: { region, availability_zone: zone, data_center: dc },
      weight: 1,
      state: i === 4 ? 'Down' : i === 10 ? 'Draining' : 'Up',
    };
  });
  const puts: Op[] = [
    { type: 'put', key: layout.config, value: JSON.stringify(config) },
    ...nodes.map((n): Op => ({ type: 'put', key: layout.node(n.node_id), value: JSON.stringify(n) })),
  ];
  const locator = new PartitionLocator(config, nodes);
  const rand = mulberry32(42);
  const now = ctx.clock();
  const firstBucket = locator.time.bucketOf(now) - 23;
  for (let b = firstBucket; b < firstBucket + 24; b++) {
    for (let h = 0; h < config.hash_partitions; h++) {
      const key = locator.located('traces', b, h);
      const created = formatTime(key.time_partition.start);
      // Lognormal-ish sizes around 2.5 GB, clamped to the seed's 1-5 GB for traces.
      const gb = Math.min(5, Math.max(1, Math.exp(Math.log(2.5) + 0.35 * gauss(rand))));
      const meta: PartitionMetadata = {
        partition_id: key.partition_id,
        nodes: key.ring_replicas,
        leader: key.ring_replicas[0] ?? '',
        state: 'Active',
        size_bytes: Math.round(gb * 1e9),
        record_count: Math.round((gb * 1e9) / 2_000),
        created_at: created,
        updated_at: formatTime(Math.min(now, key.time_partition.end)),
      };
      puts.push({ type: 'put', key: layout.partition(meta.partition_id), value: JSON.stringify(meta) });
    }
  }
  // The situations on-call meets: an in-flight move, and a partition a rebalance moved off the ring.
  markDemoCases(puts, nodes);
  await apply(ctx, puts);
  note(
    ctx,
    `demo cluster written to ${store.description}: 12 nodes, ${24 * config.hash_partitions} trace partitions (last 24 h)`,
  );
  print(
    ctx,
    ctx.format === 'table'
      ? // npx finds the project's own bin right after `npm ci`, and an installed otlpctl anywhere.
        `try:  npx otlpctl ${describeStoreFlag(store.description)} locate 4bf92f3577b34da6a3ce929d0e0e4736 --at now-1h --from node-01`
      : JSON.stringify({ nodes: nodes.length, partitions: 24 * config.hash_partitions }),
  );
  return ExitCode.Ok;
}

function describeStoreFlag(description: string): string {
  if (!description.startsWith('file ')) return '--endpoints …';
  const path = description.slice(5);
  // The hint is pasted into a shell: quote a path that needs it.
  return `--file ${/^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`}`;
}

function markDemoCases(puts: Op[], nodes: NodeInfo[]): void {
  const partitions = puts.filter(
    (op): op is Op & { type: 'put' } => op.type === 'put' && op.key.includes('/partitions/'),
  );
  const last = partitions.slice(-256);
  const migrating = last[7];
  const moved = last[42];
  if (migrating) {
    const m = JSON.parse(migrating.value) as PartitionMetadata;
    migrating.value = JSON.stringify({ ...m, state: 'Migrating' });
  }
  if (moved) {
    const m = JSON.parse(moved.value) as PartitionMetadata;
    const spare = nodes.find((n) => n.state === 'Up' && !m.nodes.includes(n.node_id))!;
    const replicas = [spare.node_id, ...m.nodes.slice(1)];
    moved.value = JSON.stringify({ ...m, nodes: replicas, leader: spare.node_id });
  }
}

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** In transactions of at most 128 operations: etcd's default --max-txn-ops. */
async function apply(ctx: Context, ops: Op[]): Promise<void> {
  const store = await ctx.openStore();
  for (let i = 0; i < ops.length; i += 128) await store.txn([], ops.slice(i, i + 128));
}
