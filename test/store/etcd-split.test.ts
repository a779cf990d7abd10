/**
 * Large listings read as sub-ranges (src/store/etcd-range.ts, etcd-split.ts), on a real etcd:
 * the caller must get exactly what a plain page-by-page listing gives, at one revision.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KeyValue, Op } from '../../src/store/contract.js';
import type { EtcdStore } from '../../src/store/etcd/store.js';
import { GrpcChannel } from '../../src/store/etcd/channel.js';
import { RangeRequest } from '../../src/store/etcd/gen/etcd/etcdserver/etcdserverpb/rpc.js';
import { TUNING } from '../../src/store/etcd/range.js';
import { connectEtcd, uniquePrefix } from '../harness/etcd-shared.js';

const put = (key: string, value: string): Op => ({ type: 'put', key, value });

async function write(store: EtcdStore, ops: Op[]): Promise<void> {
  for (let i = 0; i < ops.length; i += 100) await store.txn([], ops.slice(i, i + 100));
}

async function pagesOf(listing: AsyncIterable<KeyValue[]>): Promise<KeyValue[][]> {
  const pages: KeyValue[][] = [];
  for await (const page of listing) pages.push(page);
  return pages;
}

/** A listing read page after page from one end to the other, never split. */
async function plainPages(store: EtcdStore, prefix: string, pageSize: number): Promise<KeyValue[][]> {
  const minRequests = TUNING.minRequests;
  TUNING.minRequests = Infinity;
  try {
    return await pagesOf(store.range(prefix, { pageSize }));
  } finally {
    TUNING.minRequests = minRequests;
  }
}

/** Range requests sent from now on: whether each only counted, and whether it ended at `end`. */
function spyRanges(): () => { countOnly: boolean; message: Buffer }[] {
  const unary = vi.spyOn(GrpcChannel.prototype, 'unary');
  return () =>
    unary.mock.calls
      .filter(([method]) => method === '/etcdserverpb.KV/Range')
      .map(([, m]) => ({ countOnly: RangeRequest.decode(m).countOnly, message: Buffer.from(m) }));
}

/** Keys shaped like real ones and not: decimal ids, hex, prefixes of others, multi-byte UTF-8. */
function keys(p: string): string[] {
  const out = [p, `${p}a`, `${p}a/b`, `${p}a/b/c`, `${p}~`, `${p}\u00ff`, `${p}\u65e5\u672c/1`];
  for (let i = 0; i < 2000; i++)
    out.push(`${p}partition_${498100 + Math.floor(i / 16)}_${String(i % 16).padStart(4, '0')}`);
  for (let i = 0; i < 600; i++) out.push(`${p}n/${((i * 2654435761) >>> 0).toString(16)}`);
  for (let i = 0; i < 300; i++) out.push(`${p}\u00e9t\u00e9/${i}`);
  return out;
}

const shape = (pages: KeyValue[][]) => pages.map((page) => page.length);
const flat = (pages: KeyValue[][]) =>
  pages.flat().map((kv) => [kv.key, kv.value, kv.createRevision, kv.modRevision, kv.version]);

