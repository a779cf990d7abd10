/**
 * The one etcd client on real etcd: a token that expires in the middle of a large split listing
 * costs one Authenticate, not one per request in flight; and a watch from a start revision sees
 * every put and delete under its prefix, in order, including those made before it started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStore } from '../../src/store/etcd/store.js';
import { resolveEtcdOptions } from '../../src/store/etcd/options.js';
import type { WatchEvent } from '../../src/store/etcd/watch.js';
import { startEtcd, type EtcdCluster } from '../harness/etcd.js';
import { connectEtcd, uniquePrefix } from '../harness/etcd-shared.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sign-in on a split listing whose token expires', () => {
  const KEYS = 200_000;
  let cluster: EtcdCluster;
  let endpoint: string;
  beforeAll(async () => {
    // Simple tokens that lapse after 1 s unused.
    cluster = await startEtcd({ extraArgs: ['--auth-token-ttl=1'] });
    endpoint = cluster.endpoints[0]!;
    for (const args of [
      ['user', 'add', 'root:rootpw'],
      ['user', 'grant-role', 'root', 'root'],
      ['auth', 'enable'],
    ])
      await cluster.etcdctl(args);
    const loader = await EtcdStore.connect(
      resolveEtcdOptions({ endpoints: endpoint, user: 'root:rootpw', commandTimeout: '60s' }, {}),
    );
    const puts = Array.from({ length: KEYS }, (_, i) => ({
      type: 'put' as const,
      key: `/big/partition_${498000 + Math.floor(i / 256)}_${String(i % 256).padStart(4, '0')}`,
      value: `{"i":${i}}`,
    }));
    for (let i = 0; i < puts.length; i += 128 * 16)
      await Promise.all(
        Array.from({ length: 16 }, (_, j) => puts.slice(i + j * 128, i + (j + 1) * 128))
          .filter((b) => b.length > 0)
          .map((b) => loader.txn([], b)),
      );
    await loader.close();
  }, 240_000);
  afterAll(() => cluster?.stop());

  it('signs in again exactly once, and the listing is whole', async () => {
    const store = await EtcdStore.connect(
      resolveEtcdOptions({ endpoints: endpoint, user: 'root:rootpw' }, {}),
    );
    try {
      expect(store.client.signIns).toBe(1);
      let seen = 0;
      let last = '';
      let first = true;
      for await (const page of store.range('/big/', { pageSize: 1000 })) {
        for (const kv of page) {
          expect(kv.key > last).toBe(true);
          last = kv.key;
        }
        seen += page.length;
        if (first) {
          // The sub-ranges are planned and read ahead meanwhile; the token lapses unused.
          first = false;
          await sleep(2_500);
        }
      }
      expect(seen).toBe(KEYS);
      expect(store.client.signIns).toBe(2);
    } finally {
      await store.close();
    }
  }, 120_000);
});

describe('watch', () => {
  let store: EtcdStore;
  beforeAll(async () => {
    store = await connectEtcd();
  });
  afterAll(() => store.close());

  it('sees the puts and deletes under its prefix from a start revision, in order', async () => {
    const prefix = uniquePrefix();
    const start = (await store.txn([], [{ type: 'put', key: `${prefix}a`, value: '1' }])).revision;
    await store.txn([], [{ type: 'put', key: `${prefix}b`, value: '2' }]);
    await store.txn([], [{ type: 'put', key: `${prefix.slice(0, -1)}-elsewhere`, value: 'x' }]);
    const stop = new AbortController();
    const events: WatchEvent[] = [];
    const watching = (async () => {
      for await (const batch of store.watch(prefix, start, stop.signal)) {
        events.push(...batch);
        if (events.length >= 5) stop.abort();
      }
    })();
    // After the watch started: a change and a delete it must also see.
    await sleep(200);
    await store.txn([], [{ type: 'put', key: `${prefix}a`, value: '3' }]);
    const del = await store.txn([], [{ type: 'delete', key: `${prefix}b` }]);
    await store.txn([], [{ type: 'put', key: `${prefix}c`, value: '4' }]);
    await Promise.race([watching, sleep(10_000).then(() => Promise.reject(new Error('watch timed out')))]);
    expect(events.map((e) => [e.type, e.kv.key.slice(prefix.length), e.kv.value])).toEqual([
      ['put', 'a', '1'],
      ['put', 'b', '2'],
      ['put', 'a', '3'],
      ['delete', 'b', ''],
      ['put', 'c', '4'],
    ]);
    expect(events[0]!.kv.modRevision).toBe(start);
    expect(events[3]!.kv.modRevision).toBe(del.revision);
    const revisions = events.map((e) => e.kv.modRevision);
    expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
  });
});
