import { parseConfig, type ClusterConfig } from '../core/config.js';
import { PreconditionError, StoreError } from '../core/errors.js';
import type { NodeInfo, PartitionMetadata } from '../core/model.js';
import {
  parseNodeInfo,
  parsePartitionMetadata,
  readPartitionMetadata,
  rewrite,
  type Parsed,
  type Raw,
} from '../core/records.js';
import type { KeyValue, MetadataStore } from './contract.js';
import { KeyLayout } from './layout.js';

/**
 * Typed access to the records of the key layout. Every write is a compare-and-swap on the
 * record's mod revision, and every rewrite keeps the fields it does not change.
 */

export interface Stored<T> extends Parsed<T> {
  key: string;
  modRevision: number;
}

export class Metadata {
  constructor(
    readonly store: MetadataStore,
    readonly layout: KeyLayout,
    /** Told about each record a listing skips (a command prints it on stderr). */
    readonly warn: (message: string) => void = () => undefined,
  ) {}

  async config(): Promise<Stored<ClusterConfig & Raw> | undefined> {
    const kv = await this.store.get(this.layout.config);
    if (!kv) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(kv.value);
    } catch {
      throw new StoreError(`${kv.key}: value is not JSON`);
    }
    const record = parseConfig(raw, kv.key, (m) => new StoreError(m));
    return { key: kv.key, modRevision: kv.modRevision, record, raw: record };
  }

  async requireConfig(): Promise<ClusterConfig> {
    const c = await this.config();
    if (!c) {
      throw new StoreError(
        `no cluster configuration at ${this.layout.config} in ${this.store.description}: run 'otlpctl init' (or 'otlpctl demo')`,
      );
    }
    return c.record;
  }

  /**
   * Every node that parses. One corrupt record must not take `locate` down during an incident:
   * it is skipped with a warning naming its key, and `doctor` reports it.
   */
  async nodes(): Promise<Stored<NodeInfo>[]> {
    const out: Stored<NodeInfo>[] = [];
    for await (const page of this.store.range(this.layout.nodesPrefix)) {
      for (const kv of page) {
        try {
          out.push({ ...parseNodeInfo(kv.value, kv.key), key: kv.key, modRevision: kv.modRevision });
        } catch (err) {
          if (!(err instanceof StoreError)) throw err;
          this.warn(`skipped ${err.message} (see 'otlpctl doctor')`);
        }
      }
    }
    return out;
  }

  async node(id: string): Promise<Stored<NodeInfo> | undefined> {
    const kv = await this.store.get(this.layout.node(id));
    return kv && { ...parseNodeInfo(kv.value, kv.key), key: kv.key, modRevision: kv.modRevision };
  }

  async partition(id: string): Promise<Stored<PartitionMetadata> | undefined> {
    const kv = await this.store.get(this.layout.partition(id));
    return kv && storedPartition(kv);
  }

  /** Creates a record that must not exist yet. */
  async create(key: string, value: object): Promise<void> {
    const r = await this.store.txn(
      [{ key, target: 'mod', modRevision: 0 }],
      [{ type: 'put', key, value: JSON.stringify(value) }],
    );
    if (!r.succeeded) throw new PreconditionError(`${key} already exists`);
  }

  /** Rewrites a stored record if it has not changed since it was read. */
  async update<T extends object>(stored: Stored<T>, changes: Partial<T>): Promise<void> {
    const r = await this.store.txn(
      [{ key: stored.key, target: 'mod', modRevision: stored.modRevision }],
      [{ type: 'put', key: stored.key, value: rewrite<T>(stored.raw, changes) }],
    );
    if (!r.succeeded) {
      throw new PreconditionError(
        `${stored.key} changed while this command ran (compare-and-swap lost); run it again`,
      );
    }
  }

  async remove(stored: Stored<unknown>): Promise<void> {
    const r = await this.store.txn(
      [{ key: stored.key, target: 'mod', modRevision: stored.modRevision }],
      [{ type: 'delete', key: stored.key }],
    );
    if (!r.succeeded) {
      throw new PreconditionError(
        `${stored.key} changed while this command ran (compare-and-swap lost); run it again`,
      );
    }
  }
}

/**
 * Keys per page handed to a caller of a partition listing. The etcd store fetches at least 5,000
 * keys per request whatever this is (etcd 3.4 counts the whole remaining range on every limited
 * request), so this only bounds how much a caller holds at once: smaller pages, less GC.
 */
export const PARTITION_PAGE = 1000;

/** One stored partition as a listing meets it: parsed, or the reason it does not parse. */
export type PartitionEntry =
  | { ok: true; stored: Stored<PartitionMetadata> }
  | { ok: false; key: string; modRevision: number; error: string };

/**
 * Every stored partition, page by page, all pages at one revision (memory stays bounded by the page
 * size). A value that does not parse, or whose partition_id is not its key's, is reported in place.
 */
export async function* partitionPages(
  md: Metadata,
  pageSize = PARTITION_PAGE,
): AsyncIterable<PartitionEntry[]> {
  const prefix = md.layout.partitionsPrefix;
  for await (const page of md.store.range(prefix, { pageSize })) {
    yield page.map((kv): PartitionEntry => {
      try {
        const stored = storedPartition(kv);
        const error = misnamed(stored.record.partition_id, kv.key, prefix);
        if (error !== undefined) return { ok: false, key: kv.key, modRevision: kv.modRevision, error };
        return { ok: true, stored };
      } catch (err) {
        return {
          ok: false,
          key: kv.key,
          modRevision: kv.modRevision,
          error: err instanceof Error ? err.message : String(err),
        };
      }
    });
  }
}

/**
 * Keys per page of `partitionValues`, fewer than `PARTITION_PAGE`: a page is most of what survives
 * a young-generation collection, and with less surviving V8 keeps that generation at half the size
 * over 184,320 partitions (16 MiB less memory to fault in, ~20 MB less peak RSS).
 */
export const VALUE_PAGE = 250;

/**
 * The stored partitions as raw pages at one revision, for a reader that checks each value as it
 * goes with `readPartition` (`partitions stats`): nothing parsed outlives its turn, which over
 * 184,320 partitions saves the garbage collector most of its work.
 */
export function partitionValues(md: Metadata, pageSize = VALUE_PAGE): AsyncIterable<KeyValue[]> {
  return md.store.range(md.layout.partitionsPrefix, { pageSize });
}

/**
 * One value of `partitionValues`, checked as `partitionPages` checks it: the parsed value itself
 * (to read, not to rewrite: unknown fields ride along), or a StoreError for every value that
 * `partitionPages` reports, and only for those.
 */
export function readPartition(kv: KeyValue, prefix: string): PartitionMetadata {
  const p = readPartitionMetadata(kv.value, kv.key);
  const error = misnamed(p.partition_id, kv.key, prefix);
  if (error !== undefined) throw new StoreError(`${kv.key}: ${error}`);
  return p;
}

/** Why a partition stored under `key` is not the one its key names, if it is not. */
function misnamed(partitionId: string, key: string, prefix: string): string | undefined {
  // The same as comparing with key.slice(prefix.length), without the slice.
  if (partitionId.length === key.length - prefix.length && key.endsWith(partitionId)) return undefined;
  return `partition_id is '${partitionId}', the key names '${key.slice(prefix.length)}'`;
}

export function storedPartition(kv: KeyValue): Stored<PartitionMetadata> {
  const { record, raw } = parsePartitionMetadata(kv.value, kv.key);
  return { record, raw, key: kv.key, modRevision: kv.modRevision };
}
