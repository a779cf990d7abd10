import { randomHex } from './random.js';
// fs.promises is reached only when a lock file is taken (see store/file.ts).
import { promises as fsp } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { LockHeldError, StoreError, type LockHolder } from '../core/errors.js';
import type { Compare, Lease, MetadataStore } from './contract.js';

/**
 * Two locks. `acquireLock`: a lock held by a lease (`<prefix>/locks/<name>`) on any store, for
 * commands; whoever creates the key owns it, and it vanishes with the lease when its holder releases
 * it or dies. `lockFile`: the file store's writer lock, a lock file beside the store.
 */

export interface HeldLock {
  readonly key: string;
  readonly holder: LockHolder;
  readonly lease: Lease;
  /** Add to a write made under the lock, so the write fails once the lock was lost (lease expired). */
  readonly ownership: Compare;
  release(): Promise<void>;
}

export interface LockOptions {
  /** For the "until when" in a LockHeldError. */
  clock?: () => number;
}

export interface WaitOptions extends LockOptions {
  timeoutMs: number;
  pollMs?: number;
}

/** Who we are, as other operators will read it in "lock 'expire' is held by …". */
export function currentHolder(command: string, clock: () => number = Date.now): LockHolder {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown'; // no passwd entry, e.g. in a container
  }
  const host = hostname();
  return {
    holder: `${user}@${host}`,
    host,
    pid: process.pid,
    command,
    acquired_at: new Date(clock()).toISOString(),
  };
}

export async function acquireLock(
  store: MetadataStore,
  key: string,
  holder: LockHolder,
  ttlSeconds: number,
  options: LockOptions = {},
): Promise<HeldLock> {
  const lease = await store.grantLease(ttlSeconds);
  try {
    // Retried only if the holder let go between our failed create and our read of who it was.
    for (let attempt = 0; attempt < 3; attempt++) {
      const absent: Compare = { key, target: 'create', createRevision: 0 };
      const put = { type: 'put' as const, key, value: JSON.stringify(holder), lease: lease.id };
      const result = await store.txn([absent], [put]);
      if (result.succeeded) {
        return {
          key,
          holder,
          lease,
          ownership: { key, target: 'create', createRevision: result.revision },
          release: () => lease.revoke(),
        };
      }
      const held = await heldBy(store, key, options.clock ?? Date.now);
      if (held) throw held;
    }
    throw new LockHeldError(lockName(key), undefined, undefined);
  } catch (e) {
    await lease.revoke().catch(() => undefined);
    throw e;
  }
}

/** Like `acquireLock`, but waits (polling reads, not writes) for the holder to let go. */
export async function waitForLock(
  store: MetadataStore,
  key: string,
  holder: LockHolder,
  ttlSeconds: number,
  options: WaitOptions,
): Promise<HeldLock> {
  const deadline = Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? 250;
  for (;;) {
    try {
      return await acquireLock(store, key, holder, ttlSeconds, options);
    } catch (e) {
      if (!(e instanceof LockHeldError)) throw e;
      do {
        const left = deadline - Date.now();
        if (left <= 0) throw e;
        await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
      } while (await store.get(key));
    }
  }
}

/** The LockHeldError describing the current holder, or undefined if the lock is free now. */
async function heldBy(
  store: MetadataStore,
  key: string,
  clock: () => number,
): Promise<LockHeldError | undefined> {
  const current = await store.get(key);
  if (!current) return undefined;
  const ttl = current.lease === undefined ? undefined : await store.leaseTimeToLive(current.lease);
  const until = ttl === undefined ? undefined : new Date(clock() + ttl * 1000).toISOString();
  return new LockHeldError(lockName(key), parseHolder(current.value), until);
}

function parseHolder(value: string): LockHolder | undefined {
  try {
    const h = JSON.parse(value) as Partial<LockHolder> | null;
    return typeof h?.holder === 'string' && typeof h.host === 'string' && typeof h.pid === 'number'
      ? (h as LockHolder)
      : undefined; // written by something else: still held, by "another process"
  } catch {
    return undefined;
  }
}

/** `/otlp/locks/rebalance` → `rebalance`, the name operators know it by. */
const lockName = (key: string) => key.slice(key.lastIndexOf('/') + 1) || key;

// ---- the file store's writer lock ----

/**
 * The file store's writer lock: `lockPath`, created exclusively, holding pid, host and time. One left
 * by a dead process on this host, or older than `staleMs`, is broken. Resolves to its release.
 */
export async function lockFile(
  lockPath: string,
  { timeoutMs, staleMs }: { timeoutMs: number; staleMs: number },
): Promise<() => Promise<void>> {
  // Written whole, then linked into place: link() creates exclusively like open('wx'), but the lock
  // never exists half-written, so a writer killed at any moment leaves one that names its pid.
  const mine = `${lockPath}.${process.pid}-${nonce()}`;
  const deadline = Date.now() + timeoutMs;
  try {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      const token = JSON.stringify({
        pid: process.pid,
        host: hostname(),
        at: new Date().toISOString(),
        nonce: nonce(),
      });
      try {
        await fsp.writeFile(mine, token); // fresh each try: its time says since when it is held
        await fsp.link(mine, lockPath);
        return () => releaseFileLock(lockPath, token);
      } catch (e) {
        if (errno(e) !== 'EEXIST') {
          throw new StoreError(`cannot create lock file ${lockPath}: ${(e as Error).message}`);
        }
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
  } finally {
    await fsp.unlink(mine).catch(() => undefined);
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
    const [text, st] = await Promise.all([fsp.readFile(lockPath, 'utf8'), fsp.stat(lockPath)]);
    try {
      const info = JSON.parse(text) as { pid?: number; host?: string; at?: string };
      return { text, pid: info.pid, host: info.host, atMs: Date.parse(info.at ?? '') || st.mtimeMs };
    } catch {
      return { text, atMs: st.mtimeMs }; // not one of ours (made by hand?): judged by its age alone
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
    await fsp.rename(lockPath, aside);
  } catch (e) {
    if (errno(e) === 'ENOENT') return;
    throw new StoreError(`cannot break stale lock ${lockPath}: ${(e as Error).message}`);
  }
  if ((await fsp.readFile(aside, 'utf8')) !== staleText)
    await fsp.link(aside, lockPath).catch(() => undefined);
  await fsp.unlink(aside);
}

async function releaseFileLock(lockPath: string, token: string): Promise<void> {
  // Only our own: had we been judged stale and broken, the lock now belongs to someone else.
  const text = await fsp.readFile(lockPath, 'utf8').catch(() => undefined);
  if (text === token) await fsp.unlink(lockPath).catch(() => undefined);
}

const nonce = () => randomHex(4);
const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;
