import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockHeldError, type LockHolder } from '../../src/core/errors.js';
import type { KeyValue, MetadataStore, Op } from '../../src/store/contract.js';
import { acquireLock, waitForLock } from '../../src/store/lock.js';

/**
 * What every MetadataStore promises, run against each of them (memory, file, a real etcd), so
 * revisions, compare-and-swap, paging and leases behave alike everywhere.
 */

export interface StoreUnderTest {
  store: MetadataStore;
  /** Unique to this test, so tests can share one etcd. */
  prefix: string;
  cleanup: () => Promise<void>;
  /** Nobody else writes to this store, so exact revision arithmetic can be checked too. */
  isolated?: boolean;
}

const put = (key: string, value: string, lease?: string): Op => ({
  type: 'put',
  key,
  value,
  ...(lease ? { lease } : {}),
});
const del = (key: string): Op => ({ type: 'delete', key });
const holder = (name: string): LockHolder => ({
  holder: name,
  host: 'host-a',
  pid: 4242,
  command: 'expire',
  acquired_at: '2026-01-01T00:00:00.000Z',
});

export async function pagesOf(pages: AsyncIterable<KeyValue[]>): Promise<KeyValue[][]> {
  const out: KeyValue[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

export function describeStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`MetadataStore contract: ${name}`, () => {
    let t: StoreUnderTest;
    let store: MetadataStore;
    let p: string;
    beforeEach(async () => {
      t = await open();
      ({ store, prefix: p } = t);
    });
    afterEach(async () => t.cleanup());
    const write = (...ops: Op[]) => store.txn([], ops);
    const keysOf = async (prefix: string, pageSize?: number) =>
      (await pagesOf(store.range(prefix, { pageSize }))).flat().map((kv) => kv.key.slice(prefix.length));

    it('put creates a key; each later put bumps its version and mod revision, not its create revision', async () => {
      expect(await store.get(`${p}k`)).toBeUndefined();
      const r1 = await write(put(`${p}k`, 'one'));
      expect(r1.succeeded).toBe(true);
      const kv = { key: `${p}k`, createRevision: r1.revision };
      expect(await store.get(`${p}k`)).toEqual({ ...kv, value: 'one', modRevision: r1.revision, version: 1 });
      const r2 = await write(put(`${p}k`, 'two'));
      expect(r2.revision).toBeGreaterThan(r1.revision);
      expect(await store.get(`${p}k`)).toEqual({ ...kv, value: 'two', modRevision: r2.revision, version: 2 });
      expect(await store.revision()).toBeGreaterThanOrEqual(r2.revision);
    });

    it('a transaction is one revision however many keys it writes; one that changes nothing is none', async () => {
      const before = await store.revision();
      const r = await write(put(`${p}a`, '1'), put(`${p}b`, '2'), put(`${p}c`, '3'));
      expect(r.revision).toBeGreaterThan(before);
      for (const k of ['a', 'b', 'c']) expect((await store.get(`${p}${k}`))?.modRevision).toBe(r.revision);
      const same = await write(put(`${p}a`, '1')); // the same value is still a write, as in etcd
      expect(same.revision).toBeGreaterThan(r.revision);
      expect((await store.get(`${p}a`))?.version).toBe(2);
      const noop = await write(del(`${p}missing`));
      const failed = await store.txn([{ key: `${p}a`, target: 'value', value: 'nope' }], [put(`${p}a`, 'x')]);
      expect(failed.succeeded).toBe(false);
      if (t.isolated) {
        expect([r.revision, same.revision, noop.revision, failed.revision]).toEqual([
          before + 1,
          before + 2,
          before + 2,
          before + 2,
        ]);
        expect(await store.revision()).toBe(before + 2);
      }
    });

    it('compares the mod revision; 0 means absent; a failed compare runs the failure branch only', async () => {
      const k = `${p}cas`;
      const absent = { key: k, target: 'mod', modRevision: 0 } as const;
      expect((await store.txn([absent], [put(k, 'first')])).succeeded).toBe(true);
      const kv = (await store.get(k))!;
      const stale = await store.txn(
        [{ ...absent, modRevision: kv.modRevision + 1 }],
        [put(k, 'x')],
        [put(`${p}lost`, 'y')],
      );
      expect(stale.succeeded).toBe(false);
      expect((await store.get(k))?.value).toBe('first');
      expect((await store.get(`${p}lost`))?.value).toBe('y');
      expect(
        (await store.txn([{ ...absent, modRevision: kv.modRevision }], [put(k, 'second')])).succeeded,
      ).toBe(true);
      expect((await store.txn([absent], [put(k, 'third')])).succeeded).toBe(false);
      expect((await store.get(k))?.value).toBe('second');
    });

    it('compares the create revision: 0 means absent, else the revision that created the key', async () => {
      const k = `${p}created`;
      const absent = { key: k, target: 'create', createRevision: 0 } as const;
      const r1 = await store.txn([absent], [put(k, 'a')]);
      expect(r1.succeeded).toBe(true);
      expect((await store.txn([absent], [put(k, 'b')])).succeeded).toBe(false);
      expect((await store.txn([{ ...absent, createRevision: r1.revision }], [put(k, 'c')])).succeeded).toBe(
        true,
      );
      expect((await store.txn([{ ...absent, createRevision: r1.revision }], [put(k, 'd')])).succeeded).toBe(
        true,
      );
      expect(await store.get(k)).toMatchObject({ value: 'd', createRevision: r1.revision, version: 3 });
    });

    it('compares values; a missing key equals no value, not even the empty string; all compares must hold', async () => {
      const k = `${p}v`;
      expect((await store.txn([{ key: k, target: 'value', value: '' }], [put(k, 'x')])).succeeded).toBe(
        false,
      );
      await write(put(k, 'v'), put(`${p}other`, 'o'));
      expect((await store.txn([{ key: k, target: 'value', value: 'v' }], [put(k, 'w')])).succeeded).toBe(
        true,
      );
      expect((await store.txn([{ key: k, target: 'value', value: 'v' }], [put(k, 'z')])).succeeded).toBe(
        false,
      );
      const both = [
        { key: k, target: 'value', value: 'w' },
        { key: `${p}other`, target: 'value', value: 'not o' },
      ] as const;
      expect((await store.txn([...both], [put(k, 'z')])).succeeded).toBe(false);
      expect((await store.get(k))?.value).toBe('w');
    });

    it('delete removes a key; deleting a missing key is a no-op; a re-created key starts over', async () => {
      const k = `${p}d`;
      await write(put(k, 'a'));
      await write(put(k, 'b'));
      const before = await store.revision();
      const gone = await write(del(k));
      expect(gone.revision).toBeGreaterThan(before);
      expect(await store.get(k)).toBeUndefined();
      const again = await write(del(k));
      if (t.isolated) expect(again.revision).toBe(gone.revision);
      const back = await write(put(k, 'c'));
      expect(await store.get(k)).toMatchObject({ value: 'c', createRevision: back.revision, version: 1 });
    });

    it('range lists every key under a prefix in key order, page by page', async () => {
      const ten = Array.from({ length: 10 }, (_, i) => `k${i}`);
      await write(...[...ten].reverse().map((k) => put(`${p}ten/${k}`, `v-${k}`)));
      await write(...ten.slice(0, 9).map((k) => put(`${p}nine/${k}`, k)));
      const pages = await pagesOf(store.range(`${p}ten/`, { pageSize: 3 }));
      expect(pages.map((page) => page.length)).toEqual([3, 3, 3, 1]);
      expect(pages.flat().map((kv) => [kv.key, kv.value])).toEqual(
        ten.map((k) => [`${p}ten/${k}`, `v-${k}`]),
      );
      expect((await pagesOf(store.range(`${p}nine/`, { pageSize: 3 }))).map((pg) => pg.length)).toEqual([
        3, 3, 3,
      ]);
      expect((await pagesOf(store.range(`${p}ten/`, { pageSize: 100 }))).map((pg) => pg.length)).toEqual([
        10,
      ]);
      expect(await keysOf(`${p}ten/`, 1)).toEqual(ten);
      expect(await keysOf(`${p}none/`)).toEqual([]);
      const revision = await store.revision();
      expect((await pagesOf(store.range(`${p}ten/`, { revision }))).flat()).toHaveLength(10);
    });

    it('a listing stays at the revision it started at', async () => {
      const keys = Array.from({ length: 10 }, (_, i) => `${p}pin/k${i}`);
      await write(...keys.map((k) => put(k, 'old')));
      const pages = store.range(`${p}pin/`, { pageSize: 3 })[Symbol.asyncIterator]();
      const seen = [...((await pages.next()).value as KeyValue[])];
      await write(
        put(`${p}pin/k5x`, 'new'),
        put(`${p}pin/k99`, 'new'),
        del(`${p}pin/k7`),
        put(`${p}pin/k8`, 'new'),
      );
      for (let page = await pages.next(); !page.done; page = await pages.next()) seen.push(...page.value);
      expect(seen.map((kv) => [kv.key, kv.value])).toEqual(keys.map((k) => [k, 'old']));
      expect(await keysOf(`${p}pin/`)).toEqual([
        'k0',
        'k1',
        'k2',
        'k3',
        'k4',
        'k5',
        'k5x',
        'k6',
        'k8',
        'k9',
        'k99',
      ]);
    });

    it('refuses to read at a future revision', async () => {
      const future = (await store.revision()) + 1_000_000;
      await expect(pagesOf(store.range(p, { revision: future }))).rejects.toThrow();
    });

    it('prefixes are plain string prefixes: /a/ does not see /ab', async () => {
      await write(...['a', 'a/1', 'a/2', 'ab', 'b/1'].map((k) => put(`${p}${k}`, k)));
      expect(await keysOf(`${p}a/`)).toEqual(['1', '2']);
      expect(await keysOf(`${p}a`)).toEqual(['', '/1', '/2', 'b']);
    });

    it('keeps unicode keys and values intact, and lists them in UTF-8 byte order as etcd does', async () => {
      const names = ['z', 'é', 'Ω', '日本', 'ﬁ', '😀', 'a b'];
      const value = (n: string) => `ünïcødé ${n} "quoted" \\ back\nslash 😀`;
      await write(...names.map((n) => put(`${p}u/${n}`, value(n))));
      for (const n of names) expect((await store.get(`${p}u/${n}`))?.value).toBe(value(n));
      const byteOrder = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(await keysOf(`${p}u/`, 2)).toEqual(byteOrder); // 'ﬁ' (U+FB01) before '😀', unlike JS '<'
    });

    it('keys put with a lease vanish when it is revoked; a put without it detaches a key', async () => {
      const lease = await store.grantLease(30);
      await write(put(`${p}leased`, 'v', lease.id), put(`${p}moved`, 'v', lease.id), put(`${p}plain`, 'v'));
      expect((await store.get(`${p}leased`))?.lease).toBe(lease.id);
      const ttl = await store.leaseTimeToLive(lease.id);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30);
      await write(put(`${p}moved`, 'detached'));
      await lease.revoke();
      expect(await store.get(`${p}leased`)).toBeUndefined();
      expect((await store.get(`${p}moved`))?.value).toBe('detached');
      expect(await store.get(`${p}plain`)).toBeDefined();
      expect(await store.leaseTimeToLive(lease.id)).toBeUndefined();
      await expect(write(put(`${p}late`, 'v', lease.id))).rejects.toThrow();
      expect(await store.get(`${p}late`)).toBeUndefined();
    });

    it('a lock has one holder; others learn who and until when; released, it can be taken again', async () => {
      const key = `${p}locks/expire`;
      const alice = await acquireLock(store, key, holder('alice@host-a'), 30);
      const refused = await acquireLock(store, key, holder('bob@host-b'), 30).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(LockHeldError);
      const held = refused as LockHeldError;
      expect(held.heldBy).toEqual(holder('alice@host-a'));
      expect(Date.parse(held.expiresAt!)).toBeGreaterThan(Date.now());
      expect(held.message).toMatch(
        /lock 'expire' is held by alice@host-a \(pid 4242 on host-a, since \S+, running 'expire'\)/,
      );
      expect((await store.txn([alice.ownership], [put(`${p}guarded`, '1')])).succeeded).toBe(true);
      await alice.release();
      expect(await store.get(key)).toBeUndefined();
      expect((await store.txn([alice.ownership], [put(`${p}guarded`, '2')])).succeeded).toBe(false);
      const bob = await acquireLock(store, key, holder('bob@host-b'), 30);
      expect(JSON.parse((await store.get(key))!.value)).toEqual(holder('bob@host-b'));
      await bob.release();
    });

    it('waitForLock waits for the holder to let go, and gives up after its timeout', async () => {
      const key = `${p}locks/rebalance`;
      const alice = await acquireLock(store, key, holder('alice'), 30);
      const timedOut = waitForLock(store, key, holder('bob'), 30, { timeoutMs: 100, pollMs: 20 });
      await expect(timedOut).rejects.toBeInstanceOf(LockHeldError);
      setTimeout(() => void alice.release(), 100);
      const bob = await waitForLock(store, key, holder('bob'), 30, { timeoutMs: 10_000, pollMs: 20 });
      expect(JSON.parse((await store.get(key))!.value).holder).toBe('bob');
      await bob.release();
    });

    it('parallel compare-and-swap increments lose no update', async () => {
      const k = `${p}counter`;
      await write(put(k, '0'));
      const increment = async () => {
        for (;;) {
          const kv = (await store.get(k))!;
          const next = put(k, String(Number(kv.value) + 1));
          if ((await store.txn([{ key: k, target: 'mod', modRevision: kv.modRevision }], [next])).succeeded)
            return;
        }
      };
      await Promise.all(Array.from({ length: 20 }, increment));
      expect(await store.get(k)).toMatchObject({ value: '20', version: 21 });
    });

    it('takes a transaction of 128 operations in one revision', async () => {
      const keys = Array.from({ length: 128 }, (_, i) => `${p}batch/${String(i).padStart(3, '0')}`);
      const before = await store.revision();
      const r = await write(...keys.map((k) => put(k, k)));
      if (t.isolated) expect(r.revision).toBe(before + 1);
      const pages = await pagesOf(store.range(`${p}batch/`, { pageSize: 50 }));
      expect(pages.map((page) => page.length)).toEqual([50, 50, 28]);
      expect(pages.flat().every((kv) => kv.modRevision === r.revision)).toBe(true);
      await write(...keys.map(del));
      expect(await keysOf(`${p}batch/`)).toEqual([]);
    });

    it('matches a model map under any sequence of put, delete and compare-and-swap', async () => {
      let run = 0;
      const key = fc.constantFrom('a', 'b', 'c');
      const value = fc.string({ unit: 'grapheme', maxLength: 6 });
      const op = fc.oneof(
        fc.record({ kind: fc.constant('put' as const), key, value }),
        fc.record({ kind: fc.constant('delete' as const), key }),
        fc.record({ kind: fc.constant('cas' as const), key, value, stale: fc.boolean() }),
        fc.record({ kind: fc.constant('create' as const), key, value }),
      );
      const check = fc.asyncProperty(fc.array(op, { maxLength: 15 }), async (ops) => {
        const base = `${p}prop/${run++}/`;
        const model = new Map<string, { value: string; version: number }>();
        for (const o of ops) {
          const k = base + o.key;
          const m = model.get(o.key);
          if (o.kind === 'delete') {
            await write(del(k));
            model.delete(o.key);
            continue;
          }
          let wrote: boolean;
          if (o.kind === 'put') wrote = (await write(put(k, o.value))).succeeded;
          else if (o.kind === 'create') {
            wrote = (await store.txn([{ key: k, target: 'create', createRevision: 0 }], [put(k, o.value)]))
              .succeeded;
            expect(wrote).toBe(m === undefined);
          } else {
            const modRevision = ((await store.get(k))?.modRevision ?? 0) + (o.stale ? 1 : 0);
            wrote = (await store.txn([{ key: k, target: 'mod', modRevision }], [put(k, o.value)])).succeeded;
            expect(wrote).toBe(!o.stale);
          }
          if (wrote) model.set(o.key, { value: o.value, version: (m?.version ?? 0) + 1 });
        }
        const listed = (await pagesOf(store.range(base, { pageSize: 2 }))).flat();
        const want = [...model].sort(([a], [b]) => (a < b ? -1 : 1));
        expect(listed.map((kv) => [kv.key.slice(base.length), kv.value, kv.version])).toEqual(
          want.map(([k, v]) => [k, v.value, v.version]),
        );
        for (const kv of listed) expect(kv.createRevision === kv.modRevision).toBe(kv.version === 1);
      });
      await fc.assert(check, { numRuns: 30 });
    });
  });
}
