/**
 * One unary gRPC call on a session: the request's stream, its reply's length-prefixed message
 * gathered into one buffer, its status from the trailers, and a timer at its deadline.
 */
import http2 from 'node:http2';
import { GrpcError, Status } from './errors.js';
import { callHeaders, frame, grpcMessage, transportError, type Session } from './session.js';

/** grpc-js's default, kept: it bounds a reply's memory, and a listing halves a request that exceeds it. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface UnaryCall {
  session: Session;
  /** The endpoint, for messages. */
  authority: string;
  method: string;
  message: Uint8Array;
  /** Epoch ms: the call fails with DeadlineExceeded then at the latest. */
  deadline: number;
  token: string | undefined;
  /** A buffer for a reply of `length` bytes. */
  buffer(length: number): Buffer;
  /** The deadline passed without a frame from the peer since the call began: frozen or gone. */
  silent(): void;
}

export function unaryCall(c: UnaryCall): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const { session } = c;
    const ms = Math.max(1, c.deadline - Date.now());
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.http2.request({ ...callHeaders(c.method, c.token), 'grpc-timeout': `${ms}m` });
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
      if (session.heard < started) c.silent();
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
        fail(new GrpcError(`HTTP status ${String(headers[':status'])} from ${c.authority}`, Status.Internal));
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
        body = c.buffer(length);
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
    stream.end(frame(c.message));
  });
}
