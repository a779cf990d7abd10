import { randomHex } from './random.js';
import { dirname } from 'node:path';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { StoreError } from '../core/errors.js';
import type { Compare, KeyValue, Lease, MetadataStore, Op, RangeOptions, TxnResult } from './contract.js';
import { checkTtl, KvState, type KvRecord, type LeaseRecord } from './memory.js';
import { sortKeys } from './keys.js';
import { lockFile } from './lock.js';

/**
 * The embedded store behind `--file PATH`: one JSON document replaced atomically (tmp + fsync +
 * rename) by writers holding `PATH.lock`. Readers take no lock and parse the file once per change.
 * A missing file is an empty store at revision 1, as a new etcd. Leases are kept in the file with
 * their expiry; the granting process renews them, readers ignore lapsed ones, the next writer drops them.
 */

const FORMAT = 'otlpctl-file-store';
const EXPECTED = `expected a JSON object {"format": "${FORMAT}", "version": 1, "revision", "kvs", "leases"}`;

export interface FileStoreOptions {
  clock?: () => number;
  /** Give up waiting for another writer after this long (it is broken as stale after `staleLockMs`). */
  lockTimeoutMs?: number;
  staleLockMs?: number;
}

interface Loaded {
  /** inode + mtime + size: every write renames a new file over the path, so this changes with it. */
  stamp: string;
  state: KvState;
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
  }

  private stopKeepAlive(id: string): void {
    clearInterval(this.keepAlives.get(id));
    this.keepAlives.delete(id);
  }

  /** The parsed file, re-read only when another writer replaced it. A missing file is an empty store. */
  private async load(): Promise<KvState> {
    let st;
    try {
      st = await stat(this.path, { bigint: true });
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw new StoreError(`file store ${this.path}: ${(e as Error).message}`);
      this.cache = undefined;
      return new KvState();
    }
    const stamp = `${st.ino}:${st.mtimeNs}:${st.size}`;
    if (this.cache?.stamp === stamp) return this.cache.state;
    const text = await readFile(this.path, 'utf8').catch((e: Error) => {
      throw new StoreError(`file store ${this.path}: ${e.message}`);
    });
    const state = parseStore(this.path, text);
    this.cache = { stamp, state };
    return state;
  }

  /** One locked read-modify-write; the change is made on a copy so readers never see it half-done. */
  private write<T>(change: (state: KvState, now: number) => T): Promise<T> {
    const run = async () => {
      const release = await lockFile(this.lockPath, {
        timeoutMs: this.lockTimeoutMs,
        staleMs: this.staleLockMs,
      });
      try {
        const state = (await this.load()).clone();
        const now = this.clock();
        state.expireLeases(now);
        const result = change(state, now);
        if (state.changes > 0)
          this.cache = { stamp: await writeAtomically(this.path, serialize(state)), state };
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

function parseStore(path: string, text: string): KvState {
  const bad = (what: string) => new StoreError(`file store ${path} is not readable: ${what}; ${EXPECTED}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (!isObject(doc) || doc.format !== FORMAT) throw bad(`no "format": "${FORMAT}"`);
  if (doc.version !== 1) throw bad(`format version ${String(doc.version)} (a newer otlpctl wrote it?)`);
  const { revision, kvs, leases } = doc;
  if (!isCount(revision) || !isObject(kvs) || !isObject(leases)) throw bad('missing revision, kvs or leases');
  const state = new KvState(revision);
  for (const key in kvs) {
    const v = kvs[key]; // used as the record itself: no copy of 200k objects
    const ok =
      isObject(v) && typeof v.value === 'string' && (v.lease === undefined || typeof v.lease === 'string');
    if (!ok || !isCount(v.create_revision) || !isCount(v.mod_revision) || !isCount(v.version)) {
      throw bad(
        `key '${key}' needs a string value, create_revision, mod_revision, version and maybe a lease id`,
      );
    }
    state.kvs.set(key, v as unknown as KvRecord);
  }
  for (const [id, l] of Object.entries(leases)) {
    if (!isObject(l) || !isCount(l.ttl) || typeof l.expires_at_ms !== 'number')
      throw bad(`lease ${id} has no ttl`);
    state.leases.set(id, { ttlSeconds: l.ttl, expiresAtMs: l.expires_at_ms });
  }
  return state;
}

/**
 * `"key": {record}` as UTF-8, kept per record: records never change, so the later writes of a
 * command (expire, rebalance) only encode what they changed.
 */
const lines = new WeakMap<KvRecord, Buffer>();
const NEXT = Buffer.from(',\n');

/** One key per line, in key order, so the file diffs and greps well; built by hand to keep any key (even `__proto__`). */
function serialize(state: KvState): Buffer[] {
  const parts: Buffer[] = [
    Buffer.from(`{"format": "${FORMAT}", "version": 1, "revision": ${state.revision},\n"kvs": {\n`),
  ];
  for (const key of sortKeys([...state.kvs.keys()])) {
    const rec = state.kvs.get(key)!;
    let line = lines.get(rec);
    if (line === undefined)
      lines.set(rec, (line = Buffer.from(`${JSON.stringify(key)}: ${JSON.stringify(rec)}`)));
    if (parts.length > 1) parts.push(NEXT);
    parts.push(line);
  }
  const leases = [...state.leases].map(
    ([id, l]: [string, LeaseRecord]) =>
      `${JSON.stringify(id)}: ${JSON.stringify({ ttl: l.ttlSeconds, expires_at_ms: l.expiresAtMs })}`,
  );
  parts.push(Buffer.from(`\n},\n"leases": {\n${leases.join(',\n')}\n}}\n`));
  return parts;
}

/** Returns the new file's stamp. A crash before the rename leaves the old file whole. */
async function writeAtomically(path: string, data: Buffer[]): Promise<string> {
  const tmp = `${path}.tmp-${process.pid}`;
  let st;
  try {
    const fh = await open(tmp, 'w');
    try {
      const { bytesWritten } = await fh.writev(data); // gathered by the kernel: no 60 MB copy first
      const size = data.reduce((sum, b) => sum + b.length, 0);
      if (bytesWritten !== size) throw new Error(`wrote ${bytesWritten} of ${size} bytes to ${tmp}`);
      await fh.sync();
      st = await fh.stat({ bigint: true });
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  const dir = await open(dirname(path), 'r');
  await dir.sync().finally(() => dir.close()); // the rename itself must survive a power cut
  return `${st.ino}:${st.mtimeNs}:${st.size}`;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
