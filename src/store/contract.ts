/**
 * The metadata store contract, shaped after what etcd offers (revisions, ranges,
 * transactions, leases) so the file and memory stores can promise the same semantics.
 * Keys and values are strings; keys are full paths including the `--prefix`.
 */

export interface KeyValue {
  key: string;
  value: string;
  /** Store revision at which the key was created. */
  createRevision: number;
  /** Store revision of the key's last change: the compare-and-swap token. */
  modRevision: number;
  /** Number of changes since creation (1 after the first put). */
  version: number;
  /** Lease id the key is attached to, if any. */
  lease?: string;
}

/**
 * A guard in a transaction. `modRevision: 0` (or `createRevision: 0`) means "the key does not exist",
 * exactly as in etcd.
 */
export type Compare =
  | { key: string; target: 'mod'; modRevision: number }
  | { key: string; target: 'create'; createRevision: number }
  | { key: string; target: 'value'; value: string };

export type Op =
  { type: 'put'; key: string; value: string; lease?: string } | { type: 'delete'; key: string };

export interface TxnResult {
  succeeded: boolean;
  /** Store revision after the transaction (unchanged when it failed or wrote nothing). */
  revision: number;
}

export interface RangeOptions {
  /** Read as of this revision (pinning a multi-page listing). Default: the current one. */
  revision?: number;
  /** Keys per page; stays well under etcd's request and gRPC response limits. */
  pageSize?: number;
}

export interface Lease {
  readonly id: string;
  readonly ttlSeconds: number;
  /** Stop keeping it alive and revoke it, deleting every key attached to it. */
  revoke(): Promise<void>;
  /**
   * Stop keeping it alive without telling the store (which is not answering): the lease lapses by
   * its TTL. Stores whose leases are not kept alive by the process need not have it.
   */
  abandon?(): void;
  /**
   * True once the lease is gone or may be (no renewal confirmed for a TTL): whatever it guarded may
   * belong to someone else now. Stores whose leases cannot lapse under a live holder need not have it.
   */
  readonly expired?: boolean;
}

export interface MetadataStore {
  /** Human-readable description for messages, e.g. `file /tmp/x.json` or `etcd 127.0.0.1:2379`. */
  readonly description: string;

  get(key: string): Promise<KeyValue | undefined>;

  /**
   * Every key under `prefix`, in key order, as pages read at one revision. Memory stays bounded
   * by the page size: the caller consumes one page at a time.
   */
  range(prefix: string, options?: RangeOptions): AsyncIterable<KeyValue[]>;

  /** The store's current revision. */
  revision(): Promise<number>;

  /** All-or-nothing: if every compare holds, apply `success`, else `failure` (default nothing). */
  txn(compares: Compare[], success: Op[], failure?: Op[]): Promise<TxnResult>;

  /** A lease kept alive until revoked or the process dies; keys put with it vanish when it expires. */
  grantLease(ttlSeconds: number): Promise<Lease>;

  /** Seconds until the lease expires, or undefined if it no longer exists. */
  leaseTimeToLive(id: string): Promise<number | undefined>;

  close(): Promise<void>;
}
