/** EtcdStore on a three-member cluster: members die, calls go on elsewhere or end within the timeout. */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import type { Op } from '../../src/store/contract.js';
import { EtcdStore } from '../../src/store/etcd/store.js';
import { resolveEtcdOptions } from '../../src/store/etcd/options.js';
import { startEtcd, type EtcdCluster, type EtcdMember } from '../harness/etcd.js';

const put = (key: string, value: string, lease?: string): Op => ({
  type: 'put',
  key,
  value,
  ...(lease && { lease }),
});
const connect = (members: EtcdMember[], commandTimeout = '5s'): Promise<EtcdStore> =>
  EtcdStore.connect(
    resolveEtcdOptions({ endpoints: members.map((m) => m.endpoint).join(','), commandTimeout }, {}),
  );

async function writeAndRead(store: EtcdStore, rounds: number, tag: string): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    expect((await store.txn([], [put(`/f/${i % 10}`, `${tag}-${i}`)])).succeeded).toBe(true);
    expect((await store.get(`/f/${i % 10}`))?.value).toBe(`${tag}-${i}`);
  }
}

describe('EtcdStore on a three-member cluster', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcd({ members: 3 });
  });
  afterAll(() => cluster.stop());

  it('reads past a refusing and a silent endpoint, and stays with the one that answers', async () => {
    const blackhole = net.createServer(() => undefined);
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    const silent = `127.0.0.1:${(blackhole.address() as net.AddressInfo).port}`;
    try {
      const endpoints = ['127.0.0.1:1', silent, ...cluster.members.map((m) => m.endpoint)].join(',');
      const started = Date.now();
      const store = await EtcdStore.connect(resolveEtcdOptions({ endpoints }, {}));
      // Five endpoints share the 2 s dial timeout: the silent one costs its 500 ms share once.
      expect(Date.now() - started).toBeLessThan(1_500);
      await store.txn([], [put('/g/read', 'here')]);
      const reads = Date.now();
      for (let i = 0; i < 20; i++) expect((await store.get('/g/read'))?.value).toBe('here');
      const listed = [];
      for await (const page of store.range('/g/')) listed.push(...page);
      expect(listed.map((kv) => kv.key)).toEqual(['/g/read']);
      expect(Date.now() - reads).toBeLessThan(1_000);
      await store.close();
    } finally {
      blackhole.close();
    }
  });

  it('goes on at once, keep-alives included, when the first endpoint dies', async () => {
    const leader = await cluster.leader();
    // The first endpoint is a follower: losing it costs no election, so nothing may fail.
    const members = [...cluster.members].sort((a, b) => Number(a === leader) - Number(b === leader));
    const store = await connect(members);
    const lease = await store.grantLease(2);
    await store.txn([], [put('/f/leased', 'mine', lease.id)]);
    await writeAndRead(store, 10, 'before');

    await members[0]?.kill();
    const killedAt = Date.now();
    // A write sent down the dead member's connection before the client saw it close could have
    // been applied or not, for any etcd client; give the close a moment to be noticed.
    await new Promise((r) => setTimeout(r, 200));
    await writeAndRead(store, 30, 'after');
    const listed = [];
    for await (const page of store.range('/f/', { pageSize: 4 })) listed.push(...page);
    expect(listed).toHaveLength(11);

    // Past two TTLs the leased key is still there only if keep-alives moved to a live member.
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 4_500 - Date.now())));
    expect(await store.leaseTimeToLive(lease.id)).toBeGreaterThan(0);
    expect((await store.get('/f/leased'))?.value).toBe('mine');
    await lease.revoke();
    expect(await store.get('/f/leased')).toBeUndefined();
    await store.close();
    await members[0]?.restart();
  });

  it('answers again, or fails in one line within the timeout meanwhile, when the leader dies', async () => {
    const leader = await cluster.leader();
    const members = [...cluster.members].sort((a, b) => Number(b === leader) - Number(a === leader));
    const store = await connect(members);
    await writeAndRead(store, 3, 'before');

    await leader?.kill();
    const killedAt = Date.now();
    // Until a new leader is elected, linearizable calls cannot be served anywhere.
    const during = await store.get('/f/2').then(
      (kv) => kv?.value,
      (e: unknown) => e,
    );
    expect(Date.now() - killedAt).toBeLessThan(5_500);
    if (during instanceof Error)
      expect(during.message).toMatch(
        /^etcd at [\d.:,]+ did not answer get \/f\/2 within 5s \(command timeout\)[^\n]*$/,
      );
    else expect(during).toBe('before-2');
    for (let deadline = Date.now() + 10_000; !(await cluster.leader().catch(() => undefined));) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 200));
    }
    await writeAndRead(store, 20, 'after');
    await store.close();
  });

  it('ends in one line within the command timeout once the cluster has lost its quorum', async () => {
    const alive = cluster.members.filter((m) => m.running);
    const store = await connect(cluster.members, '1s');
    await alive[0]?.kill(); // one of three left
    const started = Date.now();
    const error = await store.get('/f/0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(
      /^etcd at [\d.:,]+ did not answer get \/f\/0 within 1s \(command timeout\)/,
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    await store.close();
  });
});
