/**
 * The MetadataStore on etcd, through etcd3. Every call runs under our own deadline and retry
 * loop (etcd3's own retry policy is switched off), so that a dead, refusing, slow or misconfigured
 * cluster ends in one StoreError line within the dial or command timeout, and a call that
 * fails on one endpoint is retried on another only when that cannot apply a write twice.
 */
import { readFile } from 'node:fs/promises';
import type { Etcd3, ICompare, IKeyValue, IOptions, IRequestOp, Lease as EtcdLease } from 'etcd3';
import { StoreError, UsageError } from '../core/errors.js';
import type { Compare, KeyValue, Lease, MetadataStore, Op, RangeOptions, TxnResult } from './contract.js';
import type { EtcdOptions } from './etcd-options.js';

type Etcd3Module = typeof import('etcd3');
/** A gRPC deadline, in epoch milliseconds. */
type Deadline = { deadline: number };
/** A write is retried only when it surely never reached etcd; a read after any transient failure. */
type Kind = 'read' | 'write';

export const DEFAULT_PAGE_SIZE = 1000;

async function readTlsFiles(options: EtcdOptions): Promise<IOptions['credentials']> {
  const tls = options.tls;
  if (!tls || (!tls.caFile && !tls.certFile)) return undefined;
  const read = async (file: string | undefined, what: string): Promise<Buffer | undefined> => {
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch (err) {
      throw new UsageError(
        `${what} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
  };
  const [rootCertificate, certChain, privateKey] = await Promise.all([
    read(tls.caFile, '--cacert'),
    read(tls.certFile, '--cert'),
    read(tls.keyFile, '--key'),
  ]);
  // Without --cacert gRPC falls back to the system roots, which it takes as a null root certificate.
  return {
    rootCertificate: rootCertificate as Buffer,
    ...(certChain && { certChain }),
    ...(privateKey && { privateKey }),
  };
}

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

const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** gRPC's multi-part messages reduced to their cause: `connect ECONNREFUSED 127.0.0.1:1`. */
export function describeCause(err: unknown): string {
  let text = err instanceof Error ? err.message : String(err);
  text = /Last error: ([\s\S]*?)(?:\.? Resolution note:[\s\S]*)?$/.exec(text)?.[1] ?? text;
  text = text
    .replace(/^(?:\w*Error: )?(?:\d+ [A-Z_]+: )?(?:etcdserver: )?/, '')
    .replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)/g, '');
  const ssl = /SSL routines:[^:]*:([^:]+):/.exec(text);
  if (ssl) text = ssl[1] as string;
  if (/Deadline exceeded|LB pick/.test(text)) text = 'no answer';
  return (text.split('\n')[0] ?? '').trim();
}

const isTlsFailure = (cause: string): boolean => /certificate|TLS|SSL|wrong version number/i.test(cause);
/** The request never left this process, so even a write can go to another endpoint. */
const neverSent = (err: unknown): boolean =>
  err instanceof Error &&
  ('isBrokenCircuitError' in err ||
    /No connection established|Failed to connect|Waiting for LB pick/.test(err.message));

class AttemptTimeout extends Error {}

export class EtcdStore implements MetadataStore {
  readonly description: string;
  private readonly label: string;
  private readonly budgets: { dial: number; command: number };
  private readonly leases = new Set<EtcdLease>();
  private closed = false;

  constructor(
    private readonly etcd3: Etcd3Module,
    private readonly client: Etcd3,
    private readonly options: EtcdOptions,
  ) {
    this.label = options.endpoints.join(',');
    this.description = `etcd ${this.label}`;
    this.budgets = attemptBudgets(options);
  }

  /** Loads etcd3 (costly: gRPC and protobuf parsing) only here, and connects within the dial timeout. */
  static async connect(options: EtcdOptions): Promise<EtcdStore> {
    const [etcd3, cockatiel, credentials] = await Promise.all([
      import('etcd3'),
      import('cockatiel'),
      readTlsFiles(options),
    ]);
    const per = attemptBudgets(options);
    const client = new etcd3.Etcd3({
      hosts: options.endpoints,
      ...(credentials && { credentials }),
      ...(options.auth && {
        auth: { ...options.auth, callOptions: () => ({ deadline: Date.now() + per.dial }) },
      }),
      faultHandling: {
        // Our loop retries; etcd3's global retry would retry writes blindly and outlive our timeouts.
        global: cockatiel.noop,
        // One failure takes an endpoint out of rotation briefly, so retries go to the others.
        host: () =>
          cockatiel.circuitBreaker(
            cockatiel.handleWhen(
              (e) => etcd3.isRecoverableError(e) && !(e instanceof etcd3.GRPCResourceExhastedError),
            ),
            {
              // Skipped for 0.5 s, then longer each time the probe fails: a silent endpoint costs a
              // caller its share of the timeout only now and then.
              halfOpenAfter: new cockatiel.ExponentialBackoff({ initialDelay: 500, maxDelay: 30_000 }),
              breaker: new cockatiel.ConsecutiveBreaker(1),
            },
          ),
      },
    });
    closeChannelsAtOnce(client);
    const store = new EtcdStore(etcd3, client, options);
    try {
      await store.call('connect', 'read', (o) => client.maintenance.status(o), 'dial');
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call(`get ${key}`, 'read', (o) =>
      this.client.kv.range({ key: Buffer.from(key) }, o),
    );
    const kv = res.kvs[0];
    return kv && toKeyValue(kv);
  }

  async *range(prefix: string, options: RangeOptions = {}): AsyncIterable<KeyValue[]> {
    let limit = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError(`page size: expected a positive integer, got ${limit}`);
    let revision = options.revision;
    const end = prefixEnd(Buffer.from(prefix));
    const fetchPage = async (from: Buffer) => {
      for (;;) {
        const request = { key: from, range_end: end, limit, revision: revision ?? 0 };
        try {
          return await this.call(`list ${prefix}`, 'read', (o) => this.client.kv.range(request, o));
        } catch (err) {
          // A page of big values can exceed gRPC's 4 MiB message limit: ask for fewer keys.
          const tooBig =
            err instanceof StoreError &&
            /larger than max/.test(String((err.cause as Error | undefined)?.message));
          if (!tooBig || limit <= 1) throw err;
          limit = Math.ceil(limit / 2);
        }
      }
    };
    let pending = fetchPage(Buffer.from(prefix));
    for (;;) {
      const res = await pending;
      revision ||= Number(res.header.revision); // 0 asks for the current revision: pin that one too
      const last = res.kvs.at(-1);
      const more = res.more && last !== undefined;
      if (more) {
        // Read ahead: the next page travels while the caller works on this one (at most two pages
        // in memory). If the caller stops early, its failure is nobody's concern.
        pending = fetchPage(Buffer.concat([last.key, Buffer.from([0])]));
        pending.catch(() => undefined);
      }
      if (res.kvs.length > 0) yield res.kvs.map(toKeyValue);
      if (!more) return;
    }
  }

  async revision(): Promise<number> {
    // An empty txn is a linearizable read of the header that needs no permission on any key.
    const res = await this.call('read the revision', 'read', (o) => this.client.kv.txn({}, o));
    return Number(res.header.revision);
  }

  async txn(compares: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    const keys = [...compares, ...success, ...failure].map((x) => x.key);
    const what = `txn on ${keys[0] ?? 'no keys'}${keys.length > 1 ? ` and ${keys.length - 1} more` : ''}`;
    const kind: Kind = success.length + failure.length > 0 ? 'write' : 'read';
    const request = {
      compare: compares.map((c) => this.toCompare(c)),
      success: success.map(toRequestOp),
      failure: failure.map(toRequestOp),
    };
    const res = await this.call(what, kind, (o) => this.client.kv.txn(request, o));
    return { succeeded: res.succeeded, revision: Number(res.header.revision) };
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    const lease = await this.call(`grant a ${ttlSeconds}s lease`, 'read', async (o) => {
      const attempt = this.client.lease(ttlSeconds, o);
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
          this.client.leaseClient.leaseRevoke({ ID: id }, o).catch((err: unknown) => {
            if (!(err instanceof this.etcd3.EtcdLeaseInvalidError)) throw err;
          }),
        );
      },
    };
  }

  async leaseTimeToLive(id: string): Promise<number | undefined> {
    if (!/^\d+$/.test(id)) return undefined;
    const res = await this.call(`read lease ${id}`, 'read', (o) =>
      this.client.leaseClient.leaseTimeToLive({ ID: id }, o),
    );
    const ttl = Number(res.TTL);
    return ttl < 0 ? undefined : ttl;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Keep-alives stop; held leases then expire by their TTL unless revoked first.
    this.leases.forEach((lease) => lease.release());
    this.leases.clear();
    this.client.close();
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or the phase's timeout is spent; each
   * attempt carries a gRPC deadline and a timer of its own, so nothing waits past the timeout.
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
      if (!(err instanceof Error && 'isBrokenCircuitError' in err)) last = err;
      const cause = describeCause(err);
      if (isTlsFailure(cause))
        throw new StoreError(`TLS handshake with etcd at ${this.label} failed: ${cause}${tlsHint(cause)}`, {
          cause: err,
        });
      const retry = neverSent(err) || (kind === 'read' && this.transient(err));
      if (!retry) {
        throw kind === 'write' && this.transient(err)
          ? new StoreError(
              `etcd at ${this.label} failed during ${what}: ${cause}; the write may or may not have been applied`,
              { cause: err },
            )
          : this.failure(what, err);
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

  /** Failures that another try (or endpoint) may not have; an oversized response is not one. */
  private transient(err: unknown): boolean {
    if (err instanceof AttemptTimeout) return true;
    return (
      err instanceof Error &&
      this.etcd3.isRecoverableError(err) &&
      !(err instanceof this.etcd3.GRPCResourceExhastedError)
    );
  }

  private failure(what: string, err: unknown): StoreError {
    const e = this.etcd3;
    const user = this.options.auth?.username;
    const cause = describeCause(err);
    const message =
      err instanceof e.EtcdAuthenticationFailedError
        ? `etcd at ${this.label} rejected user '${user}': wrong user name or password`
        : /user name is empty/.test(cause)
          ? `etcd at ${this.label} requires authentication: pass --user NAME:PASSWORD (or OTLPCTL_USER)`
          : err instanceof e.EtcdPermissionDeniedError
            ? `etcd at ${this.label} denied ${user ? `user '${user}'` : 'this client'} permission to ${what}`
            : `etcd at ${this.label} could not ${what}: ${cause}`;
    return new StoreError(message, { cause: err });
  }

  private toCompare(c: Compare): ICompare {
    const { CompareTarget, CompareResult } = this.etcd3;
    const base = { key: Buffer.from(c.key), result: CompareResult.Equal };
    if (c.target === 'mod') return { ...base, target: CompareTarget.Mod, mod_revision: c.modRevision };
    if (c.target === 'create')
      return { ...base, target: CompareTarget.Create, create_revision: c.createRevision };
    return { ...base, target: CompareTarget.Value, value: Buffer.from(c.value) };
  }
}

/**
 * etcd3 closes a still-connecting gRPC channel only after waiting up to 1 s for it (a workaround
 * for an old grpc-js bug), and that timer keeps a failed CLI run alive; grpc-js 1.14 closes such
 * a channel cleanly, so close at once. Reaches into etcd3 1.1.2's pool; a no-op if it changes.
 */
function closeChannelsAtOnce(client: Etcd3): void {
  type Host = { cachedServices: Record<string, { close(): void } | undefined>; resetAllServices(): void };
  const hosts = (client as unknown as { pool?: { hosts?: Host[] } }).pool?.hosts ?? [];
  for (const host of hosts) {
    if (typeof host.resetAllServices !== 'function' || typeof host.cachedServices !== 'object') continue;
    host.resetAllServices = () => {
      Object.values(host.cachedServices).forEach((service) => service?.close());
      host.cachedServices = Object.create(null) as Host['cachedServices'];
    };
  }
}

function withTimer<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeout(`no answer within ${seconds(ms)}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function tlsHint(cause: string): string {
  if (/verify|self.signed|unknown ca/i.test(cause))
    return ' (is --cacert the CA that signed the server certificate?)';
  if (/bad certificate|certificate required/i.test(cause))
    return ' (the server wants a client certificate: --cert and --key)';
  if (/wrong version number|before secure TLS/i.test(cause))
    return ' (does the endpoint speak TLS? if not, use http:// or host:port)';
  return '';
}

function plainHint(cause: string): string {
  return /Failed to connect|Connection dropped/.test(cause)
    ? ' (if etcd serves TLS, use https:// endpoints and --cacert)'
    : '';
}

/** The first key after every key starting with `prefix`; `\0` (the end of the keyspace) if none. */
function prefixEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if ((prefix[i] as number) < 0xff)
      return Buffer.concat([prefix.subarray(0, i), Buffer.from([(prefix[i] as number) + 1])]);
  }
  return Buffer.from([0]);
}

function toRequestOp(op: Op): IRequestOp {
  if (op.type === 'delete') return { request_delete_range: { key: Buffer.from(op.key) } };
  return {
    request_put: {
      key: Buffer.from(op.key),
      value: Buffer.from(op.value),
      ...(op.lease && { lease: op.lease }),
    },
  };
}

function toKeyValue(kv: IKeyValue): KeyValue {
  const out: KeyValue = {
    key: kv.key.toString(),
    value: kv.value.toString(),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
  };
  if (kv.lease !== '0') out.lease = kv.lease;
  return out;
}
