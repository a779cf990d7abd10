/**
 * The read calls of the etcd store over node:http2 (see etcd-grpc.ts): Range, an empty Txn for
 * the revision, LeaseTimeToLive, Status, and signing in. With a user, reads carry etcd's token
 * as etcd3 would, and a token etcd has forgotten (expired, or auth turned off and on) is renewed.
 * Neither the password nor the token ever goes into an error.
 */
// Sync: three small files read once, and node:fs/promises would cost a cold start ~4 ms to load.
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { isInvalidToken } from './etcd-errors.js';
import { GrpcChannel, type TlsMaterial } from './etcd-grpc.js';
import type { EtcdOptions } from './etcd-options.js';
import * as wire from './etcd-wire.js';

/** The --cacert/--cert/--key files, read once for both clients. */
export async function readTlsFiles(options: EtcdOptions): Promise<TlsMaterial | undefined> {
  const tls = options.tls;
  if (!tls) return undefined;
  const read = async (file: string | undefined, what: string): Promise<Buffer | undefined> => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(
        `${what} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
  };
  const [ca, cert, key] = await Promise.all([
    read(tls.caFile, '--cacert'),
    read(tls.certFile, '--cert'),
    read(tls.keyFile, '--key'),
  ]);
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}

export class EtcdReads {
  private readonly channel: GrpcChannel;
  private token: Promise<string> | undefined;
  /**
   * Gets a reply's buffer back for the next reply once it is decoded (decoding copies what it
   * keeps). One function for every reply: a new one each time costs the decoder a deoptimization.
   */
  private readonly release = (buffer: Buffer): void => this.channel.release(buffer);

  constructor(
    endpoints: string[],
    tls: TlsMaterial | undefined,
    private readonly auth: EtcdOptions['auth'],
  ) {
    this.channel = new GrpcChannel(endpoints, tls);
  }

  /** Proves an endpoint answers (and, with a user, that etcd takes the password). */
  async reach(deadline: number): Promise<void> {
    if (this.auth) await this.signIn(deadline);
    else await this.channel.unary('/etcdserverpb.Maintenance/Status', Buffer.alloc(0), deadline);
  }

  async range(request: wire.RangeRequest, deadline: number): Promise<wire.RangeReply> {
    const reply = await this.call('KV/Range', wire.encodeRange(request), deadline);
    return wire.decodeRange(reply, this.release);
  }

  /** An empty txn is a linearizable read of the header that needs no permission on any key. */
  async revision(deadline: number): Promise<number> {
    return wire.decodeHeader(await this.call('KV/Txn', Buffer.alloc(0), deadline));
  }

  /** Seconds left, or -1 once the lease is gone. */
  async leaseTtl(id: string, deadline: number): Promise<number> {
    const reply = await this.call('Lease/LeaseTimeToLive', wire.encodeLeaseTimeToLive(id), deadline);
    return wire.decodeLeaseTtl(reply);
  }

  close(): void {
    this.channel.close();
  }

  private async call(method: string, message: Buffer, deadline: number): Promise<Buffer> {
    const path = `/etcdserverpb.${method}`;
    if (!this.auth) return this.channel.unary(path, message, deadline);
    const token = await (this.token ?? this.signIn(deadline));
    try {
      return await this.channel.unary(path, message, deadline, token);
    } catch (err) {
      if (!isInvalidToken(err)) throw err;
      return this.channel.unary(path, message, deadline, await this.signIn(deadline));
    }
  }

  private signIn(deadline: number): Promise<string> {
    const { username, password } = this.auth as { username: string; password: string };
    const request = wire.encodeAuthenticate(username, password);
    const token = this.channel
      .unary('/etcdserverpb.Auth/Authenticate', request, deadline)
      .then((reply) => wire.decodeToken(reply));
    // A failed sign-in is not kept: the next attempt signs in again.
    token.catch(() => {
      if (this.token === token) this.token = undefined;
    });
    this.token = token;
    return token;
  }
}
