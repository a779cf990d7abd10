import { hostname, userInfo } from 'node:os';
import { InterruptedError, LockHeldError, type LockHolder } from '../core/errors.js';
import { parseLockHolder } from '../core/records.js';
import type { Compare, Lease, MetadataStore } from './contract.js';

/**
 * A lock held by a lease (`<prefix>/locks/<name>`) on any store, for commands; whoever creates the
 * key owns it, and it vanishes with the lease when its holder releases it or dies. (The file
 * store's writer lock is `file/lock.ts`.)
 */

export interface HeldLock {
  readonly key: string;
  readonly holder: LockHolder;
  readonly lease: Lease;
  /** Add to a write made under the lock, so the write fails once the lock was lost (lease expired). */
  readonly ownership: Compare;
  release(): Promise<void>;
  /**
   * True once the lease is gone or may be (store.Lease.expired): stop writing at once, for the lock
   * may be someone else's; the writes' ownership compare would fail anyway.
   */
  lost(): boolean;
  /**
   * Lets go without a word to the store (it is not answering): keep-alives stop and the lease
   * lapses by its TTL, so the next holder waits at most that long.
   */
  abandon(): void;
}

export interface LockOptions {
  /** For the "until when" in a LockHeldError. */
  clock?: () => number;
}

export interface WaitOptions extends LockOptions {
  timeoutMs: number;
  pollMs?: number;
  /** Stops the wait (InterruptedError) on the first Ctrl-C. */
  signal?: AbortSignal;
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
        let abandoned = false;
        return {
          key,
          holder,
          lease,
          ownership: { key, target: 'create', createRevision: result.revision },
          release: () => (abandoned ? Promise.resolve() : lease.revoke()),
          lost: () => lease.expired === true,
          abandon: () => {
            abandoned = true;
            lease.abandon?.();
          },
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
        await sleep(Math.min(pollMs, left), options.signal);
        if (options.signal?.aborted)
          throw new InterruptedError(`interrupted while waiting: ${e.message}; nothing was changed`);
      } while (await store.get(key));
    }
  }
}

/** Whether the lock's key is still the one this holder created (a read: works on every store). */
export async function stillHeld(store: MetadataStore, lock: HeldLock): Promise<boolean> {
  if (lock.lost()) return false;
  const kv = await store.get(lock.key);
  const own = lock.ownership;
  return kv !== undefined && own.target === 'create' && kv.createRevision === own.createRevision;
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
  return new LockHeldError(lockName(key), parseLockHolder(current.value), until);
}

/** `/otlp/locks/rebalance` → `rebalance`, the name operators know it by. */
const lockName = (key: string) => key.slice(key.lastIndexOf('/') + 1) || key;

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}
