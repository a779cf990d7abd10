import { LockHeldError, type LockHolder } from '../core/errors.js';
import type { MetadataStore } from './contract.js';
import { acquireLock, sleep, type HeldLock, type LockOptions } from './lock.js';

/**
 * Leader election on a lease-held lock (lock.ts): whoever creates the key is the active one and
 * keeps it across rounds; the others wait for the key to go (its holder released it, or died and
 * its lease lapsed) and try again. On etcd they watch the key (watch.ts), so a standby takes over
 * as soon as etcd deletes it, within the lease TTL of the holder's death; other stores are polled.
 */

interface WatchEvent {
  type: 'put' | 'delete';
  kv: { key: string };
}

/** The etcd store's watch (EtcdStore.watch); the other stores have none. */
interface Watchable {
  watch(prefix: string, startRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent[]>;
}

export interface CampaignOptions extends LockOptions {
  /** Ends the wait (with undefined) on the first signal. */
  signal: AbortSignal;
  /** Told once per change of holder while waiting (for the "standby" event). */
  onStandby?: (held: LockHeldError) => void;
  /** Between reads when the store cannot watch, or its watch failed. */
  pollMs?: number;
}

// A watch whose connection died without a word would wait forever: read the key again this often.
const RECHECK_MS = 5000;

/** Resolves to the held lock, or undefined once `signal` aborts. Store errors reject. */
export async function campaign(
  store: MetadataStore,
  key: string,
  holder: LockHolder,
  ttlSeconds: number,
  options: CampaignOptions,
): Promise<HeldLock | undefined> {
  let told: string | undefined;
  while (!options.signal.aborted) {
    try {
      return await acquireLock(store, key, holder, ttlSeconds, options);
    } catch (e) {
      if (!(e instanceof LockHeldError)) throw e;
      const who = JSON.stringify(e.heldBy ?? null);
      if (who !== told) options.onStandby?.(e);
      told = who;
    }
    await untilGone(store, key, options);
  }
  return undefined;
}

/** Waits until `key` is absent (or the signal aborts): a watch where there is one, else polling. */
async function untilGone(store: MetadataStore, key: string, options: CampaignOptions): Promise<void> {
  const pollMs = options.pollMs ?? 500;
  const { signal } = options;
  const watchable = (store as Partial<Watchable>).watch;
  const kv = await store.get(key);
  if (!kv || signal.aborted) return;
  if (typeof watchable === 'function') {
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal.addEventListener('abort', onAbort);
    const recheck = setTimeout(onAbort, RECHECK_MS);
    try {
      // Events after the revision we read: a delete in between is not missed.
      for await (const events of watchable.call(store, key, kv.modRevision + 1, stop.signal))
        if (events.some((e) => e.type === 'delete' && e.kv.key === key)) return;
      return;
    } catch {
      // The watch failed (etcd gone, compacted): fall back to one poll interval, then read again.
    } finally {
      clearTimeout(recheck);
      signal.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }
  await sleep(pollMs, signal);
}
