/**
 * EtcdStore against a real etcd: paging, pinning, and how it fails when etcd is not there,
 * silent or hung. Every failure must be one StoreError line within the configured timeout.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import type { KeyValue, Op } from '../../src/store/contract.js';
import { EtcdStore } from '../../src/store/etcd/store.js';
import { GrpcChannel } from '../../src/store/etcd/channel.js';
import { RangeRequest } from '../../src/store/etcd/gen/etcd/etcdserver/etcdserverpb/rpc.js';
import { TUNING } from '../../src/store/etcd/range.js';
import { resolveEtcdOptions } from '../../src/store/etcd/options.js';
import { startEtcd, type EtcdCluster } from '../harness/etcd.js';
import { connectEtcd, uniquePrefix } from '../harness/etcd-shared.js';
import { pagesOf } from '../contract/suite.js';

const put = (key: string, value: string): Op => ({ type: 'put', key, value });

/** A RangeRequest as the store sent it, decoded by the generated code. */
function rangeRequest(m: Uint8Array): {
  key: string;
  end: string;
  limit: number;
  revision: number;
  countOnly: boolean;
} {
  const r = RangeRequest.decode(m);
  const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');
  return {
    key: latin1(r.key),
    end: latin1(r.rangeEnd),
    limit: Number(r.limit),
    revision: Number(r.revision),
    countOnly: r.countOnly,
  };
}

/** Every Range request sent from now on, as the store's read channel sent it. */
function spyRanges(): () => ReturnType<typeof rangeRequest>[] {
  const unary = vi.spyOn(GrpcChannel.prototype, 'unary');
  return () =>
    unary.mock.calls
      .filter(([method]) => method === '/etcdserverpb.KV/Range')
      .map(([, message]) => rangeRequest(message));
}

/** Writes n keys `<prefix>NNNNN` in transactions of at most 128 operations (etcd's limit). */
async function fill(
  store: EtcdStore,
  prefix: string,
  n: number,
  value = (i: number) => `v${i}`,
): Promise<void> {
  for (let i = 0; i < n; i += 100) {
    const ops = Array.from({ length: Math.min(100, n - i) }, (_, j) =>
      put(`${prefix}${String(i + j).padStart(5, '0')}`, value(i + j)),
    );
    await store.txn([], ops);
  }
}

