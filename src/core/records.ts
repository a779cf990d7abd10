import * as v from 'valibot';
import { StoreError, type LockHolder } from './errors.js';
import {
  NODE_STATES,
  PARTITION_STATES,
  type NodeInfo,
  type PartitionMetadata,
  type PartitionState,
} from './model.js';
import { NODE_WEIGHT, PARTITION_COUNT } from './bounds.js';
import { isJsonObject, oneOf, problem, text, type Check } from './schema.js';

/**
 * Parsing of stored values. Each returns the typed record plus the raw object, so a rewrite can
 * spread the raw value and change only its own fields: unknown fields written by a newer writer
 * (or by the seed's Rust code) survive every rewrite.
 */

export type Raw = Record<string, unknown>;

export interface Parsed<T> {
  record: T;
  raw: Raw;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
export const TIME = text('an RFC 3339 time', RFC3339);

// Loose objects throughout: unknown fields are kept, in their order, for rewrites.
export const PARTITION_METADATA = v.looseObject(
  {
    partition_id: text('a partition id'),
    nodes: v.array(text('a node id'), 'an array of node ids'),
    leader: v.string('a node id'),
    state: oneOf(PARTITION_STATES),
    size_bytes: PARTITION_COUNT,
    record_count: PARTITION_COUNT,
    created_at: TIME,
    updated_at: TIME,
  } satisfies { [F in keyof PartitionMetadata]-?: Check<PartitionMetadata[F]> },
  'a JSON object',
);

const NODE_INFO = v.looseObject(
  {
    node_id: text('a node id'),
    address: v.optional(v.string('an address such as 10.0.0.7:4317')),
    location: v.optional(
      v.looseObject(
        {
          region: v.optional(v.string('a region name')),
          availability_zone: v.optional(v.string('a zone name')),
          data_center: v.optional(v.string('a data center name')),
        },
        'an object of region, availability_zone, data_center',
      ),
    ),
    weight: v.optional(NODE_WEIGHT),
    state: oneOf(NODE_STATES),
  },
  'a JSON object',
);

const LOCK_HOLDER = v.looseObject({
  holder: v.string(),
  host: v.string(),
  pid: v.number(),
  command: v.string(),
  acquired_at: v.string(),
} satisfies { [F in keyof LockHolder]: Check<LockHolder[F]> });

/** A stored JSON object, or the StoreError naming its key. */
export function parseStored<T>(value: string, key: string, schema: Check<T>): T & Raw {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new StoreError(`${key}: value is not JSON`);
  }
  const bad = problem(schema, raw, key);
  if (bad !== undefined) throw new StoreError(bad);
  return raw as T & Raw; // checked: the raw object itself, unknown fields and all
}

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
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new StoreError(`${key}: value is not JSON`);
  }
  if (isJsonObject(raw) && isPartitionMetadata(raw)) return raw;
  // Only a bad value gets here: the schema names the first field that is wrong.
  return parseStored(value, key, PARTITION_METADATA);
}

/**
 * PARTITION_METADATA's checks by hand, in one pass: a listing reads every partition (184,320 in
 * a month), where this adds 0.16× of JSON.parse's time and the schema 1.2× (bench/records.js).
 * A test holds the two to the same answer on any mix of good and bad fields.
 */
export function isPartitionMetadata(r: Raw): r is PartitionMetadata & Raw {
  const id = r.partition_id;
  const size = r.size_bytes;
  const records = r.record_count;
  return (
    typeof id === 'string' &&
    id.length > 0 &&
    isNodeIds(r.nodes) &&
    typeof r.leader === 'string' &&
    PARTITION_STATES.includes(r.state as PartitionState) &&
    typeof size === 'number' &&
    Number.isSafeInteger(size) &&
    size >= 0 &&
    typeof records === 'number' &&
    Number.isSafeInteger(records) &&
    records >= 0 &&
    typeof r.created_at === 'string' &&
    RFC3339.test(r.created_at) &&
    typeof r.updated_at === 'string' &&
    RFC3339.test(r.updated_at)
  );
}

function isNodeIds(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (const x of v as unknown[]) if (typeof x !== 'string' || x.length === 0) return false;
  return true;
}

export function parseNodeInfo(value: string, key: string): Parsed<NodeInfo> {
  const raw = parseStored(value, key, NODE_INFO);
  const loc = raw.location ?? {};
  const record: NodeInfo = {
    node_id: raw.node_id,
    location: {
      region: loc.region ?? '',
      availability_zone: loc.availability_zone ?? '',
      data_center: loc.data_center ?? '',
    },
    weight: raw.weight ?? 1,
    state: raw.state,
  };
  if (raw.address !== undefined) record.address = raw.address;
  return { record, raw };
}

/** Who holds a lock, or undefined for a value some other writer left (still held, by someone). */
export function parseLockHolder(value: string): LockHolder | undefined {
  try {
    const h: unknown = JSON.parse(value);
    return v.is(LOCK_HOLDER, h) ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Serializes a rewrite: the raw object with the changed fields on top, field order preserved. */
export function rewrite<T extends object>(raw: Raw, changes: Partial<T>): string {
  return JSON.stringify({ ...raw, ...changes });
}
