import { UsageError } from './errors.js';
import type { HashName } from './hash/types.js';

export type PlacementName = 'ring' | 'bounded';

/** Cluster configuration, stored at `<prefix>/config` in snake_case (PRODUCT.md §2.1). */
export interface ClusterConfig {
  granularity_hours: number;
  retention_days: number;
  hash_partitions: number;
  virtual_nodes: number;
  replication_factor: number;
  hash: HashName;
  placement: PlacementName;
  /** One replica per availability zone where zones allow (§2.4). */
  zone_aware: boolean;
  imbalance_threshold: number;
  max_concurrent_migrations: number;
}

/** The seed's defaults. */
export const DEFAULT_CONFIG: Readonly<ClusterConfig> = Object.freeze({
  granularity_hours: 1,
  retention_days: 30,
  hash_partitions: 256,
  virtual_nodes: 150,
  replication_factor: 3,
  hash: 'xxh64',
  placement: 'ring',
  zone_aware: false,
  imbalance_threshold: 0.2,
  max_concurrent_migrations: 3,
});

type Check = (v: unknown) => string | undefined;

const int =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? undefined
      : `an integer from ${min} to ${max}`;
const oneOf =
  (...names: string[]): Check =>
  (v) =>
    typeof v === 'string' && names.includes(v) ? undefined : names.join(' or ');
const fraction: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 10
    ? undefined
    : 'a number above 0 and below 10';

// Upper bounds keep the arithmetic exact: hash_partitions ≤ 2^21 for Hasher64.hashMod,
// granularity up to a year.
const CHECKS: Record<keyof ClusterConfig, Check> = {
  granularity_hours: int(1, 24 * 366),
  retention_days: int(1, 100 * 366),
  hash_partitions: int(1, 1 << 20),
  virtual_nodes: int(1, 100_000),
  replication_factor: int(1, 100),
  hash: oneOf('xxh64', 'rust-siphash13'),
  placement: oneOf('ring', 'bounded'),
  zone_aware: (v) => (typeof v === 'boolean' ? undefined : 'true or false'),
  imbalance_threshold: fraction,
  max_concurrent_migrations: int(1, 1000),
};

export const CONFIG_FIELDS = Object.keys(CHECKS) as (keyof ClusterConfig)[];

/**
 * Validates a configuration object: missing fields take the defaults, unknown fields are kept
 * (a rewrite must not drop what a newer writer added). `where` names the input in messages.
 */
export function parseConfig(
  raw: unknown,
  where: string,
  makeError: (msg: string) => Error = (m) => new UsageError(m),
): ClusterConfig & Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw makeError(`${where}: expected a JSON object with the cluster configuration`);
  }
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG, ...raw };
  for (const field of CONFIG_FIELDS) {
    const problem = CHECKS[field](merged[field]);
    if (problem) {
      throw makeError(`${where}: ${field} is ${JSON.stringify(merged[field])}, expected ${problem}`);
    }
  }
  return merged as ClusterConfig & Record<string, unknown>;
}
