/**
 * The etcd3 client behind writes, transactions and leases, loaded only when the first of those
 * is made: etcd3 brings grpc-js and parses its protobuf schema at load time (~200 ms), which a
 * read-only command never pays. Lease keep-alives need its streaming calls.
 */
import { createRequire } from 'node:module';
import type { Etcd3, ICompare, IOptions, IRequestOp } from 'etcd3';
import type { Compare, Op } from './contract.js';
import type { EtcdOptions } from './etcd-options.js';
import type { TlsMaterial } from './etcd-grpc.js';

const require = createRequire(import.meta.url);

export type Etcd3Module = typeof import('etcd3');

export interface Writer {
  etcd3: Etcd3Module;
  client: Etcd3;
  /** A TxnRequest in etcd3's terms. */
  request(
    compares: Compare[],
    success: Op[],
    failure: Op[],
  ): { compare: ICompare[]; success: IRequestOp[]; failure: IRequestOp[] };
}

/** etcd3 with our fault handling; `dialMs` bounds its sign-in attempts as our dial budget does. */
export async function createWriter(
  options: EtcdOptions,
  tls: TlsMaterial | undefined,
  dialMs: number,
): Promise<Writer> {
  // require, not import(): the CLI runs as a CommonJS bundle in a vm.Script, which has no loader for
  // import(); and etcd3 requires the CommonJS cockatiel, so this is the same instance as its own.
  const etcd3 = require('etcd3') as typeof import('etcd3');
  const cockatiel = require('cockatiel') as typeof import('cockatiel');
  // Without --cacert gRPC falls back to the system roots, which it takes as a null root certificate.
  const credentials: IOptions['credentials'] = (tls?.ca || tls?.cert) && {
    rootCertificate: tls.ca as Buffer,
    ...(tls.cert && { certChain: tls.cert }),
    ...(tls.key && { privateKey: tls.key }),
  };
  const client = new etcd3.Etcd3({
    hosts: options.endpoints,
    ...(credentials && { credentials }),
    ...(options.auth && {
      auth: { ...options.auth, callOptions: () => ({ deadline: Date.now() + dialMs }) },
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
  return {
    etcd3,
    client,
    request: (compares, success, failure) => ({
      compare: compares.map((c) => toCompare(etcd3, c)),
      success: success.map(toRequestOp),
      failure: failure.map(toRequestOp),
    }),
  };
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

function toCompare(etcd3: Etcd3Module, c: Compare): ICompare {
  const { CompareTarget, CompareResult } = etcd3;
  const base = { key: Buffer.from(c.key), result: CompareResult.Equal };
  if (c.target === 'mod') return { ...base, target: CompareTarget.Mod, mod_revision: c.modRevision };
  if (c.target === 'create')
    return { ...base, target: CompareTarget.Create, create_revision: c.createRevision };
  return { ...base, target: CompareTarget.Value, value: Buffer.from(c.value) };
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
