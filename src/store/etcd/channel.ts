/**
 * gRPC to etcd over node:http2: unary calls and bidirectional streams, carrying messages already
 * encoded (client.ts encodes them with the generated types in gen/). grpc-js (and etcd3 on top of
 * it) would cost ~200 ms of a ~120 ms start-up budget for `locate`; a gRPC call is one HTTP/2
 * stream of length-prefixed messages with a status in the trailers, which node:http2 does
 * natively. Keeps one session per endpoint and moves to the next endpoint when one fails; a
 * session that let a deadline pass without a frame is dropped, so the next call dials afresh
 * rather than queueing behind a frozen member.
 */
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { GrpcError, Status } from './errors.js';

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

interface Session {
  readonly http2: http2.ClientHttp2Session;
  /** Set once the connection (and TLS handshake) is up: a request may then have reached etcd. */
  connected: boolean;
  /** Why the session failed, for the streams it takes down with it. */
  error: Error | undefined;
  /** When a frame last arrived on it (ms): a deadline passed in silence means the peer is gone. */
  heard: number;
}

export interface StreamHandlers {
  message(message: Buffer): void;
  end(err: GrpcError | undefined): void;
}

export interface Duplex {
  send(message: Uint8Array): void;
  /** Ends the stream from our side; `end` is not called after this. */
  cancel(): void;
}

interface Endpoint {
  readonly authority: string;
  session: Session | undefined;
  /** Skipped until then after a failure (while another endpoint may answer), doubling up to 30 s. */
  skipUntil: number;
  backoff: number;
}

