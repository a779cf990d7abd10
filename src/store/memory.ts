import { StoreError } from '../core/errors.js';
import type { Compare, KeyValue, Lease, MetadataStore, Op, RangeOptions, TxnResult } from './contract.js';
import { sortKeys } from './key-order.js';
import {
  checkPinned,
  checkTtl,
  evaluateTxn,
  lowerBound,
  toKeyValue,
  toPages,
  visibleAt,
  type KvRecord,
  type LeaseRecord,
  type TxnSource,
} from './kv-engine.js';

/** The key space in a Map, with a sorted key list rebuilt after a change so a listing is a binary search. */
class KvMap implements TxnSource {
  revision = 1;
  readonly kvs = new Map<string, KvRecord>();
  readonly leases = new Map<string, LeaseRecord>();
  private sorted: readonly string[] | undefined;

  record(key: string): KvRecord | undefined {
    return this.kvs.get(key);
  }

  hasLease(id: string): boolean {
    return this.leases.has(id);
  }

  txn(compares: Compare[], success: Op[], failure: Op[]): TxnResult {
    const { writes, ...result } = evaluateTxn(this, compares, success, failure);
    for (const [key, rec] of writes) {
      if (rec) this.kvs.set(key, rec);
      else this.kvs.delete(key);
    }
    if (writes.size > 0) this.changed(result.revision);
    return result;
  }

  /** Deletes the lease and its keys (one revision, as etcd's revoke). */
  revokeLease(id: string): void {
    if (!this.leases.delete(id)) return;
    let changed = false;
    for (const [key, rec] of this.kvs) if (rec.lease === id) changed = this.kvs.delete(key) || changed;
    if (changed) this.changed(this.revision + 1);
  }

  expireLeases(now: number): void {
    for (const [id, lease] of this.leases) if (lease.expiresAtMs <= now) this.revokeLease(id);
  }

  /** Read at the first `next()`: later pages come from that snapshot whatever is written meanwhile. */
  *pages(prefix: string, options: RangeOptions, now: number): Generator<KeyValue[]> {
    checkPinned(options.revision, this.revision);
    const all = (this.sorted ??= sortKeys([...this.kvs.keys()]));
    const entries: [string, KvRecord][] = [];
    for (let i = lowerBound(all, prefix); i < all.length && all[i]!.startsWith(prefix); i++)
      entries.push([all[i]!, this.kvs.get(all[i]!)!]);
    const leases = new Map(this.leases);
    yield* toPages(entries, options.pageSize, (rec) => visibleAt(leases, rec, now));
  }

  private changed(revision: number): void {
    this.revision = revision;
    this.sorted = undefined;
  }
}

export interface MemoryStoreOptions {
  /** Milliseconds now; leases expire by it, so tests move time instead of waiting. */
  clock?: () => number;
}

/** The store for unit tests: etcd's semantics, no I/O, time from an injected clock. */
export class MemoryStore implements MetadataStore {
  readonly description = 'memory';
  private readonly state = new KvMap();
  private readonly clock: () => number;
  private nextLease = 1;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const now = this.now();
    const rec = this.state.record(key);
    return rec && visibleAt(this.state.leases, rec, now) ? toKeyValue(key, rec) : undefined;
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
    this.state.leases.set(id, { ttlSeconds: ttl, expiresAtMs: Infinity });
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
