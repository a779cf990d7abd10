import * as v from 'valibot';
import { UsageError } from './errors.js';
import type { HashName } from './hash/types.js';
import { intIn, isJsonObject, numberIn, oneOf, problem, type Check } from './schema.js';

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

// Upper bounds keep the arithmetic exact: hash_partitions ≤ 2^21 for Hasher64.hashMod,
// granularity up to a year. The flags that set these fields (`init`, `expire --retention-days`,
// `rebalance apply --max-concurrent`) parse with the same checks.
export const CONFIG_CHECKS = {
  granularity_hours: intIn(1, 24 * 366),
  retention_days: intIn(1, 100 * 366),
  hash_partitions: intIn(1, 1 << 20),
  virtual_nodes: intIn(1, 100_000),
  replication_factor: intIn(1, 100),
  hash: oneOf(['xxh64', 'rust-siphash13'], ' or '),
  placement: oneOf(['ring', 'bounded'], ' or '),
  zone_aware: v.boolean('true or false'),
  imbalance_threshold: numberIn(0, 10, true),
  max_concurrent_migrations: intIn(1, 1000),
} satisfies { [F in keyof ClusterConfig]: Check<ClusterConfig[F]> };

// Loose: unknown fields are kept (a rewrite must not drop what a newer writer added).
const CONFIG = v.looseObject(CONFIG_CHECKS, 'a JSON object with the cluster configuration');

export const CONFIG_FIELDS = Object.keys(CONFIG_CHECKS) as (keyof ClusterConfig)[];

/**
 * Validates a configuration object: missing fields take the defaults, unknown fields are kept
 * (a rewrite must not drop what a newer writer added). `where` names the input in messages.
 */
export function parseConfig(
  raw: unknown,
  where: string,
  makeError: (msg: string) => Error = (m) => new UsageError(m),
): ClusterConfig & Record<string, unknown> {
  // Missing fields take the defaults, in the defaults' order.
  const merged: unknown = isJsonObject(raw) ? { ...DEFAULT_CONFIG, ...raw } : raw;
  const bad = problem(CONFIG, merged, where);
  if (bad !== undefined) throw makeError(bad);
  return merged as ClusterConfig & Record<string, unknown>;
}
