/**
 * The MetadataStore on etcd. Reads (get, listings, the revision, lease TTLs) go over node:http2
 * with a hand-made protobuf codec (etcd-grpc.ts, etcd-wire.ts), so that a read-only command
 * starts without loading etcd3; writes, transactions and leases go through etcd3, loaded on the
 * first of them (etcd-writer.ts). Every call runs under our own deadline and retry loop, so that a
 * dead, refusing, slow or misconfigured cluster ends in one StoreError line within the dial or
 * command timeout, and a call that fails on one endpoint is retried on another only when that
 * cannot apply a write twice.
 */
import type { Lease as EtcdLease } from 'etcd3';
import { StoreError } from '../core/errors.js';
import type { Compare, KeyValue, Lease, MetadataStore, Op, RangeOptions, TxnResult } from './contract.js';
import {
  describeCause,
  failureMessage,
  isTlsFailure,
  isTooBig,
  isTransient,
  neverSent,
  plainHint,
  seconds,
  sleep,
  tlsHint,
  withTimer,
} from './etcd-errors.js';
import type { TlsMaterial } from './etcd-grpc.js';
import type { EtcdOptions } from './etcd-options.js';
import { listPages } from './etcd-range.js';
import { EtcdReads, readTlsFiles } from './etcd-reads.js';
import type { Writer } from './etcd-writer.js';

/** A deadline, in epoch milliseconds. */
type Deadline = { deadline: number };
/** A write is retried only when it surely never reached etcd; a read after any transient failure. */
type Kind = 'read' | 'write';

export const DEFAULT_PAGE_SIZE = 1000;

/** Per-attempt caps: with several endpoints, one silent endpoint must leave time to try another. */
function attemptBudgets(o: EtcdOptions): { dial: number; command: number } {
  const n = o.endpoints.length;
  return n === 1
    ? { dial: o.dialTimeoutMs, command: o.commandTimeoutMs }
    : {
        dial: Math.max(o.dialTimeoutMs / n, Math.min(o.dialTimeoutMs, 500)),
        command: o.commandTimeoutMs / 2,
      };
}

export class EtcdStore implements MetadataStore {
  readonly description: string;
  private readonly label: string;
  private readonly budgets: { dial: number; command: number };
  private readonly reads: EtcdReads;
  private readonly leases = new Set<EtcdLease>();
  private writer: Promise<Writer> | undefined;
  private etcd3: Writer['etcd3'] | undefined;
  private closed = false;

  private constructor(
    private readonly options: EtcdOptions,
    private readonly tls: TlsMaterial | undefined,
  ) {
    this.label = options.endpoints.join(',');
    this.description = `etcd ${this.label}`;
    this.budgets = attemptBudgets(options);
    this.reads = new EtcdReads(options.endpoints, tls, options.auth);
  }

