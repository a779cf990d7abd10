import { randomHex } from './random.js';
import { dirname } from 'node:path';
// fs.promises is reached only when writing: loading node:fs/promises costs a read-only command ~4 ms.
import {
  closeSync,
  fstatSync,
  openSync,
  promises as fsp,
  readSync,
  statSync,
  type BigIntStats,
} from 'node:fs';
import { StoreError } from '../core/errors.js';
import type { Compare, KeyValue, Lease, MetadataStore, Op, RangeOptions, TxnResult } from './contract.js';
import { checkTtl, KvState, type LeaseRecord } from './memory.js';
import { parseStore } from './file-format.js';
import { IndexedFile } from './file-index.js';
import { readLines, serialize } from './file-lines.js';
import { lockFile } from './lock.js';

/**
 * The embedded store behind `--file PATH`: one JSON document replaced atomically (tmp + fsync +
 * rename) by writers holding `PATH.lock`. Readers take no lock and read the file once per change,
 * parsing a key's record only when it is read (`file-lines.ts`).
 * A missing file is an empty store at revision 1, as a new etcd. Leases are kept in the file with
 * their expiry; the granting process renews them, readers ignore lapsed ones, the next writer drops them.
 */

export interface FileStoreOptions {
  clock?: () => number;
  /** Give up waiting for another writer after this long (it is broken as stale after `staleLockMs`). */
  lockTimeoutMs?: number;
  staleLockMs?: number;
}

/** What reads need: a KvState, or a file read in place (`IndexedFile`). */
type ReadView = Pick<KvState, 'revision' | 'get' | 'pages'> & { leases: ReadonlyMap<string, LeaseRecord> };

interface Loaded {
  stamp: string;
  /** An IndexedFile holds the file open; it is closed when the cache moves on. */
  view: ReadView;
}