/** Connects as the CLI would and returns the error it ends with, and how long that took. */
async function failure(
  flags: Parameters<typeof resolveEtcdOptions>[0],
  run?: (s: EtcdStore) => Promise<unknown>,
) {
  const started = Date.now();
  const error = await (async () => {
    const store = await EtcdStore.connect(resolveEtcdOptions(flags, {}));
    try {
      await run?.(store);
    } finally {
      await store.close();
    }
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  return { message, ms: Date.now() - started };
}

describe('EtcdStore on a real etcd', () => {
  let store: EtcdStore;
  beforeAll(async () => {
    store = await connectEtcd();
  });
  afterAll(() => store.close());
  afterEach(() => vi.restoreAllMocks());

  it('hands out 2,500 keys in pages of 1,000, from one request of up to 5,000', async () => {
    const p = uniquePrefix();
    await fill(store, p, 2500);
    const ranges = spyRanges();
    const sizes = [];
    for await (const page of store.range(p, { pageSize: 1000 })) sizes.push(page.length);
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(ranges().map((r) => r.limit)).toEqual([5000]);
  });

  it('reads one request ahead of the caller, every one at the first one’s revision', async () => {
    const fetchKeys = TUNING.fetchKeys;
    TUNING.fetchKeys = 1; // requests of one page each
    try {
      const p = uniquePrefix();
      await fill(store, p, 2500);
      const ranges = spyRanges();
      const pages = store.range(p, { pageSize: 1000 })[Symbol.asyncIterator]();
      const first = await pages.next();
      await new Promise((r) => setTimeout(r, 100));
      expect(ranges()).toHaveLength(2); // streamed: the next page travels, no more
      const sizes = [(first.value as KeyValue[]).length];
      for (let page = await pages.next(); !page.done; page = await pages.next())
        sizes.push(page.value.length);
      expect(sizes).toEqual([1000, 1000, 500]);
      expect(ranges().map((r) => r.limit)).toEqual([1000, 1000, 1000]);
      expect(ranges().map((r) => r.revision)).toEqual([0, expect.any(Number), ranges()[1]?.revision]);
    } finally {
      TUNING.fetchKeys = fetchKeys;
    }
  });

  it('halves a request whose reply would exceed the 4 MiB message limit, and pages with it', async () => {
    const p = uniquePrefix();
    await fill(store, p, 1000, (i) => `${i}`.padEnd(5_000, '.')); // ~5 MB in one reply
    const ranges = spyRanges();
    const sizes: number[] = [];
    for await (const page of store.range(p)) sizes.push(page.length);
    expect(sizes).toEqual([625, 375]);
    expect(ranges().map((r) => r.limit)).toEqual([5000, 2500, 1250, 625, 625]);
  });

  it('keeps a listing at its first page’s revision while others write', async () => {
    const p = uniquePrefix();
    await fill(store, p, 2500);
    const writer = await connectEtcd();
    const pages = store.range(p, { pageSize: 200 })[Symbol.asyncIterator]();
    const seen = [...((await pages.next()).value as KeyValue[])];
    let writing = true;
    let wrote = 0;
    const writes = (async () => {
      for (let i = 0; writing; i++, wrote++)
        await writer.txn([], [put(`${p}${String(i * 7).padStart(5, '0')}`, 'new'), put(`${p}${i}x`, 'new')]);
    })();
    for (let page = await pages.next(); !page.done; page = await pages.next()) {
      seen.push(...page.value);
      await new Promise((r) => setTimeout(r, 5)); // let the writer in between pages
    }
    writing = false;
    await writes;
    await writer.close();
    const newer = await store.revision();
    expect(wrote).toBeGreaterThan(0);
    expect((await store.get(`${p}00000`))?.value).toBe('new');
    expect(seen).toHaveLength(2500);
    expect(seen.every((kv) => kv.value !== 'new')).toBe(true);
    expect(Math.max(...seen.map((kv) => kv.modRevision))).toBeLessThan(newer);
  });
});

describe('EtcdStore when etcd is not there', () => {
  it('ends a refused connection within the dial timeout, in one line naming the endpoint', async () => {
    const { message, ms } = await failure({ endpoints: '127.0.0.1:1', dialTimeout: '1s' });
    expect(message).toMatch(
      /^etcd at 127\.0\.0\.1:1 unreachable after 1s \(dial timeout\): connect ECONNREFUSED 127\.0\.0\.1:1$/,
    );
    expect(ms).toBeGreaterThanOrEqual(900); // etcdctl-like: keeps trying while etcd may be starting
    expect(ms).toBeLessThan(1_600);
  });

  it('honours the dial timeout for an endpoint that accepts TCP and never answers', async () => {
    const blackhole = net.createServer(() => undefined);
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    const endpoint = `127.0.0.1:${(blackhole.address() as net.AddressInfo).port}`;
    try {
      const { message, ms } = await failure({ endpoints: endpoint, dialTimeout: '1s' });
      expect(message).toBe(`etcd at ${endpoint} unreachable after 1s (dial timeout): no answer`);
      expect(ms).toBeLessThan(1_600);
    } finally {
      blackhole.close();
    }
  });

  it('names the close an endpoint answered with, though the last attempt ran out of time', async () => {
    // What a plain dial to a TLS port looks like on a loaded host: closed at once, then silence.
    let connections = 0;
    const server = net.createServer((socket) => {
      if (connections++ === 0) socket.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const endpoint = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const { message } = await failure({ endpoints: endpoint, dialTimeout: '1s' });
      expect(connections).toBeGreaterThan(1);
      expect(message).toBe(
        `etcd at ${endpoint} unreachable after 1s (dial timeout): connection closed before an answer (if etcd serves TLS, use https:// endpoints and --cacert)`,
      );
    } finally {
      server.close();
    }
  });
});

describe('EtcdStore on an etcd of its own', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcd();
  });
  afterAll(() => cluster.stop());

  it('ends each call within the command timeout when etcd stops answering', async () => {
    const flags = { endpoints: cluster.endpoints.join(','), commandTimeout: '1s' };
    const store = await EtcdStore.connect(resolveEtcdOptions(flags, {}));
    await store.txn([], [put('/hang/a', '1')]);
    cluster.members[0]?.pause();
    try {
      const started = Date.now();
      // Sent on the open connection and never answered: whether it was applied is unknown.
      const write = await store.txn([], [put('/hang/b', '1')]).catch((e: Error) => e);
      expect(write).toBeInstanceOf(StoreError);
      expect((write as Error).message).toBe(
        `etcd at ${flags.endpoints} failed during txn on /hang/b: no answer; the write may or may not have been applied`,
      );
      const read = await store.get('/hang/a').catch((e: Error) => e);
      expect(read).toBeInstanceOf(StoreError);
      expect((read as Error).message).toBe(
        `etcd at ${flags.endpoints} did not answer get /hang/a within 1s (command timeout): no answer`,
      );
      expect(Date.now() - started).toBeLessThan(2_800);
    } finally {
      cluster.members[0]?.resume();
      await store.close();
    }
  });

  it('says so when a pinned listing’s revision has been compacted', async () => {
    const store = await EtcdStore.connect(resolveEtcdOptions({ endpoints: cluster.endpoints.join(',') }, {}));
    await fill(store, '/compact/', 3);
    const old = await store.revision();
    await fill(store, '/compact/', 3, () => 'again');
    await cluster.etcdctl(['compact', String(await store.revision())]);
    const listing = store.range('/compact/', { revision: old });
    const error = await pagesOf(listing).catch((e: Error) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toBe(
      `etcd at ${cluster.endpoints[0]} could not list /compact/: mvcc: required revision has been compacted`,
    );
    await store.close();
  });
});