  /** Reaches etcd (and signs in, with a user) within the dial timeout; loads no gRPC library. */
  static async connect(options: EtcdOptions): Promise<EtcdStore> {
    const store = new EtcdStore(options, await readTlsFiles(options));
    try {
      await store.call('connect', 'read', (o) => store.reads.reach(o.deadline), 'dial');
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const reply = await this.call(`get ${key}`, 'read', (o) =>
      this.reads.range({ key: Buffer.from(key) }, o.deadline),
    );
    return reply.kvs()[0];
  }

  range(prefix: string, options: RangeOptions = {}): AsyncIterable<KeyValue[]> {
    const what = `list ${prefix}`;
    const io = {
      range: (request: Parameters<EtcdReads['range']>[0]) =>
        this.call(what, 'read', (o) => this.reads.range(request, o.deadline)),
      tooBig: (err: unknown) => err instanceof StoreError && isTooBig(err.cause),
    };
    return listPages(io, prefix, options.pageSize ?? DEFAULT_PAGE_SIZE, options.revision);
  }

  async revision(): Promise<number> {
    return this.call('read the revision', 'read', (o) => this.reads.revision(o.deadline));
  }

  async txn(compares: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    const keys = [...compares, ...success, ...failure].map((x) => x.key);
    const what = `txn on ${keys[0] ?? 'no keys'}${keys.length > 1 ? ` and ${keys.length - 1} more` : ''}`;
    const kind: Kind = success.length + failure.length > 0 ? 'write' : 'read';
    const { client, request: build } = await this.write(what);
    const request = build(compares, success, failure);
    const res = await this.call(what, kind, (o) => client.kv.txn(request, o));
    return { succeeded: res.succeeded, revision: Number(res.header.revision) };
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    const { etcd3, client } = await this.write(`grant a ${ttlSeconds}s lease`);
    const lease = await this.call(`grant a ${ttlSeconds}s lease`, 'read', async (o) => {
      const attempt = client.lease(ttlSeconds, o);
      try {
        await attempt.grant();
        return attempt;
      } catch (err) {
        attempt.release();
        throw err;
      }
    });
    const id = await lease.grant();
    this.leases.add(lease);
    return {
      id,
      ttlSeconds,
      revoke: async () => {
        this.leases.delete(lease);
        lease.release();
        await this.call(`revoke lease ${id}`, 'read', (o) =>
          client.leaseClient.leaseRevoke({ ID: id }, o).catch((err: unknown) => {
            if (!(err instanceof etcd3.EtcdLeaseInvalidError)) throw err;
          }),
        );
      },
    };
  }

  async leaseTimeToLive(id: string): Promise<number | undefined> {
    if (!/^\d+$/.test(id)) return undefined;
    const ttl = await this.call(`read lease ${id}`, 'read', (o) => this.reads.leaseTtl(id, o.deadline));
    return ttl < 0 ? undefined : ttl;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reads.close();
    // Keep-alives stop; held leases then expire by their TTL unless revoked first.
    this.leases.forEach((lease) => lease.release());
    this.leases.clear();
    (await this.writer?.catch(() => undefined))?.client.close();
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or the phase's timeout is spent; each
   * attempt carries a deadline and a timer of its own, so nothing waits past the timeout.
   * @internal
   */
  async call<T>(
    what: string,
    kind: Kind,
    attempt: (o: Deadline) => Promise<T>,
    phase: 'dial' | 'command' = 'command',
  ): Promise<T> {
    if (this.closed) throw new StoreError(`${this.description} is closed; cannot ${what}`);
    const total = phase === 'dial' ? this.options.dialTimeoutMs : this.options.commandTimeoutMs;
    const end = Date.now() + total;
    let last: unknown;
    for (let n = 0; ; n++) {
      const ms = Math.min(end - Date.now(), this.budgets[phase]);
      let err: unknown;
      try {
        if (ms <= 0) break;
        return await withTimer(attempt({ deadline: Date.now() + ms }), ms + 100);
      } catch (e) {
        err = e;
      }
      if (this.closed) throw new StoreError(`${this.description} is closed; cannot ${what}`, { cause: err });
      if (!(err instanceof Error && 'isBrokenCircuitError' in err)) last = err;
      const cause = describeCause(err);
      if (isTlsFailure(cause))
        throw new StoreError(`TLS handshake with etcd at ${this.label} failed: ${cause}${tlsHint(cause)}`, {
          cause: err,
        });
      const transient = this.transient(err);
      if (!(neverSent(err) || (kind === 'read' && transient))) {
        const user = this.options.auth?.username;
        throw new StoreError(
          kind === 'write' && transient
            ? `etcd at ${this.label} failed during ${what}: ${cause}; the write may or may not have been applied`
            : failureMessage(this.label, what, user, err),
          { cause: err },
        );
      }
      await sleep(Math.min(50 * 2 ** n, 250, end - Date.now()));
    }
    const cause = last === undefined ? '' : `: ${describeCause(last)}`;
    throw new StoreError(
      phase === 'dial'
        ? `etcd at ${this.label} unreachable after ${seconds(total)} (dial timeout)${cause}${this.options.tls ? '' : plainHint(cause)}`
        : `etcd at ${this.label} did not answer ${what} within ${seconds(total)} (command timeout)${cause}`,
      { cause: last },
    );
  }

  private transient(err: unknown): boolean {
    const e = this.etcd3;
    return isTransient(
      err,
      (x) => e !== undefined && e.isRecoverableError(x) && !(x instanceof e.GRPCResourceExhastedError),
    );
  }

  /** etcd3, created on the first write; connecting happens within that write's own timeout. */
  private write(what: string): Promise<Writer> {
    if (this.closed) return Promise.reject(new StoreError(`${this.description} is closed; cannot ${what}`));
    this.writer ??= import('./etcd-writer.js').then(async ({ createWriter }) => {
      const w = await createWriter(this.options, this.tls, this.budgets.dial);
      this.etcd3 = w.etcd3;
      if (this.closed) w.client.close();
      return w;
    });
    return this.writer;
  }
}
