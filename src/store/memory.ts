import { StoreError } from '../core/errors.js';
import type { Compare, KeyValue, Lease, MetadataStore, Op, RangeOptions, TxnResult } from './contract.js';
import { compareKeys, sortKeys } from './keys.js';

/** Like etcd, an empty store is at revision 1; the first write makes it 2. */
export const INITIAL_REVISION = 1;
export const DEFAULT_PAGE_SIZE = 1000;

/**
 * One key as stored, in the file store's JSON shape so a parsed file is used as is (or parsed on first
 * read: `LineRecord`). Never mutated: a write replaces it, so holding one is a snapshot.
 */
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

/**
 * The key space with etcd's write semantics. `MemoryStore` keeps one; `FileStore` loads one from its
 * file, changes a copy and writes it back. Callers serialise writes.
 */
export class KvState {
  /** Bumped by every change, including lease changes that leave the revision alone. */
  changes = 0;
  // Every key in etcd's order, rebuilt after a change: a listing is then a binary search, not a
  // scan and sort of the whole key space (`locate --stdin` lists one time partition at a time).
  private sorted: { changes: number; keys: readonly string[] } | undefined;

  constructor(
    public revision = INITIAL_REVISION,
    protected readonly map = new Map<string, KvRecord>(),
    readonly leases = new Map<string, LeaseRecord>(),
  ) {}

  /** Every key's record (the file store's state builds it on first use). */
  get kvs(): Map<string, KvRecord> {
    return this.map;
  }

  clone(): KvState {
    return new KvState(this.revision, new Map(this.kvs), new Map(this.leases));
  }

  /** Takes `keys`, every key of `kvs` already in etcd order (a file's), as the listing order. */
  protected adoptOrder(keys: readonly string[]): void {
    this.sorted = { changes: this.changes, keys };
  }

  visible(rec: KvRecord, now: number): boolean {
    return visibleAt(this.leases, rec, now);
  }

  get(key: string, now: number): KeyValue | undefined {
    const rec = this.find(key);
    return rec && this.visible(rec, now) ? toKeyValue(key, rec) : undefined;
  }

  /** The snapshot is taken on the first `next()`; later pages come from it whatever is written meanwhile. */
  *pages(prefix: string, options: RangeOptions, now: number): Generator<KeyValue[]> {
    checkPinned(options.revision, this.revision);
    const keys: string[] = [];
    const recs: KvRecord[] = [];
    const all = this.sortedKeys();
    for (let i = lowerBound(all, prefix); i < all.length && all[i]!.startsWith(prefix); i++) {
      const rec = this.at(all, i);
      if (!this.visible(rec, now)) continue;
      keys.push(all[i]!);
      recs.push(rec);
    }
    const size = Math.max(1, Math.floor(options.pageSize ?? DEFAULT_PAGE_SIZE));
    for (let i = 0; i < keys.length; i += size) {
      yield keys.slice(i, i + size).map((key, j) => toKeyValue(key, recs[i + j]!));
    }
  }

  txn(compares: Compare[], success: Op[], failure: Op[] = []): TxnResult {
    const succeeded = compares.every((c) => this.holds(c));
    const ops = succeeded ? success : failure;
    this.check(ops); // before any change, so a refused txn leaves no trace
    const rev = this.revision + 1;
    let changed = false;
    for (const op of ops) {
      const old = this.kvs.get(op.key);
      if (op.type === 'delete') {
        changed = this.kvs.delete(op.key) || changed;
        continue;
      }
      this.kvs.set(op.key, {
        value: op.value,
        create_revision: old?.create_revision ?? rev,
        mod_revision: rev,
        version: (old?.version ?? 0) + 1,
        ...(op.lease !== undefined ? { lease: op.lease } : {}),
      });
      changed = true;
    }
    if (changed) this.bump(rev);
    return { succeeded, revision: this.revision };
  }

  grantLease(id: string, lease: LeaseRecord): void {
    this.leases.set(id, lease);
    this.changes++;
  }

