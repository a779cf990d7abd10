/**
 * gRPC to etcd over node:http2: unary calls (unary.ts) and bidirectional streams (bidi.ts),
 * carrying messages already encoded (client.ts encodes them with the generated types in gen/).
 * grpc-js (and etcd3 on top of it) would cost ~200 ms of a ~120 ms start-up budget for `locate`;
 * a gRPC call is one HTTP/2 stream of length-prefixed messages with a status in the trailers,
 * which node:http2 does natively. This file keeps one session per endpoint (session.ts) and moves
 * to the next endpoint when one fails; a session that let a deadline pass without a frame is
 * dropped, so the next call dials afresh rather than queueing behind a frozen member.
 */
import { bidiStream, type Duplex, type StreamHandlers } from './bidi.js';
import { GrpcError, Status } from './errors.js';
import { isOpen, openSession, type Session, type TlsMaterial } from './session.js';
import { unaryCall } from './unary.js';

export type { Duplex, StreamHandlers } from './bidi.js';
export type { TlsMaterial } from './session.js';

interface Endpoint {
  readonly authority: string;
  session: Session | undefined;
  /** Skipped until then after a failure (while another endpoint may answer), doubling up to 30 s. */
  skipUntil: number;
  backoff: number;
}

const FIRST_BACKOFF_MS = 500;

export class GrpcChannel {
  private readonly endpoints: Endpoint[];
  /** Released reply buffers: fresh memory costs a page fault per 4 KiB on first touch (~4 ms/MiB here). */
  private readonly spare: Buffer[] = [];
  private current = 0;
  private closed = false;

  constructor(
    endpoints: string[],
    private readonly tls: TlsMaterial | undefined,
  ) {
    const scheme = tls ? 'https' : 'http';
    this.endpoints = endpoints.map((e) => ({
      authority: `${scheme}://${e.replace(/^https?:\/\//, '')}`,
      session: undefined,
      skipUntil: 0,
      backoff: FIRST_BACKOFF_MS,
    }));
  }

  /**
   * One unary call, `method` as `/etcdserverpb.KV/Range`, to the preferred endpoint. Rejects with a
   * GrpcError at `deadline` (epoch ms) at the latest; a transport failure or an unavailable
   * member moves the preference to the next endpoint, so the caller's retry goes elsewhere.
   */
  async unary(method: string, message: Uint8Array, deadline: number, token?: string): Promise<Buffer> {
    if (this.closed) throw new GrpcError('client closed', undefined, false);
    const endpoint = this.pick();
    try {
      const session = this.session(endpoint);
      const reply = await unaryCall({
        session,
        authority: endpoint.authority,
        method,
        message,
        deadline,
        token,
        buffer: (length) => this.buffer(length),
        silent: () => this.drop(endpoint, session),
      });
      endpoint.backoff = FIRST_BACKOFF_MS;
      return reply;
    } catch (err) {
      const code = (err as GrpcError).code;
      if (code === undefined || code === Status.Unavailable || code === Status.DeadlineExceeded)
        this.demote(endpoint);
      throw err;
    }
  }

  /** Hands a reply's buffer back once it has been decoded (nothing may refer to it any more). */
  release(reply: Buffer): void {
    if (reply.byteOffset !== 0 || reply.buffer.byteLength < 65_536 || this.spare.length >= 4) return;
    this.spare.push(Buffer.from(reply.buffer, 0, reply.buffer.byteLength));
  }

  private buffer(length: number): Buffer {
    if (length < 65_536) return Buffer.allocUnsafe(length);
    const i = this.spare.findIndex((b) => b.length >= length);
    const whole = i >= 0 ? (this.spare.splice(i, 1)[0] as Buffer) : Buffer.allocUnsafeSlow(roundUp(length));
    return whole.subarray(0, length);
  }

  close(): void {
    this.closed = true;
    for (const e of this.endpoints) e.session?.http2.destroy();
  }

  /**
   * A bidirectional stream (Watch, LeaseKeepAlive) on the preferred endpoint. It has no deadline:
   * its owner judges liveness by the replies it expects, and `cancel`s it. `end` is called once,
   * with the failure (undefined when etcd closed the stream with an OK status).
   */
  stream(method: string, token: string | undefined, handlers: StreamHandlers): Duplex {
    if (this.closed) throw new GrpcError('client closed', undefined, false);
    const endpoint = this.pick();
    return bidiStream(this.session(endpoint), method, token, {
      message: (m) => handlers.message(m),
      end: (err) => {
        if (err && err.code === undefined) this.demote(endpoint);
        handlers.end(err);
      },
    });
  }

  /** Takes a failing endpoint out of the rotation for a while, so retries go to the others. */
  private demote(endpoint: Endpoint): void {
    endpoint.skipUntil = Date.now() + endpoint.backoff;
    endpoint.backoff = Math.min(endpoint.backoff * 2, 30_000);
    this.current = (this.endpoints.indexOf(endpoint) + 1) % this.endpoints.length;
  }

  /** Forgets a session whose peer went silent; its streams fail with it. */
  private drop(e: Endpoint, session: Session): void {
    if (e.session === session) e.session = undefined;
    session.error ??= new Error('no answer');
    session.http2.destroy();
  }

  private pick(): Endpoint {
    const now = Date.now();
    const n = this.endpoints.length;
    for (let k = 0; k < n; k++) {
      const i = (this.current + k) % n;
      if ((this.endpoints[i] as Endpoint).skipUntil <= now) {
        this.current = i;
        return this.endpoints[i] as Endpoint;
      }
    }
    // Every endpoint failed lately: try the one that has rested longest.
    return this.endpoints.reduce((a, b) => (b.skipUntil < a.skipUntil ? b : a));
  }

  private session(e: Endpoint): Session {
    if (isOpen(e.session)) return e.session;
    const session: Session = openSession(e.authority, this.tls, () => {
      if (e.session === session) e.session = undefined;
    });
    e.session = session;
    return session;
  }
}

/** Sizes in steps of 1/8 of a power of two, so that a spare buffer fits the next reply of a listing. */
function roundUp(length: number): number {
  const step = Math.max(8192, 2 ** Math.ceil(Math.log2(Math.max(length, 1))) / 8);
  return Math.ceil(length / step) * step;
}
