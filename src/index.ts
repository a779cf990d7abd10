/**
 * The partitioning core as a library: the same placement code the CLI uses, for services such as
 * an ingest router. Pure: no I/O, no terminal.
 */
export { DEFAULT_CONFIG, parseConfig, type ClusterConfig, type PlacementName } from './core/config.js';
export { ExitCode, OtlpctlError, UsageError } from './core/errors.js';
export { getHasher } from './core/hash/index.js';
export type { HashName, Hasher64 } from './core/hash/types.js';
export {
  contentHash,
  labelHash,
  logHashPartition,
  metricHashPartition,
  traceHashPartition,
  SEVERITY_LEVELS,
  type LogPartitionKey,
  type MetricPartitionKey,
} from './core/keys.js';
export { PartitionLocator, type LocatedKey } from './core/locator.js';
export type {
  NodeInfo,
  NodeLocation,
  NodeState,
  PartitionMetadata,
  PartitionState,
  Signal,
} from './core/model.js';
export { formatPartitionId, parsePartitionId, type CompositePartitionId } from './core/partition-id.js';
export {
  preferReplica,
  replicaViews,
  resolvePlacement,
  type Placement,
  type Preference,
  type ReplicaView,
  type Vantage,
} from './core/placement.js';
export { ServiceNameRangePartitioner } from './core/range.js';
export { ConsistentHashRing, type RingNode } from './core/ring.js';
export {
  formatPreciseTime,
  formatTime,
  timeBucketString,
  TimeRangePartitioner,
  type TimePartition,
} from './core/time.js';
export { parseDuration, parseTime } from './core/time-input.js';
export { parseTraceId } from './core/trace-id.js';
export { TraceRouter, type Route, type RoutePlacement, type BucketMetadata } from './core/trace-router.js';
