/**
 * Paged listings on etcd. etcd 3.4 walks its whole index from a request's first key to the range
 * end on every limited range request (to count what remains), so reading n keys a page at a time
 * costs O(n²) on the server and leaves the client idle between pages. So: requests are large (the
 * caller's pages are cut from them, decoded only when handed out), and a listing with many
 * requests to go is split into sub-ranges of a few requests each (see etcd-split.ts), read a few
 * at a time. The caller gets pages of the size it asked for, in key order, all at the first
 * request's revision: exactly what plain paging gives, sooner.
 */
import type { KeyValue } from '../contract.js';
import { UsageError } from '../../core/errors.js';
import { after, prefixEnd } from './bytes.js';
import type { RangeReply, RangeRequest } from './reply.js';
import type { Chunk } from './split.js';

export interface RangeIo {
  /** One Range request, with the store's timeouts and retries. */
  range(request: RangeRequest): Promise<RangeReply>;
  /** Whether a failure was a reply over the message limit (then fewer keys are asked for). */
  tooBig(err: unknown): boolean;
}

export interface Tuning {
  /** Keys per request at least (more if the caller's pages are larger). */
  fetchKeys: number;
  /** Replies in flight or waiting while reading sub-ranges (besides the one being handed out). */
  parallel: number;
  /** Split only when at least this many requests remain after the first. */
  minRequests: number;
  /**
   * Requests per sub-range at most: each one's index walk then covers at most that much, and
   * fewer, coarser sub-ranges take fewer count requests to find. One: a sub-range's requests go
   * one after the other (each needs the last key of the one before), so with one request each,
   * `parallel` requests are under way at once instead of one: over 184,320 keys 678 ms instead
   * of 777 (in-process, parsed as `partitions stats` does), for a second round of counts.
   */
  chunkRequests: number;
}

export const TUNING: Tuning = { fetchKeys: 5000, parallel: 3, minRequests: 16, chunkRequests: 1 };

/** A promise whose rejection is handled later (or never, if the caller stops early). */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

export async function* listPages(
  io: RangeIo,
  prefix: string,
  pageSize: number,
  pinned: number | undefined,
  tuning: Tuning = TUNING,
): AsyncIterable<KeyValue[]> {
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new UsageError(`page size: expected a positive integer, got ${pageSize}`);
  let limit = Math.max(pageSize, tuning.fetchKeys);
  const end = prefixEnd(Buffer.from(prefix));
  let revision = pinned ?? 0;
  const fetch = async (from: Buffer, to: Buffer): Promise<RangeReply> => {
    for (;;) {
      try {
        return await io.range({ key: from, rangeEnd: to, limit, revision });
      } catch (err) {
        // A reply of big values can exceed the message limit: ask for fewer keys.
        if (!io.tooBig(err) || limit <= 1) throw err;
        limit = Math.ceil(limit / 2);
      }
    }
  };
  // Pages stay within one reply's worth of keys, and so within the message limit's worth of bytes.
  yield* pages(replies(), () => Math.min(pageSize, limit));

  async function* replies(): AsyncIterable<RangeReply> {
    // etcd wants a non-empty key; "\0" up to "\0" means the whole keyspace.
    const first = await fetch(prefix === '' ? Buffer.from([0]) : Buffer.from(prefix), end);
    revision ||= first.revision; // 0 asked for the current revision: pin that one for the rest
    let planning: Promise<Chunk[] | undefined> | undefined;
    let over = false;
    if (first.more && first.lastKey && first.count - first.size >= tuning.minRequests * limit) {
      const count = async (from: Buffer, to: Buffer) => {
        if (over) throw new Error('the listing is over'); // planning stops with it
        return (await io.range({ key: from, rangeEnd: to, revision, countOnly: true })).count;
      };
      // Loaded only for listings this large: a short command does not pay for the module.
      const { planChunks } = await import('./split.js');
      const prefixLength = Buffer.byteLength(prefix);
      // If planning fails, the listing just reads on one request after the other.
      planning = planChunks(count, {
        first: Buffer.from(first.key(0)),
        last: first.lastKey,
        prefixLength,
        end,
        target: limit * tuning.chunkRequests,
        alphabet: alphabetOf(first, prefixLength),
      }).catch(() => undefined);
    }
    try {
      let reply = first;
      let plan: Chunk[] | undefined;
      if (planning !== undefined) {
        // The caller works on the first reply while the plan is made; nothing more is read until
        // then: every request before it walks etcd's index to the end of the listing, and would
        // compete with the probes for etcd's time.
        yield reply;
        plan = await planning;
        if (plan === undefined) reply = await fetch(after(first.lastKey as Buffer), end);
      }
      if (plan === undefined) {
        // One after the other, the next travelling while the caller works on this one.
        while (reply.more && reply.lastKey !== undefined) {
          const next = quiet(fetch(after(reply.lastKey), end));
          yield reply;
          reply = await next;
        }
        yield reply;
        return;
      }
      // The rest in sub-ranges, a few under way at a time.
      const rest = chunkReplies(plan, fetch, tuning.parallel)[Symbol.asyncIterator]();
      try {
        for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
      } finally {
        await rest.return?.();
      }
    } finally {
      over = true;
    }
  }
}

