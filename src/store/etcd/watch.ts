/**
 * A streaming watch: every put and delete under a prefix from a start revision on, in revision
 * order, until the caller's signal aborts or it stops iterating. One Watch stream per watch; a
 * stream that fails is reported (the caller re-reads and watches again from the revision it
 * reached), never silently reopened, so no event is skipped unseen.
 */
import { StoreError } from '../../core/errors.js';
import type { KeyValue } from '../contract.js';
import { prefixEnd } from './bytes.js';
import type { EtcdClient } from './client.js';
import { describeCause } from './errors.js';
import {
  WatchDefinition as Watch,
  WatchRequest,
  WatchResponse,
} from './gen/etcd/etcdserver/etcdserverpb/rpc.js';
import { Event_EventType } from './gen/etcd/mvcc/mvccpb/kv.js';
import { decode } from './reply.js';

export interface WatchEvent {
  type: 'put' | 'delete';
  /** For a delete: the key, with `modRevision` the revision of the deletion. */
  kv: KeyValue;
}

export async function* watch(
  client: EtcdClient,
  prefix: string,
  startRevision: number,
  signal: AbortSignal,
): AsyncIterable<WatchEvent[]> {
  const queue: WatchEvent[][] = [];
  let failure: Error | undefined;
  let done = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  const key = Buffer.from(prefix);
  const stream = await client.stream(Watch, Watch.methods.watch, {
    message: (m) => {
      const r = decode(WatchResponse, m);
      if (r.canceled) {
        const why = r.compactRevision > 0n ? `revision ${startRevision} was compacted` : r.cancelReason;
        failure = new StoreError(`etcd at ${client.label} ended the watch on ${prefix}: ${why}`);
      } else if (r.events.length > 0) {
        queue.push(
          r.events.map((e) => ({
            type: e.type === Event_EventType.DELETE ? 'delete' : 'put',
            kv: {
              key: Buffer.from(e.kv?.key ?? []).toString(),
              value: Buffer.from(e.kv?.value ?? []).toString(),
              createRevision: Number(e.kv?.createRevision ?? 0n),
              modRevision: Number(e.kv?.modRevision ?? 0n),
              version: Number(e.kv?.version ?? 0n),
              ...(e.kv && e.kv.lease !== 0n && { lease: e.kv.lease.toString() }),
            },
          })),
        );
      }
      notify();
    },
    end: (err) => {
      done = true;
      if (err && !signal.aborted)
        failure ??= new StoreError(
          `etcd at ${client.label} dropped the watch on ${prefix}: ${describeCause(err)}`,
        );
      notify();
    },
  });
  const onAbort = (): void => notify();
  signal.addEventListener('abort', onAbort);
  try {
    const createRequest = { key, rangeEnd: prefixEnd(key), startRevision: BigInt(startRevision) };
    stream.send(
      WatchRequest.encode(
        WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', value: createRequest } }),
      ).finish(),
    );
    for (;;) {
      const events = queue.shift();
      if (events) {
        yield events;
        continue;
      }
      if (failure) throw failure;
      if (done || signal.aborted) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.cancel();
  }
}
