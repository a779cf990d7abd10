import { DEFAULT_CONFIG, type ClusterConfig } from './config.js';
import { PartitionLocator } from './locator.js';
import type { NodeInfo } from './model.js';
import { parsePartitionId } from './partition-id.js';

/**
 * What a configuration change does to the data already placed (the `init --force` guard,
 * PRODUCT.md §4). Changing how keys map to partitions (`hash`, `hash_partitions`,
 * `granularity_hours`) moves every key to another partition id; changing how partitions map to
 * nodes (`virtual_nodes`, `placement`, `zone_aware`) moves each ring-placed partition whose replica
 * set changes. Other fields change nothing that is placed.
 */

/** Fields that decide which partition a key lands in. */
const KEY_FIELDS = ['hash', 'hash_partitions', 'granularity_hours'] as const;
/** Fields that decide which nodes a partition lands on. */
const RING_FIELDS = ['virtual_nodes', 'placement', 'zone_aware'] as const;
export const REMAP_FIELDS: readonly (keyof ClusterConfig)[] = [...KEY_FIELDS, ...RING_FIELDS];

/**
 * A parsed configuration, or a stored one as read: a field it leaves out (written before the
 * field existed) has its default.
 */
type ConfigValue = Readonly<ClusterConfig> | Readonly<Record<string, unknown>>;
/** The re-mapping fields whose values differ, as `field old → new`. */
export function remapChanges(
  before: ConfigValue,
  after: ConfigValue,
): { field: string; from: unknown; to: unknown }[] {
  return REMAP_FIELDS.flatMap((field) => {
    const from = before[field] ?? DEFAULT_CONFIG[field];
    const to = after[field] ?? DEFAULT_CONFIG[field];
    return JSON.stringify(from) === JSON.stringify(to) ? [] : [{ field, from, to }];
  });
}

/** How many of the stored partitions `ids` would be placed elsewhere under `after`. */
export function countRemapped(
  before: ClusterConfig,
  after: ClusterConfig,
  nodes: readonly NodeInfo[],
  ids: Iterable<string>,
): number {
  const changed = remapChanges(before, after).map((c) => c.field);
  const keysMove = changed.some((f) => (KEY_FIELDS as readonly string[]).includes(f));
  const old = new PartitionLocator(before, nodes);
  const next = new PartitionLocator(after, nodes);
  let count = 0;
  for (const id of ids) {
    if (keysMove) {
      count++;
      continue;
    }
    const key = parsePartitionId(id);
    if (!key) continue; // not a partition the ring places
    const a = old.replicasOf(key.signal, key.bucket_id, key.hash_partition);
    const b = next.replicasOf(key.signal, key.bucket_id, key.hash_partition);
    if (a.length !== b.length || a.some((n, i) => n !== b[i])) count++;
  }
  return count;
}
