import { count, numberIn } from './schema.js';

/**
 * Bounds a flag shares with the stored value it becomes, each defined once (the config's fields'
 * are `CONFIG_CHECKS` in config.ts). Apart from the schemas that use them, so that the CLI's flag
 * declarations, made on every start-up, build none of those schemas.
 */

/** A node's ring weight (points = virtual_nodes × weight): stored, and set by `nodes add --weight`. */
export const NODE_WEIGHT = numberIn(0, 100);

/** A partition's `size_bytes` and `record_count`: stored, and set by `partitions register`. */
export const PARTITION_COUNT = count();

/** `rebalance plan --target`, the allowed distance from the fair share, as a plan records it. */
export const PLAN_TARGET = numberIn(0, 10);
