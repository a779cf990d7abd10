import { StoreError } from './errors.js';
import { count, numberIn } from './schema.js';
import {
  NODE_STATES,
  PARTITION_STATES,
  type NodeInfo,
  type NodeState,
  type PartitionMetadata,
  type PartitionState,
} from './model.js';

/**
 * Parsing of stored values. Each returns the typed record plus the raw object, so a rewrite can
 * spread the raw value and change only its own fields: unknown fields written by a newer writer
 * (or by the seed's Rust code) survive every rewrite.
 */

export type Raw = Record<string, unknown>;

/** A node's ring weight (points = virtual_nodes × weight): stored, and set by `nodes add --weight`. */
export const NODE_WEIGHT = numberIn(0, 100);

/** A partition's `size_bytes` and `record_count`: stored, and set by `partitions register`. */
export const PARTITION_COUNT = count();

export interface Parsed<T> {
  record: T;
  raw: Raw;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function object(value: string, key: string): Raw {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new StoreError(`${key}: value is not JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new StoreError(`${key}: expected a JSON object`);
  }
  return raw as Raw;
}

function field<T>(raw: Raw, key: string, name: string, ok: (v: unknown) => v is T, expected: string): T {
  const v = raw[name];
  if (!ok(v))
    throw new StoreError(`${key}: field ${name} is ${JSON.stringify(v) ?? 'missing'}, expected ${expected}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isU64 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isTime = (v: unknown): v is string => typeof v === 'string' && RFC3339.test(v);
function isStringArray(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (const x of v as unknown[]) if (typeof x !== 'string' || x.length === 0) return false;
  return true;
}
const isPartitionState = (v: unknown): v is PartitionState => PARTITION_STATES.includes(v as PartitionState);
const isNodeState = (v: unknown): v is NodeState => NODE_STATES.includes(v as NodeState);

/** The seed's `PartitionMetadata` JSON, as its serde derives write it. */
export function parsePartitionMetadata(value: string, key: string): Parsed<PartitionMetadata> {
  const raw = readPartitionMetadata(value, key);
  const record: PartitionMetadata = {
    partition_id: raw.partition_id,
    nodes: raw.nodes,
    leader: raw.leader,
    state: raw.state,
    size_bytes: raw.size_bytes,
    record_count: raw.record_count,
    created_at: raw.created_at,
    updated_at: raw.updated_at,
  };
  return { record, raw };
}

/**
 * The parsed value itself once it has checked out as a `PartitionMetadata` (unknown fields and
 * all): for a reader that only reads, such as `partitions stats` over every partition, where a
 * separate record per value is garbage to collect.
 */
export function readPartitionMetadata(value: string, key: string): PartitionMetadata & Raw {
  const raw = object(value, key);
  if (isPartitionMetadata(raw)) return raw;
  // Only a bad value gets here: the field-by-field checks name the first field that is wrong.
  field(raw, key, 'partition_id', isNonEmpty, 'a partition id');
  field(raw, key, 'nodes', isStringArray, 'an array of node ids');
  field(raw, key, 'leader', isString, 'a node id');
  field(raw, key, 'state', isPartitionState, PARTITION_STATES.join('|'));
  field(raw, key, 'size_bytes', isU64, 'a non-negative integer');
  field(raw, key, 'record_count', isU64, 'a non-negative integer');
  field(raw, key, 'created_at', isTime, 'an RFC 3339 time');
  field(raw, key, 'updated_at', isTime, 'an RFC 3339 time');
  return raw as PartitionMetadata & Raw; // the field checks are the authority
}

/**
 * The same checks as the field-by-field ones, in one pass: a listing reads every partition, and
 * generic predicates called through `field` cost it more than the JSON parse does.
 */
function isPartitionMetadata(r: Raw): r is PartitionMetadata & Raw {
  const id = r.partition_id;
  const size = r.size_bytes;
  const count = r.record_count;
  return (
    typeof id === 'string' &&
    id.length > 0 &&
    isStringArray(r.nodes) &&
    typeof r.leader === 'string' &&
    isPartitionState(r.state) &&
    typeof size === 'number' &&
    Number.isInteger(size) &&
    size >= 0 &&
    typeof count === 'number' &&
    Number.isInteger(count) &&
    count >= 0 &&
    isTime(r.created_at) &&
    isTime(r.updated_at)
  );
}

export function parseNodeInfo(value: string, key: string): Parsed<NodeInfo> {
  const raw = object(value, key);
  const loc = raw.location;
  const location = typeof loc === 'object' && loc !== null && !Array.isArray(loc) ? (loc as Raw) : {};
  const weight = raw.weight ?? 1;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
    throw new StoreError(`${key}: field weight is ${JSON.stringify(weight)}, expected a non-negative number`);
  }
  const record: NodeInfo = {
    node_id: field(raw, key, 'node_id', isNonEmpty, 'a node id'),
    location: {
      region: typeof location.region === 'string' ? location.region : '',
      availability_zone: typeof location.availability_zone === 'string' ? location.availability_zone : '',
      data_center: typeof location.data_center === 'string' ? location.data_center : '',
    },
    weight,
    state: field(raw, key, 'state', isNodeState, NODE_STATES.join('|')),
  };
  if (typeof raw.address === 'string') record.address = raw.address;
  return { record, raw };
}

/** Serializes a rewrite: the raw object with the changed fields on top, field order preserved. */
export function rewrite<T extends object>(raw: Raw, changes: Partial<T>): string {
  return JSON.stringify({ ...raw, ...changes });
}
