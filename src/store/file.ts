import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { StoreError } from '../core/errors.js';
import type { Compare, KeyValue, Lease, MetadataStore, Op, RangeOptions, TxnResult } from './contract.js';
import { checkTtl, KvState, type KvRecord, type LeaseRecord } from './memory.js';
import { sortKeys } from './keys.js';

/**
 * The embedded store behind `--file PATH`: one JSON document replaced atomically (tmp + fsync +
 * rename) by writers holding `PATH.lock`. Readers take no lock and parse the file once per change.
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
    const id = randomBytes(8).toString('hex');
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
      const token = await acquireFileLock(this.lockPath, this.lockTimeoutMs, this.staleLockMs);
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
        await releaseFileLock(this.lockPath, token);
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
  if (!isCount(doc.revision) || !isObject(doc.kvs) || !isObject(doc.leases))
    throw bad('missing revision, kvs or leases');
  const state = new KvState(doc.revision);
  for (const [key, v] of Object.entries(doc.kvs)) {
    if (
      !isObject(v) ||
      typeof v.value !== 'string' ||
      !isCount(v.create_revision) ||
      !isCount(v.mod_revision)
    ) {
      throw bad(`key '${key}' has no string value and revisions`);
    }
    const rec: KvRecord = {
      value: v.value,
      createRevision: v.create_revision,
      modRevision: v.mod_revision,
      version: isCount(v.version) ? v.version : 1,
      ...(typeof v.lease === 'string' ? { lease: v.lease } : {}),
    };
    state.kvs.set(key, rec);
  }
  for (const [id, l] of Object.entries(doc.leases)) {
    if (!isObject(l) || !isCount(l.ttl) || typeof l.expires_at_ms !== 'number')
      throw bad(`lease ${id} has no ttl`);
    state.leases.set(id, { ttlSeconds: l.ttl, expiresAtMs: l.expires_at_ms });
  }
  return state;
}

/** One key per line, in key order, so the file diffs and greps well; built by hand to keep any key (even `__proto__`). */
function serialize(state: KvState): string {
  const kvs = sortKeys([...state.kvs.keys()]).map((key) => {
    const r = state.kvs.get(key)!;
    const v = {
      value: r.value,
      create_revision: r.createRevision,
      mod_revision: r.modRevision,
      version: r.version,
    };
    return `${JSON.stringify(key)}: ${JSON.stringify(r.lease === undefined ? v : { ...v, lease: r.lease })}`;
  });
  const leases = [...state.leases].map(
    ([id, l]: [string, LeaseRecord]) =>
      `${JSON.stringify(id)}: ${JSON.stringify({ ttl: l.ttlSeconds, expires_at_ms: l.expiresAtMs })}`,
  );
  const head = `{"format": "${FORMAT}", "version": 1, "revision": ${state.revision},\n`;
  return `${head}"kvs": {\n${kvs.join(',\n')}\n},\n"leases": {\n${leases.join(',\n')}\n}}\n`;
}

/** Returns the new file's stamp. A crash before the rename leaves the old file whole. */
async function writeAtomically(path: string, text: string): Promise<string> {
  const tmp = `${path}.tmp-${process.pid}`;
  let st;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(text);
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

/** Takes `PATH.lock`, breaking it if stale; returns its content, which identifies our hold. */
async function acquireFileLock(lockPath: string, timeoutMs: number, staleMs: number): Promise<string> {
  const token = JSON.stringify({
    pid: process.pid,
    host: hostname(),
    at: new Date().toISOString(),
    nonce: nonce(),
  });
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    try {
      const fh = await open(lockPath, 'wx');
      await fh.writeFile(token).finally(() => fh.close());
      return token;
    } catch (e) {
      if (errno(e) !== 'EEXIST')
        throw new StoreError(`cannot create lock file ${lockPath}: ${(e as Error).message}`);
    }
    const held = await readLock(lockPath);
    if (held === undefined) continue; // released meanwhile
    if (isStale(held, staleMs)) {
      await breakLock(lockPath, held.text);
      continue;
    }
    if (Date.now() > deadline) {
      const who = held.pid ? `pid ${held.pid} on ${held.host ?? '?'}` : 'another process';
      throw new StoreError(
        `file store lock ${lockPath} is held by ${who}; if no otlpctl is running, remove it`,
      );
    }
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
  }
}

interface HeldFileLock {
  text: string;
  pid?: number;
  host?: string;
  atMs: number;
}

async function readLock(lockPath: string): Promise<HeldFileLock | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    try {
      const info = JSON.parse(text) as { pid?: number; host?: string; at?: string };
      return { text, pid: info.pid, host: info.host, atMs: Date.parse(info.at ?? '') || st.mtimeMs };
    } catch {
      return { text, atMs: st.mtimeMs }; // still being written, or garbage: judged by its age alone
    }
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw new StoreError(`cannot read lock file ${lockPath}: ${(e as Error).message}`);
  }
}

function isStale(held: HeldFileLock, staleMs: number): boolean {
  if (Date.now() - held.atMs > staleMs) return true;
  if (held.pid === undefined || held.host !== hostname()) return false;
  try {
    process.kill(held.pid, 0);
    return false;
  } catch (e) {
    return errno(e) === 'ESRCH';
  }
}

/**
 * Moves the lock aside (only one breaker can) and checks it was the stale one; if a fresh lock
 * was taken in between, it is put back with link(), which never overwrites.
 */
async function breakLock(lockPath: string, staleText: string): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${nonce()}`;
  try {
    await rename(lockPath, aside);
  } catch (e) {
    if (errno(e) === 'ENOENT') return;
    throw new StoreError(`cannot break stale lock ${lockPath}: ${(e as Error).message}`);
  }
  if ((await readFile(aside, 'utf8')) !== staleText) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside);
}

async function releaseFileLock(lockPath: string, token: string): Promise<void> {
  // Only our own: had we been judged stale and broken, the lock now belongs to someone else.
  const text = await readFile(lockPath, 'utf8').catch(() => undefined);
  if (text === token) await unlink(lockPath).catch(() => undefined);
}

const nonce = () => randomBytes(4).toString('hex');
const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
