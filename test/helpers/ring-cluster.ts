/**
 * Clusters as an operator has them, for the rebalance scenario tests: nodes registered through the
 * built CLI, partition metadata where the seed's ring put it (zone-unaware, as the seed), sizes in
 * the seed's trace range (1–5 GB), written straight to the store in transactions etcd accepts.
 */
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { PartitionLocator } from '../../src/core/locator.js';
import type { NodeInfo } from '../../src/core/model.js';
import type { Op } from '../../src/store/contract.js';
import { spawnCli } from './cli.js';
import type { Target } from './targets.js';

export interface SeedNode {
  id: string;
  zone: string;
  weight?: number;
}

/** Closed hours well in the past: doctor checks their sizes against the seed's range. */
const FIRST_BUCKET = 490_000;

export async function seedRingCluster(t: Target, nodes: SeedNode[], hours: number): Promise<void> {
  const cli = (...args: string[]) => spawnCli([...t.args, ...args]);
  const init = await cli('init');
  if (init.code !== 0) throw new Error(init.stderr);
  for (const n of nodes) {
    const r = await cli(
      'nodes',
      'add',
      n.id,
      '--region',
      'eu',
      '--zone',
      n.zone,
      '--weight',
      String(n.weight ?? 1),
    );
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const infos: NodeInfo[] = nodes.map((n) => ({
    node_id: n.id,
    weight: n.weight ?? 1,
    state: 'Up',
    location: { region: 'eu', availability_zone: n.zone, data_center: '' },
  }));
  const locator = new PartitionLocator({ ...DEFAULT_CONFIG }, infos);
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  let ops: Op[] = [];
  for (let b = 0; b < hours; b++) {
    for (let h = 0; h < DEFAULT_CONFIG.hash_partitions; h++) {
      const k = locator.located('traces', FIRST_BUCKET + b, h);
      ops.push({
        type: 'put',
        key: `${t.prefix}/partitions/${k.partition_id}`,
        value: JSON.stringify({
          partition_id: k.partition_id,
          nodes: k.ring_replicas,
          leader: k.ring_replicas[0],
          state: 'Active',
          size_bytes: Math.round((1.2 + 3.6 * rand()) * 1e9),
          record_count: 1000,
          created_at: '2025-11-24T16:00:00Z',
          updated_at: '2025-11-24T17:00:00Z',
        }),
      });
      if (ops.length === 100) {
        await t.store.txn([], ops);
        ops = [];
      }
    }
  }
  if (ops.length) await t.store.txn([], ops);
}

export interface StoredPartition {
  partition_id: string;
  nodes: string[];
  leader: string;
  size_bytes: number;
}

export async function storedPartitions(t: Target): Promise<StoredPartition[]> {
  const out: StoredPartition[] = [];
  for await (const page of t.store.range(`${t.prefix}/partitions/`))
    for (const kv of page) out.push(JSON.parse(kv.value) as StoredPartition);
  return out;
}