  /** Deletes the lease and its keys (one revision, as etcd's revoke); false if it was gone already. */
  revokeLease(id: string): boolean {
    if (!this.leases.delete(id)) return false;
    this.changes++;
    let changed = false;
    for (const [key, rec] of this.kvs) if (rec.lease === id) changed = this.kvs.delete(key) || changed;
    if (changed) this.bump(this.revision + 1);
    return true;
  }

  expireLeases(now: number): void {
    for (const [id, lease] of this.leases) if (lease.expiresAtMs <= now) this.revokeLease(id);
  }

  /** Every key and its record in etcd's order (a state read from a file stays unbuilt). */
  *entries(): Generator<[string, KvRecord]> {
    const all = this.sortedKeys();
    for (let i = 0; i < all.length; i++) yield [all[i]!, this.at(all, i)];
  }

  // Reads go through these three (`at`: the record of `sortedKeys()[i]`), so a state read from a
  // file can answer them without building `kvs` (`file-state.ts`).
  protected find(key: string): KvRecord | undefined {
    return this.kvs.get(key);
  }

  protected at(all: readonly string[], i: number): KvRecord {
    return this.kvs.get(all[i]!)!;
  }

  protected sortedKeys(): readonly string[] {
    if (this.sorted?.changes !== this.changes || this.sorted.keys.length !== this.kvs.size) {
      this.sorted = { changes: this.changes, keys: sortKeys([...this.kvs.keys()]) };
    }
    return this.sorted.keys;
  }

  private bump(rev: number): void {
    this.revision = rev;
    this.changes++;
  }

  private holds(c: Compare): boolean {
    const rec = this.kvs.get(c.key);
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
  private check(ops: Op[]): void {
    const seen = new Set<string>();
    for (const op of ops) {
      if (op.key === '') throw new StoreError('txn: empty key');
      if (seen.has(op.key)) throw new StoreError(`txn: duplicate key '${op.key}' in one transaction`);
      seen.add(op.key);
      if (op.type === 'put' && op.lease !== undefined && !this.leases.has(op.lease)) {
        throw new StoreError(`txn: lease ${op.lease} not found for key '${op.key}' (revoked or expired)`);
      }
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

export interface MemoryStoreOptions {
  /** Milliseconds now; leases expire by it, so tests move time instead of waiting. */
  clock?: () => number;
}

/** The store for unit tests: etcd's semantics, no I/O, time from an injected clock. */
export class MemoryStore implements MetadataStore {
  readonly description = 'memory';
  private readonly state = new KvState();
  private readonly clock: () => number;
  private nextLease = 1;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    return this.state.get(key, this.now());
  }

  async *range(prefix: string, options: RangeOptions = {}): AsyncIterable<KeyValue[]> {
    yield* this.state.pages(prefix, options, this.now());
  }

  async revision(): Promise<number> {
    this.now();
    return this.state.revision;
  }

  async txn(compares: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    this.now();
    return this.state.txn(compares, success, failure);
  }

  /** Kept alive (never expires) until revoked, or until `abandonLease` simulates its holder dying. */
  async grantLease(ttlSeconds: number): Promise<Lease> {
    this.now();
    const ttl = checkTtl(ttlSeconds);
    const id = (this.nextLease++).toString(16);
    this.state.grantLease(id, { ttlSeconds: ttl, expiresAtMs: Infinity });
    return {
      id,
      ttlSeconds: ttl,
      revoke: async () => {
        this.now();
        this.state.revokeLease(id);
      },
    };
  }

  /** The holder stopped renewing (crashed): the lease now expires `ttl` from now by the clock. */
  abandonLease(id: string): void {
    const lease = this.state.leases.get(id);
    if (lease) this.state.leases.set(id, { ...lease, expiresAtMs: this.clock() + lease.ttlSeconds * 1000 });
  }

  async leaseTimeToLive(id: string): Promise<number | undefined> {
    const now = this.now();
    const lease = this.state.leases.get(id);
    if (!lease) return undefined;
    return lease.expiresAtMs === Infinity ? lease.ttlSeconds : Math.ceil((lease.expiresAtMs - now) / 1000);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Every call first lets lapsed leases expire, as etcd's lessor would have done meanwhile. */
  private now(): number {
    if (this.closed) throw new StoreError('memory store: used after close()');
    const now = this.clock();
    this.state.expireLeases(now);
    return now;
  }
}
