/**
 * The order of a split listing's requests (src/store/etcd-range.ts) on a real etcd: after the
 * first page only counts go out until the plan is made (on etcd 3.4 every read before it would
 * walk the index to the end of the listing), then the sub-ranges; and a caller that stops after
 * the first page stops the planning too.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KeyValue, Op } from '../../src/store/contract.js';
import type { EtcdStore } from '../../src/store/etcd/store.js';
import { GrpcChannel } from '../../src/store/etcd/channel.js';
import { RangeRequest } from '../../src/store/etcd/gen/etcd/etcdserver/etcdserverpb/rpc.js';
import { TUNING } from '../../src/store/etcd/range.js';
import { connectEtcd, uniquePrefix } from '../harness/etcd-shared.js';

const KEYS = 3000;

/** Range requests sent from now on, in order: whether each only counted. */
function spyRanges(): () => ('count' | 'read')[] {
  const unary = vi.spyOn(GrpcChannel.prototype, 'unary');
  return () =>
    unary.mock.calls
      .filter(([method]) => method === '/etcdserverpb.KV/Range')
      .map(([, m]) => (RangeRequest.decode(m).countOnly ? 'count' : 'read'));
}

describe('a split etcd listing', () => {
  let store: EtcdStore;
  let prefix: string;
  const tuning = { ...TUNING };
  beforeAll(async () => {
    store = await connectEtcd();
    prefix = uniquePrefix();
    const ops: Op[] = [];
    for (let i = 0; i < KEYS; i++)
      ops.push({
        type: 'put',
        key: `${prefix}partition_${498100 + Math.floor(i / 64)}_${i % 64}`,
        value: `${i}`,
      });
    for (let i = 0; i < ops.length; i += 100) await store.txn([], ops.slice(i, i + 100));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    Object.assign(TUNING, tuning);
  });
  afterAll(() => store.close());

  it('reads nothing but counts between the first page and the plan, then only sub-ranges', async () => {
    Object.assign(TUNING, { fetchKeys: 1, minRequests: 4, chunkRequests: 4 });
    const sent = spyRanges();
    const keys: string[] = [];
    for await (const page of store.range(prefix, { pageSize: 50 })) keys.push(...page.map((kv) => kv.key));
    expect(keys.length).toBe(KEYS);
    const order = sent();
    expect(order[0]).toBe('read');
    const counts = order.flatMap((r, i) => (r === 'count' ? [i] : []));
    expect(counts.length).toBeGreaterThan(0);
    // Every count before the second read: the listing waited for its plan.
    expect(order.indexOf('read', 1)).toBeGreaterThan(Math.max(...counts));
    // About one read per page (the last of a sub-range may be short), none wasted on the rest.
    expect(order.filter((r) => r === 'read').length).toBeLessThan((2 * KEYS) / 50);
  });

  it('stops planning when the caller stops after the first page', async () => {
    Object.assign(TUNING, { fetchKeys: 1, minRequests: 4, chunkRequests: 4 });
    const sent = spyRanges();
    const pages = store.range(prefix, { pageSize: 50 })[Symbol.asyncIterator]();
    const first = (await pages.next()).value as KeyValue[];
    expect(first.length).toBe(50);
    await pages.return?.();
    await new Promise((r) => setTimeout(r, 300));
    const settled = sent().length;
    await new Promise((r) => setTimeout(r, 300));
    expect(sent().length).toBe(settled);
    expect(sent().filter((r) => r === 'read').length).toBe(1);
  });
});
