/**
 * The MetadataStore on etcd, over the one client (client.ts): every call has the client's
 * deadlines, sign-in and retry rule; this file only says what each call is and whether it writes.
 */
import { StoreError } from '../../core/errors.js';
import type { Compare, KeyValue, Lease, MetadataStore, Op, RangeOptions, TxnResult } from '../contract.js';
import { EtcdClient } from './client.js';
import { isTooBig } from './errors.js';
import {
  Compare_CompareResult,
  Compare_CompareTarget,
  KVDefinition as KV,
  LeaseDefinition as LeaseService,
  RangeRequest as WireRangeRequest,
  type Compare as WireCompare,
  type DeepPartial,
  type RequestOp,
} from './gen/etcd/etcdserver/etcdserverpb/rpc.js';
import { KeptLease } from './lease.js';
import type { EtcdOptions } from './options.js';
import { listPages } from './range.js';
import { decodeRange, type RangeReply, type RangeRequest } from './reply.js';
import { watch, type WatchEvent } from './watch.js';

export const DEFAULT_PAGE_SIZE = 1000;

const bytes = (s: string): Buffer => Buffer.from(s);

export class EtcdStore implements MetadataStore {
  readonly description: string;
  private readonly leases = new Set<KeptLease>();
  private closed = false;

  private constructor(readonly client: EtcdClient) {
    this.description = `etcd ${client.label}`;
  }

  /** Reaches etcd (and signs in, with a user) within the dial timeout. */
  static async connect(options: EtcdOptions): Promise<EtcdStore> {
    const store = new EtcdStore(new EtcdClient(options));
    try {
      await store.client.reach();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const reply = await this.range1({ key: bytes(key) }, `get ${key}`);
    return reply.kvs()[0];
  }

  range(prefix: string, options: RangeOptions = {}): AsyncIterable<KeyValue[]> {
    const what = `list ${prefix}`;
    const io = {
      range: (request: RangeRequest) => this.range1(request, what),
      tooBig: (err: unknown) => err instanceof StoreError && isTooBig(err.cause),
    };
    return listPages(io, prefix, options.pageSize ?? DEFAULT_PAGE_SIZE, options.revision);
  }

  /** An empty txn is a linearizable read of the header that needs no permission on any key. */
  async revision(): Promise<number> {
    const r = await this.client.call('read the revision', 'read', (d) =>
      this.client.unary(KV, KV.methods.txn, {}, d),
    );
    return Number(r.header?.revision ?? 0n);
  }

  async txn(compares: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    const keys = [...compares, ...success, ...failure].map((x) => x.key);
    const what = `txn on ${keys[0] ?? 'no keys'}${keys.length > 1 ? ` and ${keys.length - 1} more` : ''}`;
    const request = {
      compare: compares.map(toCompare),
      success: success.map(toRequestOp),
      failure: failure.map(toRequestOp),
    };
    const kind = success.length + failure.length > 0 ? 'write' : 'read';
    const r = await this.client.call(what, kind, (d) => this.client.unary(KV, KV.methods.txn, request, d));
    return { succeeded: r.succeeded, revision: Number(r.header?.revision ?? 0n) };
  }

  /** A lease kept alive (lease.ts) until revoked, abandoned by `close`, or the process ends. */
  async grantLease(ttlSeconds: number): Promise<Lease> {
    // A grant that got lost is an unused lease that expires by itself: safe to send again.
    const r = await this.client.call(`grant a ${ttlSeconds}s lease`, 'read', (d) =>
      this.client.unary(LeaseService, LeaseService.methods.leaseGrant, { TTL: BigInt(ttlSeconds) }, d),
    );
    const lease = new KeptLease(this.client, r.ID.toString(), ttlSeconds, () => this.leases.delete(lease));
    this.leases.add(lease);
    return lease;
  }

  async leaseTimeToLive(id: string): Promise<number | undefined> {
    if (!/^\d+$/.test(id)) return undefined;
    const r = await this.client.call(`read lease ${id}`, 'read', (d) =>
      this.client.unary(LeaseService, LeaseService.methods.leaseTimeToLive, { ID: BigInt(id) }, d),
    );
    return r.TTL < 0n ? undefined : Number(r.TTL);
  }

  /** Puts and deletes under `prefix` from `startRevision` on, until `signal` aborts (watch.ts). */
  watch(prefix: string, startRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent[]> {
    return watch(this.client, prefix, startRevision, signal);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Keep-alives stop; held leases then expire by their TTL unless revoked first.
    this.leases.forEach((lease) => lease.abandon());
    this.leases.clear();
    this.client.close();
  }

  private range1(request: RangeRequest, what: string): Promise<RangeReply> {
    const message = WireRangeRequest.encode(
      WireRangeRequest.fromPartial({
        key: request.key,
        ...(request.rangeEnd && { rangeEnd: request.rangeEnd }),
        ...(request.limit && { limit: BigInt(request.limit) }),
        ...(request.revision && { revision: BigInt(request.revision) }),
        ...(request.countOnly && { countOnly: true }),
      }),
    ).finish();
    return this.client.call(what, 'read', async (d) =>
      decodeRange(await this.client.raw(KV, KV.methods.range, message, d), this.client.release),
    );
  }
}

function toCompare(c: Compare): DeepPartial<WireCompare> {
  const base = { key: bytes(c.key), result: Compare_CompareResult.EQUAL };
  if (c.target === 'mod')
    return {
      ...base,
      target: Compare_CompareTarget.MOD,
      targetUnion: { $case: 'modRevision', value: BigInt(c.modRevision) },
    };
  if (c.target === 'create')
    return {
      ...base,
      target: Compare_CompareTarget.CREATE,
      targetUnion: { $case: 'createRevision', value: BigInt(c.createRevision) },
    };
  return {
    ...base,
    target: Compare_CompareTarget.VALUE,
    targetUnion: { $case: 'value', value: bytes(c.value) },
  };
}

function toRequestOp(op: Op): DeepPartial<RequestOp> {
  const request: DeepPartial<RequestOp>['request'] =
    op.type === 'delete'
      ? { $case: 'requestDeleteRange', value: { key: bytes(op.key) } }
      : {
          $case: 'requestPut',
          value: { key: bytes(op.key), value: bytes(op.value), ...(op.lease && { lease: BigInt(op.lease) }) },
        };
  return { request };
}