/** The byte values used past the prefix by (a sample of) the keys of a reply, ascending. */
function alphabetOf(reply: RangeReply, prefixLength: number): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < reply.size; i += Math.max(1, Math.floor(reply.size / 256))) {
    const key = reply.key(i);
    for (let j = prefixLength; j < key.length; j++) seen.add(key[j] as number);
  }
  return [...seen].sort((x, y) => x - y);
}

/**
 * The chunks' replies in order, with about `parallel` in flight or waiting: the current chunk
 * reads on, and so do the chunks after it while there is room. Each chunk has one request in
 * flight at most (the next needs its last key). Memory: `parallel` replies, one more for the
 * current chunk, and the one being handed out.
 */
async function* chunkReplies(
  chunks: Chunk[],
  fetch: (from: Buffer, to: Buffer) => Promise<RangeReply>,
  parallel: number,
): AsyncIterable<RangeReply> {
  // `from` is where a chunk reads on, undefined once it has been read to its end.
  type Run = { from: Buffer | undefined; end: Buffer; busy: boolean; queue: Promise<RangeReply>[] };
  const runs: Run[] = chunks.map((c) => ({ from: c.from, end: c.end, busy: false, queue: [] }));
  let head = 0;
  let held = 0;
  let stopped = false;
  const start = (run: Run): void => {
    run.busy = true;
    held++;
    const reply = fetch(run.from as Buffer, run.end).then((r) => {
      run.busy = false;
      run.from = r.more && r.lastKey !== undefined ? after(r.lastKey) : undefined;
      pump();
      return r;
    });
    run.queue.push(quiet(reply));
  };
  const pump = (): void => {
    for (let i = head; i < runs.length && held < parallel && !stopped; i++) {
      const run = runs[i] as Run;
      if (!run.busy && run.from !== undefined) start(run);
    }
  };
  try {
    pump();
    for (; head < runs.length; head++) {
      const run = runs[head] as Run;
      for (;;) {
        // The current chunk may always read on, or nothing would free room.
        if (run.queue.length === 0 && run.from !== undefined) start(run);
        const next = run.queue.shift();
        if (next === undefined) break;
        const reply = await next;
        held--;
        pump();
        yield reply;
      }
    }
  } finally {
    stopped = true; // a caller that stops early starts nothing more
  }
}

/**
 * The replies' keys in pages of `size()` (the last may be short), each decoded only as it is
 * handed out: replies waiting their turn stay raw bytes, which cost the garbage collector nothing.
 */
async function* pages(replies: AsyncIterable<RangeReply>, size: () => number): AsyncIterable<KeyValue[]> {
  let pending: KeyValue[] = [];
  for await (const reply of replies) {
    for (let at = 0; at < reply.size;) {
      // At least one: `size()` may shrink below what is pending when a later request is halved.
      const take = Math.max(1, Math.min(size() - pending.length, reply.size - at));
      const kvs = reply.kvs(at, (at += take));
      pending = pending.length === 0 ? kvs : pending.concat(kvs);
      if (pending.length >= size()) {
        yield pending;
        pending = [];
      }
    }
  }
  if (pending.length > 0) yield pending;
}
