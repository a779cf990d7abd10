import { closeSync, fstatSync, openSync, readSync, statSync, type BigIntStats } from 'node:fs';
import { StoreError } from '../../core/errors.js';
import type { Compare, KeyValue, Lease, MetadataStore, Op, RangeOptions, TxnResult } from '../contract.js';
import { checkTtl, evaluateTxn, type LeaseRecord } from '../kv-engine.js';
import { lockFile } from './lock.js';
import { randomHex } from '../random.js';
import { encodeLogEntry, type LogEntry } from './format.js';
import { FileView } from './view.js';
import { appendAt, replaceFile, stampOf } from './write.js';

/**
 * The embedded store behind `--file PATH` (layout: `format.ts`). Writers hold `PATH.lock` and log
 * each write as one line appended after the snapshot (fsynced); once the log outgrows a quarter of
 * the snapshot, and when the store closes, it is compacted into a new snapshot written beside the
 * file and renamed over it. Readers take no lock: they read the file's bytes once per change.
 * Leases are kept in the file with their expiry; the granting process renews them, readers ignore
 * lapsed ones, the next writer revokes them.
 */

export interface FileStoreOptions {
  clock?: () => number;
  /** Give up waiting for another writer after this long (it is broken as stale after `staleLockMs`). */
  lockTimeoutMs?: number;
  staleLockMs?: number;
  /** A missing file reads as an empty store (the default), or is an error naming how to create one. */
  missing?: 'empty' | 'error';
}

/** Compact once the log is this big, or a quarter of the snapshot if that is more. */
const MIN_COMPACT_BYTES = 256 * 1024;