export class FileStore implements MetadataStore {
  readonly description: string;
  private readonly clock: () => number;
  private readonly lockPath: string;
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;
  private cache: Loaded | undefined;
  private writes: Promise<unknown> = Promise.resolve();
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
  }

  async get(key: string): Promise<KeyValue | undefined> {
    return (await this.load()).get(key, this.clock());
  }

  async *range(prefix: string, options: RangeOptions = {}): AsyncIterable<KeyValue[]> {
    yield* (await this.load()).pages(prefix, options, this.clock());
  }

  async revision(): Promise<number> {
    return (await this.load()).revision;
  }

  async txn(compares: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    return this.write((state) => state.txn(compares, success, failure));
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    const ttl = checkTtl(ttlSeconds);
    const id = randomHex(8);
    await this.write((state, now) =>
      state.grantLease(id, { ttlSeconds: ttl, expiresAtMs: now + ttl * 1000 }),
    );
    // Renew three times per ttl so one slow write does not lose the lease; unref: never keeps a CLI alive.
    const timer = setInterval(
      () => {
        this.write((state, now) => {
          if (!state.leases.has(id)) return false;
          state.grantLease(id, { ttlSeconds: ttl, expiresAtMs: now + ttl * 1000 });
          return true;
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
        await this.write((state) => state.revokeLease(id));
      },
    };
  }

  async leaseTimeToLive(id: string): Promise<number | undefined> {
    const lease = (await this.load()).leases.get(id);
    const left = lease ? lease.expiresAtMs - this.clock() : 0;
    return left > 0 ? Math.ceil(left / 1000) : undefined;
  }

  /** Stops renewing; like an etcd client going away, its leases then expire after their ttl. */
  async close(): Promise<void> {
    for (const id of [...this.keepAlives.keys()]) this.stopKeepAlive(id);
    await this.writes;
    this.setCache(undefined);
  }

  private setCache(loaded: Loaded | undefined): void {
    const old = this.cache?.view;
    if (old instanceof IndexedFile && old !== loaded?.view) old.close();
    this.cache = loaded;
  }

  private stopKeepAlive(id: string): void {
    clearInterval(this.keepAlives.get(id));
    this.keepAlives.delete(id);
  }

  /**
   * What reads see, re-read only when another writer replaced the file. A file as we wrote it is
   * read in place (`file-index.ts`); any other is read whole. A missing file is an empty store.
   * Synchronous: local reads, cheaper than a thread-pool round trip per step.
   */
  private async load(): Promise<ReadView> {
    return this.read(true);
  }

  /** The whole state, for a write to change a copy of. */
  private async loadState(): Promise<KvState> {
    return (await this.read(false)) as KvState;
  }

  private async read(inPlace: boolean): Promise<ReadView> {
    let fd;
    try {
      const stamp = stampOf(statSync(this.path, { bigint: true }));
      if (this.cache?.stamp === stamp && (inPlace || this.cache.view instanceof KvState))
        return this.cache.view;
      fd = openSync(this.path, 'r');
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw new StoreError(`file store ${this.path}: ${(e as Error).message}`);
      this.setCache(undefined);
      return new KvState();
    }
    let keep = false;
    try {
      const st = fstatSync(fd, { bigint: true }); // of the file read, whatever was renamed over it since
      const size = Number(st.size);
      const indexed = inPlace ? IndexedFile.open(this.path, fd, size) : undefined;
      keep = indexed !== undefined;
      const bytes = indexed ? undefined : readAll(fd, size);
      const view = indexed ?? readLines(this.path, bytes!) ?? parseStore(this.path, bytes!.toString('utf8'));
      this.setCache({ stamp: stampOf(st), view });
      return view;
    } catch (e) {
      throw e instanceof StoreError ? e : new StoreError(`file store ${this.path}: ${(e as Error).message}`);
    } finally {
      if (!keep) closeSync(fd);
    }
  }

  /** One locked read-modify-write; the change is made on a copy so readers never see it half-done. */
  private write<T>(change: (state: KvState, now: number) => T): Promise<T> {
    const run = async () => {
      const release = await lockFile(this.lockPath, {
        timeoutMs: this.lockTimeoutMs,
        staleMs: this.staleLockMs,
      });
      try {
        const state = (await this.loadState()).clone();
        const now = this.clock();
        state.expireLeases(now);
        const result = change(state, now);
        if (state.changes > 0)
          this.setCache({ stamp: await writeAtomically(this.path, serialize(state)), view: state });
        return result;
      } catch (e) {
        throw e instanceof StoreError
          ? e
          : new StoreError(`file store ${this.path}: ${(e as Error).message}`);
      } finally {
        await release();
      }
    };
    const result = this.writes.then(run, run);
    this.writes = result.catch(() => undefined);
    return result;
  }
}

/** Returns the new file's stamp. A crash before the rename leaves the old file whole. */
async function writeAtomically(path: string, data: Buffer[]): Promise<string> {
  const tmp = `${path}.tmp-${process.pid}`;
  let st;
  try {
    const fh = await fsp.open(tmp, 'w');
    try {
      const { bytesWritten } = await fh.writev(data); // gathered by the kernel: no 60 MB copy first
      const size = data.reduce((sum, b) => sum + b.length, 0);
      if (bytesWritten !== size) throw new Error(`wrote ${bytesWritten} of ${size} bytes to ${tmp}`);
      await fh.sync();
      st = await fh.stat({ bigint: true });
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
  const dir = await fsp.open(dirname(path), 'r');
  await dir.sync().finally(() => dir.close()); // the rename itself must survive a power cut
  return stampOf(st);
}

/** inode + mtime + size: every write renames a new file over the path, so this changes with it. */
const stampOf = (st: BigIntStats) => `${st.ino}:${st.mtimeNs}:${st.size}`;

/** Into a buffer of its own: the records read lazily point into it. */
function readAll(fd: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  let n = 0;
  for (let got; n < size && (got = readSync(fd, bytes, n, size - n, n)) > 0;) n += got;
  return n < size ? bytes.subarray(0, n) : bytes;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;