describe('EtcdStore listings split into sub-ranges', () => {
  let store: EtcdStore;
  const tuning = { ...TUNING };
  beforeAll(async () => {
    store = await connectEtcd();
    TUNING.fetchKeys = 1; // requests of one page each, so that a few thousand keys make many
  });
  afterAll(async () => {
    Object.assign(TUNING, tuning);
    await store.close();
  });
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['of one page each', { fetchKeys: 1 }],
    ['that pages are cut from', { fetchKeys: 120, minRequests: 4 }],
  ])('return exactly the keys, values and pages of a plain listing, with requests %s', async (_, t) => {
    Object.assign(TUNING, t);
    const p = uniquePrefix();
    const all = keys(p);
    await write(
      store,
      all.map((k, i) => put(k, `v${i}`)),
    );
    const plain = await plainPages(store, p, 50);
    const ranges = spyRanges();
    const split = await pagesOf(store.range(p, { pageSize: 50 }));
    expect(flat(split)).toEqual(flat(plain));
    expect(shape(split)).toEqual(shape(plain));
    expect(flat(split).map(([k]) => k)).toEqual(
      [...all].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    // It did split: counted first, then read many sub-ranges in few requests per page.
    const sent = ranges();
    expect(sent.filter((r) => r.countOnly).length).toBeGreaterThan(0);
    expect(sent.filter((r) => !r.countOnly).length).toBeLessThan(2 * split.length);
    Object.assign(TUNING, tuning, { fetchKeys: 1 });
  });

  it('stay at the first page’s revision while another client writes into every sub-range', async () => {
    const p = uniquePrefix();
    const all = keys(p);
    await write(
      store,
      all.map((k) => put(k, 'old')),
    );
    const writer = await connectEtcd();
    const pages = store.range(p, { pageSize: 40 })[Symbol.asyncIterator]();
    const seen = [...((await pages.next()).value as KeyValue[])];
    let writing = true;
    let wrote = 0;
    const writes = (async () => {
      for (let i = 0; writing; i = (i + 97) % all.length, wrote++)
        await writer.txn([], [put(all[i] as string, 'new'), put(`${all[i]}+`, 'new')]);
    })();
    for (let page = await pages.next(); !page.done; page = await pages.next()) {
      seen.push(...page.value);
      await new Promise((r) => setTimeout(r, 2)); // let the writer in between pages
    }
    writing = false;
    await writes;
    await writer.close();
    expect(wrote).toBeGreaterThan(10);
    expect(seen.map((kv) => kv.key)).toEqual(
      [...all].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    expect(seen.every((kv) => kv.value === 'old')).toBe(true);
  });

  it('hold a few pages at most: a caller that pauses pauses the reading, one that stops stops it', async () => {
    const p = uniquePrefix();
    await write(
      store,
      keys(p).map((k) => put(k, 'x')),
    );
    // Sub-ranges of several requests, so that each page takes one read at most and reads count
    // pages (with one request per sub-range, one of a few keys would make a page two reads).
    TUNING.chunkRequests = 8;
    const ranges = spyRanges();
    const reads = () => ranges().filter((r) => !r.countOnly).length;
    const pages = store.range(p, { pageSize: 50 })[Symbol.asyncIterator]();
    for (let i = 0; i < 6; i++) await pages.next();
    await new Promise((r) => setTimeout(r, 200));
    // Six pages taken; at most one page read ahead of them, or `parallel` and one more for the current sub-range.
    const held = reads();
    expect(held).toBeLessThanOrEqual(6 + TUNING.parallel + 1);
    await pages.return?.();
    await new Promise((r) => setTimeout(r, 200));
    expect(reads()).toBe(held);
    TUNING.chunkRequests = tuning.chunkRequests;
  });

  it('match a plain listing for any set of keys, page size and request size', async () => {
    const alphabet = ['0', '1', '9', 'a', 'b', '/', '_', '\u00e9', '\u00ff'];
    const key = fc.array(fc.constantFrom(...alphabet), { maxLength: 5 }).map((cs) => cs.join(''));
    const keySets = fc.uniqueArray(key, { minLength: 200, maxLength: 600 });
    const sizes = fc.record({ page: fc.integer({ min: 3, max: 15 }), fetch: fc.constantFrom(1, 25) });
    const check = fc.asyncProperty(keySets, sizes, async (ks, size) => {
      Object.assign(TUNING, { fetchKeys: size.fetch, minRequests: 4 });
      const p = uniquePrefix();
      await write(
        store,
        ks.map((k, i) => put(`${p}${k}`, `${i}`)),
      );
      const split = await pagesOf(store.range(p, { pageSize: size.page }));
      expect(flat(split)).toEqual(flat(await plainPages(store, p, size.page)));
      expect(shape(split)).toEqual(shape(await plainPages(store, p, size.page)));
      expect(split.flat().map((kv) => kv.key.slice(p.length))).toEqual(
        [...ks].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
    });
    await fc.assert(check, { numRuns: 8 });
  });
});