type Change<T> = (view: FileView, now: number) => { result: T; entry?: Partial<LogEntry>; compact?: boolean };
interface Pending {
  change: Change<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export class FileStore implements MetadataStore {
  readonly description: string;
  private readonly clock: () => number;
  private readonly lockPath: string;
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;
  private readonly missing: 'empty' | 'error';
  /** The file as last read or written, and its stamp then (undefined: it did not exist). */
  private cache: { stamp: string | undefined; view: FileView } | undefined;
  private readonly queue: Pending[] = [];
  private committing = false;
  private logged = false;
  private readonly keepAlives = new Map<string, NodeJS.Timeout>();

  constructor(
    readonly path: string,
    options: FileStoreOptions = {},
  ) {
    this.description = `file ${path}`;
    this.clock = options.clock ?? Date.now;
    this.lockPath = `${path}.lock`;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 35_000;
    this.staleLockMs = options.staleLockMs ?? 30_000;
    this.missing = options.missing ?? 'empty';
  }

  async get(key: string): Promise<KeyValue | undefined> {
    return this.view().get(key, this.clock());
  }

  async *range(prefix: string, options: RangeOptions = {}): AsyncIterable<KeyValue[]> {
    yield* this.view().pages(prefix, options, this.clock());
  }

  async revision(): Promise<number> {
    return this.view().revision;
  }

  async txn(compares: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    return this.write((view) => {
      const { writes, ...result } = evaluateTxn(view, compares, success, failure);
      return { result, entry: writes.size > 0 ? { revision: result.revision, kvs: writes } : undefined };
    });
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    const ttl = checkTtl(ttlSeconds);
    const id = randomHex(8);
    const lease = (now: number): LeaseRecord => ({ ttlSeconds: ttl, expiresAtMs: now + ttl * 1000 });
    await this.write((_, now) => ({ result: undefined, entry: { leases: new Map([[id, lease(now)]]) } }));
    // Renew three times per ttl so one slow write does not lose the lease; unref: never keeps a CLI alive.
    const timer = setInterval(
      () => {
        this.write((view, now) => {
          const alive = view.hasLease(id);
          return { result: alive, entry: alive ? { leases: new Map([[id, lease(now)]]) } : undefined };
        }).then(
          (alive) => alive || this.stopKeepAlive(id),
          () => undefined, // a busy or failing disk: try again next tick; the lease lapses if it persists
        );
      },
      (ttl * 1000) / 3,
    );
    timer.unref();
    this.keepAlives.set(id, timer);
    return {
      id,
      ttlSeconds: ttl,
      revoke: async () => {
        this.stopKeepAlive(id);
        await this.write((view) => ({ result: undefined, entry: revocation(view, [id]) }));
      },
    };
  }

  async leaseTimeToLive(id: string): Promise<number | undefined> {
    const lease = this.view().leases.get(id);
    const left = lease ? lease.expiresAtMs - this.clock() : 0;
    return left > 0 ? Math.ceil(left / 1000) : undefined;
  }

  /** Stops renewing (its leases then expire after their ttl, as an etcd client going away) and compacts what it logged. */
  async close(): Promise<void> {
    for (const id of [...this.keepAlives.keys()]) this.stopKeepAlive(id);
    if (this.logged || this.queue.length > 0 || this.committing)
      await this.write(() => ({ result: undefined, compact: true })); // after every write asked for
    this.cache = undefined;
  }

  private stopKeepAlive(id: string): void {
    clearInterval(this.keepAlives.get(id));
    this.keepAlives.delete(id);
  }

  /** The file as it is now: read anew only if another writer changed it since. */
  private view(): FileView {
    let st: BigIntStats | undefined;
    try {
      st = statSync(this.path, { bigint: true });
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw this.failed(e);
      if (this.missing === 'error')
        throw new StoreError(
          `file store ${this.path} does not exist: create one with 'otlpctl --file ${this.path} init' or 'otlpctl demo --file ${this.path}'`,
        );
    }
    const stamp = st && stampOf(st);
    if (this.cache && this.cache.stamp === stamp) return this.cache.view;
    const bytes = st && this.readFile();
    const view = FileView.read(this.path, bytes?.data);
    this.cache = { stamp: bytes?.stamp, view };
    return view;
  }

  /** The whole file, and the stamp of what was read (whatever was renamed over the path since). */
  private readFile(): { data: Buffer; stamp: string } | undefined {
    let fd;
    try {
      fd = openSync(this.path, 'r');
    } catch (e) {
      if (errno(e) === 'ENOENT') return undefined;
      throw this.failed(e);
    }
    try {
      const st = statFd(fd);
      const size = Number(st.size);
      const data = Buffer.allocUnsafe(size);
      let n = 0;
      for (let got; n < size && (got = readSync(fd, data, n, size - n, n)) > 0;) n += got;
      return { data: n < size ? data.subarray(0, n) : data, stamp: stampOf(st) };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * A locked write: `change` sees the file as it is, after lapsed leases were revoked; what it
   * returns is logged. Writes asked for meanwhile (concurrent moves of one command) are committed
   * together: one lock, one append, one fsync, each its own log line.
   */
  private write<T>(change: Change<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ change, resolve, reject } as Pending);
      if (this.queue.length === 1 && !this.committing) setImmediate(() => void this.commitQueued());
    });
  }

  private async commitQueued(): Promise<void> {
    this.committing = true;
    try {
      while (this.queue.length > 0) await this.commit(this.queue.splice(0));
    } finally {
      this.committing = false;
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    let release: (() => void) | undefined;
    const done: (() => void)[] = [];
    try {
      release = await lockFile(this.lockPath, { timeoutMs: this.lockTimeoutMs, staleMs: this.staleLockMs });
      let view = this.view();
      const now = this.clock();
      const lapsed = [...view.leases].filter(([, l]) => l.expiresAtMs <= now).map(([id]) => id);
      const entries = lapsed.length > 0 ? [revocation(view, lapsed)] : [];
      for (const e of entries) view.apply(e);
      let compact = false;
      for (const p of batch) {
        try {
          const out = p.change(view, now);
          if (out.entry) {
            const entry = { revision: view.revision, kvs: new Map(), leases: new Map(), ...out.entry };
            view.apply(entry);
            entries.push(entry);
          }
          compact ||= out.compact === true;
          done.push(() => p.resolve(out.result));
        } catch (e) {
          done.push(() => p.reject(e instanceof StoreError ? e : this.failed(e))); // refused before any change
        }
      }
      const grown = view.logBytes > Math.max(MIN_COMPACT_BYTES, view.snapshot.length / 4);
      const rewrite = compact
        ? view.logBytes > 0 || entries.length > 0
        : entries.length > 0 && (grown || !view.appendable);
      if (entries.length > 0 && !rewrite && this.cache?.stamp) {
        // One line per write: each is logged whole or not at all.
        const lines = Buffer.concat(entries.map(encodeLogEntry));
        const stamp = appendAt(this.path, view.logEnd, lines);
        view.logEnd += lines.length;
        this.logged = true;
        this.cache = { stamp, view };
      } else if (rewrite || entries.length > 0) {
        const data = view.compacted();
        const stamp = await replaceFile(this.path, data);
        view = FileView.read(this.path, Buffer.concat(data));
        this.logged = false;
        this.cache = { stamp, view };
      }
      for (const d of done) d();
    } catch (e) {
      this.cache = undefined; // what was applied to the view may not be in the file
      const error = e instanceof StoreError ? e : this.failed(e);
      for (const p of batch) p.reject(error);
    } finally {
      release?.();
    }
  }

  private failed(e: unknown): StoreError {
    return new StoreError(`file store ${this.path}: ${(e as Error).message}`);
  }
}

/** Revoking leases deletes their keys at one new revision (none if they held no key), as etcd does. */
function revocation(view: FileView, ids: string[]): LogEntry {
  const kvs = new Map(ids.flatMap((id) => view.keysWithLease(id)).map((k) => [k, null] as const));
  const leases = new Map(ids.filter((id) => view.hasLease(id)).map((id) => [id, null] as const));
  return { revision: kvs.size > 0 ? view.revision + 1 : view.revision, kvs, leases };
}

const statFd = (fd: number) => fstatSync(fd, { bigint: true });
const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;