/** grpc-js's default, kept: it bounds a reply's memory, and a listing halves a request that exceeds it. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const FIRST_BACKOFF_MS = 500;
// Large windows let a 2 MB reply arrive without waiting for WINDOW_UPDATEs.
const WINDOW_BYTES = 16 * 1024 * 1024;

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
      const reply = await this.request(endpoint, method, message, deadline, token);
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
    const session = this.session(endpoint);
    const stream = session.http2.request({
      ':method': 'POST',
      ':path': method,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...(token !== undefined && { token }),
    });
    let ended = false;
    const end = (err: GrpcError | undefined): void => {
      if (ended) return;
      ended = true;
      if (err && err.code === undefined) this.demote(endpoint);
      handlers.end(err);
    };
    let status: http2.IncomingHttpHeaders = {};
    let pending: Buffer = Buffer.alloc(0);
    stream.on('response', (headers) => {
      session.heard = Date.now();
      status = headers;
    });
    stream.on('trailers', (trailers) => (status = trailers));
    stream.on('data', (chunk: Buffer) => {
      session.heard = Date.now();
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 5) {
        const length = pending.readUInt32BE(1);
        if (pending.length < 5 + length) break;
        const message = pending.subarray(5, 5 + length);
        pending = pending.subarray(5 + length);
        if (!ended) handlers.message(message);
      }
    });
    stream.on('error', (err) => end(transportError(session, err)));
    stream.on('close', () => {
      const code = Number(status['grpc-status'] ?? NaN);
      if (Number.isNaN(code)) end(transportError(session, undefined));
      else end(code === 0 ? undefined : new GrpcError(grpcMessage(status['grpc-message'], code), code));
    });
    return {
      send: (message) => {
        if (!ended && !stream.destroyed) stream.write(frame(message));
      },
      cancel: () => {
        ended = true;
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
      },
    };
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
    const open = e.session;
    if (open && !open.http2.closed && !open.http2.destroyed) return open;
    const secure = this.tls;
    const { hostname, port } = new URL(e.authority);
    const host = hostname.replace(/^\[(.*)\]$/, '$1');
    const options: http2.ClientSessionOptions = { settings: { initialWindowSize: WINDOW_BYTES } };
    // Our own TLS socket: node:http2 would send an IP address as the server name, which Node
    // warns about on every run; the certificate is still checked against the address.
    const servername = net.isIP(host) ? '' : host;
    if (secure)
      options.createConnection = () =>
        tls.connect({ host, port: Number(port), ...secure, ALPNProtocols: ['h2'], servername });
    const session: Session = {
      http2: http2.connect(e.authority, options),
      connected: false,
      error: undefined,
      heard: Date.now(),
    };
    e.session = session;
    session.http2.on('connect', () => {
      session.connected = true;
      if (!session.http2.destroyed) session.http2.setLocalWindowSize(WINDOW_BYTES);
    });
    session.http2.on('error', (err) => (session.error = err));
    // After a GOAWAY (a member shutting down) streams under way may finish; new ones need a new session.
    const drop = (): void => {
      if (e.session === session) e.session = undefined;
    };
    session.http2.on('goaway', drop);
    session.http2.on('close', drop);
    return session;
  }

  private request(
    e: Endpoint,
    method: string,
    message: Uint8Array,
    deadline: number,
    token: string | undefined,
  ): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const session = this.session(e);
      const ms = Math.max(1, deadline - Date.now());
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.http2.request({
          ':method': 'POST',
          ':path': method,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': `${ms}m`,
          ...(token !== undefined && { token }),
        });
      } catch (err) {
        // A session going away or gone: the request never left.
        return reject(new GrpcError((err as Error).message, undefined, false));
      }
      let settled = false;
      const fail = (err: GrpcError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(err);
      };
      const started = Date.now();
      const timer = setTimeout(() => {
        // Nothing at all from the peer since we asked: frozen or gone, so the next call dials anew.
        if (session.heard < started) this.drop(e, session);
        fail(new GrpcError('Deadline exceeded', Status.DeadlineExceeded, session.connected));
      }, ms);

      let body: Buffer | undefined;
      let received = 0;
      let header: Buffer = Buffer.alloc(0);
      let responded = false;
      // A trailers-only reply carries its status in the headers.
      let status: http2.IncomingHttpHeaders = {};
      stream.on('response', (headers) => {
        responded = true;
        session.heard = Date.now();
        status = headers;
        if (headers[':status'] !== 200)
          fail(
            new GrpcError(`HTTP status ${String(headers[':status'])} from ${e.authority}`, Status.Internal),
          );
      });
      stream.on('trailers', (trailers) => (status = trailers));
      stream.on('data', (chunk: Buffer) => {
        session.heard = Date.now();
        if (body === undefined) {
          // The 5-byte prefix (compressed flag, length) may arrive split; the length comes first.
          if (header.length > 0 || chunk.length < 5) header = Buffer.concat([header, chunk]);
          else header = chunk;
          if (header.length < 5) return;
          const length = header.readUInt32BE(1);
          if (length > MAX_MESSAGE_BYTES)
            return fail(
              new GrpcError(
                `received message larger than max (${length} vs. ${MAX_MESSAGE_BYTES})`,
                Status.ResourceExhausted,
              ),
            );
          body = this.buffer(length);
          chunk = header.subarray(5);
        }
        received += chunk.copy(body, received);
      });
      stream.on('end', () => {
        // Closed without a word: a TLS port meeting a plain connection, or a member going away.
        if (!responded) return fail(transportError(session, undefined));
        const code = Number(status['grpc-status'] ?? NaN);
        if (Number.isNaN(code)) return fail(new GrpcError('response without a gRPC status', Status.Internal));
        if (code !== 0) return fail(new GrpcError(grpcMessage(status['grpc-message'], code), code));
        if (!body || received !== body.length)
          return fail(new GrpcError('truncated response', Status.Internal));
        settled = true;
        clearTimeout(timer);
        resolve(body);
      });
      stream.on('error', (err) => fail(transportError(session, err)));
      stream.on('close', () => {
        if (!settled) fail(transportError(session, undefined));
      });
      stream.end(frame(message));
    });
  }
}

/** Sizes in steps of 1/8 of a power of two, so that a spare buffer fits the next reply of a listing. */
function roundUp(length: number): number {
  const step = Math.max(8192, 2 ** Math.ceil(Math.log2(Math.max(length, 1))) / 8);
  return Math.ceil(length / step) * step;
}

/** gRPC's length-prefixed message: a compressed flag (0) and the length, then the protobuf bytes. */
function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

function grpcMessage(raw: string | string[] | undefined, code: number): string {
  const text = Array.isArray(raw) ? raw.join(', ') : (raw ?? '');
  try {
    return decodeURIComponent(text) || `gRPC status ${code}`;
  } catch {
    return text;
  }
}

/** A stream's failure, by its cause: `connect ECONNREFUSED 127.0.0.1:1` rather than node's wrapping. */
function transportError(session: Session, streamError: Error | undefined): GrpcError {
  const text = (session.error ?? streamError)?.message ?? 'connection closed before an answer';
  const cause = /\(caused by: (.*)\)$/.exec(text)?.[1] ?? text;
  return new GrpcError(cause, undefined, session.connected);
}
