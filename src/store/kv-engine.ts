import { StoreError } from '../core/errors.js';
import type { Compare, KeyValue, Op, TxnResult } from './contract.js';
import { compareKeys } from './key-order.js';

/**
 * etcd's rules for one key space, shared by the memory store and the file store so both keep the
 * same promises: what a transaction's compares see, what a write does to revisions and versions,
 * which keys a lease still holds, how a listing is paged.
 */

/** Like etcd, an empty store is at revision 1; the first write makes it 2. */
export const INITIAL_REVISION = 1;
export const DEFAULT_PAGE_SIZE = 1000;

/** One key as stored, in the file store's JSON shape. Never mutated: a write replaces it. */
export interface KvRecord {
  readonly value: string;
  readonly create_revision: number;
  readonly mod_revision: number;
  readonly version: number;
  readonly lease?: string;
}

export interface LeaseRecord {
  readonly ttlSeconds: number;
  /** Infinity while kept alive by this process (memory store only). */
  readonly expiresAtMs: number;
}

/** What a transaction reads: the live record of a key (none if deleted or its lease is gone). */
export interface TxnSource {
  readonly revision: number;
  record(key: string): KvRecord | undefined;
  hasLease(id: string): boolean;
}

export interface TxnOutcome extends TxnResult {
  /** Each key the transaction wrote: its new record, or null if deleted. Empty if nothing changed. */
  writes: Map<string, KvRecord | null>;
}

/** Evaluates a transaction without applying it; the store applies `writes` at `revision`. */
export function evaluateTxn(src: TxnSource, compares: Compare[], success: Op[], failure: Op[]): TxnOutcome {
  const succeeded = compares.every((c) => holds(src.record(c.key), c));
  const ops = succeeded ? success : failure;
  checkOps(src, ops); // before any change, so a refused txn leaves no trace
  const rev = src.revision + 1;
  const writes = new Map<string, KvRecord | null>();
  for (const op of ops) {
    const old = src.record(op.key);
    if (op.type === 'delete') {
      if (old) writes.set(op.key, null);
      continue;
    }
    writes.set(op.key, {
      value: op.value,
      create_revision: old?.create_revision ?? rev,
      mod_revision: rev,
      version: (old?.version ?? 0) + 1,
      ...(op.lease !== undefined ? { lease: op.lease } : {}),
    });
  }
  return { succeeded, revision: writes.size > 0 ? rev : src.revision, writes };
}

function holds(rec: KvRecord | undefined, c: Compare): boolean {
  switch (c.target) {
    case 'mod':
      return (rec?.mod_revision ?? 0) === c.modRevision;
    case 'create':
      return (rec?.create_revision ?? 0) === c.createRevision;
    case 'value':
      return rec !== undefined && rec.value === c.value; // as etcd: a missing key has no value
  }
}

/** etcd refuses the same key twice in one txn, and a put with a lease that does not exist. */
function checkOps(src: TxnSource, ops: Op[]): void {
  const seen = new Set<string>();
  for (const op of ops) {
    if (op.key === '') throw new StoreError('txn: empty key');
    if (seen.has(op.key)) throw new StoreError(`txn: duplicate key '${op.key}' in one transaction`);
    seen.add(op.key);
    if (op.type === 'put' && op.lease !== undefined && !src.hasLease(op.lease)) {
      throw new StoreError(`txn: lease ${op.lease} not found for key '${op.key}' (revoked or expired)`);
    }
  }
}

/** A key whose lease has lapsed is gone for readers, even before a writer drops it. */
export function visibleAt(leases: ReadonlyMap<string, LeaseRecord>, rec: KvRecord, now: number): boolean {
  if (rec.lease === undefined) return true;
  const lease = leases.get(rec.lease);
  return lease !== undefined && lease.expiresAtMs > now;
}

/** A store that keeps only its current revision can list at no other (as etcd after compaction). */
export function checkPinned(pinned: number | undefined, revision: number): void {
  if (pinned === undefined || pinned === revision) return;
  throw new StoreError(
    pinned < revision
      ? `revision ${pinned} compacted: this store keeps only its current revision ${revision}`
      : `revision ${pinned} is in the future: the current revision is ${revision}`,
  );
}

/** `entries` (key order, read when the first page is asked for) as pages of `pageSize` visible keys. */
export function* toPages(
  entries: Iterable<[string, KvRecord]>,
  pageSize: number | undefined,
  visible: (rec: KvRecord) => boolean,
): Generator<KeyValue[]> {
  const size = Math.max(1, Math.floor(pageSize ?? DEFAULT_PAGE_SIZE));
  let page: KeyValue[] = [];
  for (const [key, rec] of entries) {
    if (!visible(rec)) continue;
    page.push(toKeyValue(key, rec));
    if (page.length === size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/** Index of the first key ≥ `prefix` in etcd's byte order. */
export function lowerBound(keys: readonly string[], prefix: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, prefix) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function toKeyValue(key: string, rec: KvRecord): KeyValue {
  const kv: KeyValue = {
    key,
    value: rec.value,
    createRevision: rec.create_revision,
    modRevision: rec.mod_revision,
    version: rec.version,
  };
  if (rec.lease !== undefined) kv.lease = rec.lease;
  return kv;
}

export function checkTtl(ttlSeconds: number): number {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new StoreError(`lease ttl ${ttlSeconds}: expected a positive number of seconds`);
  }
  return Math.ceil(ttlSeconds);
}
