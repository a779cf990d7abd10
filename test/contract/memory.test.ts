import { describe, expect, it } from 'vitest';
import { LockHeldError, StoreError } from '../../src/core/errors.js';
import { acquireLock, currentHolder } from '../../src/store/lock.js';
import { MemoryStore } from '../../src/store/memory.js';
import { describeStoreContract, pagesOf } from './suite.js';

describeStoreContract('memory', async () => {
  const store = new MemoryStore();
  return { store, prefix: '/contract/', cleanup: () => store.close(), isolated: true };
});

describe('MemoryStore', () => {
  const T0 = Date.parse('2026-01-01T00:00:00Z');
  const clocked = () => {
    let now = T0;
    const clock = () => now;
    return { store: new MemoryStore({ clock }), clock, advance: (ms: number) => void (now += ms) };
  };
  const put = (key: string, value: string, lease?: string) => ({ type: 'put' as const, key, value, lease });

  it('starts at revision 1 like etcd, so the first write is revision 2', async () => {
    const store = new MemoryStore();
    expect(await store.revision()).toBe(1);
    expect((await store.txn([], [put('/k', 'v')])).revision).toBe(2);
  });

  it('keeps a lease alive until its holder dies; then it expires ttl later by the clock, with its keys', async () => {
    const { store, advance } = clocked();
    const lease = await store.grantLease(10);
    await store.txn([], [put('/leased', 'v', lease.id), put('/plain', 'v')]);
    advance(3_600_000);
    expect(await store.get('/leased')).toBeDefined();
    expect(await store.leaseTimeToLive(lease.id)).toBe(10);
    store.abandonLease(lease.id);
    advance(4_000);
    expect(await store.leaseTimeToLive(lease.id)).toBe(6);
    advance(5_500);
    expect(await store.leaseTimeToLive(lease.id)).toBe(1);
    const revision = await store.revision();
    advance(500);
    expect(await store.get('/leased')).toBeUndefined();
    expect(await store.get('/plain')).toBeDefined();
    expect(await store.leaseTimeToLive(lease.id)).toBeUndefined();
    expect(await store.revision()).toBe(revision + 1); // expiry deletes keys: a write, as etcd's revoke
  });

  it('frees the lock of a holder that died once its lease runs out, and says until when before', async () => {
    const { store, clock, advance } = clocked();
    const key = '/otlp/locks/expire';
    const as = (holder: string) => ({ ...currentHolder('otlpctl expire', clock), holder });
    const alice = await acquireLock(store, key, as('alice'), 30, { clock });
    store.abandonLease(alice.lease.id);
    advance(10_000);
    const refused = await acquireLock(store, key, as('bob'), 30, { clock }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockHeldError);
    expect(refused).toMatchObject({ heldBy: { holder: 'alice' }, expiresAt: '2026-01-01T00:00:30.000Z' });
    advance(20_000);
    await acquireLock(store, key, as('bob'), 30, { clock });
    expect(JSON.parse((await store.get(key))!.value)).toMatchObject({
      holder: 'bob',
      command: 'otlpctl expire',
    });
  });

  it('cannot resume a listing at a revision it no longer has', async () => {
    const store = new MemoryStore();
    await store.txn([], [put('/a', '1')]);
    const revision = await store.revision();
    await store.txn([], [put('/a', '2')]);
    await expect(pagesOf(store.range('/', { revision }))).rejects.toThrow(
      new StoreError(
        `revision ${revision} compacted: this store keeps only its current revision ${revision + 1}`,
      ),
    );
  });

  it('refuses a transaction with a key twice or an unknown lease, and changes nothing', async () => {
    const store = new MemoryStore();
    await expect(store.txn([], [put('/a', '1'), { type: 'delete', key: '/a' }])).rejects.toThrow(
      /duplicate key '\/a'/,
    );
    await expect(store.txn([], [put('/b', '1'), put('/c', '1', 'ff')])).rejects.toThrow(/lease ff not found/);
    expect(await store.get('/b')).toBeUndefined();
    expect(await store.revision()).toBe(1);
  });

  it('is unusable after close', async () => {
    const store = new MemoryStore();
    await store.close();
    await expect(store.get('/a')).rejects.toBeInstanceOf(StoreError);
  });
});
