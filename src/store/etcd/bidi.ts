/**
 * A bidirectional gRPC stream on a session (Watch, LeaseKeepAlive): messages each way, no
 * deadline (its owner judges liveness by the replies it expects), ended once.
 */
import http2 from 'node:http2';
import { GrpcError } from './errors.js';
import { callHeaders, frame, grpcMessage, transportError, type Session } from './session.js';

export interface StreamHandlers {
  message(message: Buffer): void;
  end(err: GrpcError | undefined): void;
}

export interface Duplex {
  send(message: Uint8Array): void;
  /** Ends the stream from our side; `end` is not called after this. */
  cancel(): void;
}

/** `end` is called once, with the failure (undefined when etcd closed the stream with an OK status). */
export function bidiStream(
  session: Session,
  method: string,
  token: string | undefined,
  handlers: StreamHandlers,
): Duplex {
  const stream = session.http2.request(callHeaders(method, token));
  let ended = false;
  const end = (err: GrpcError | undefined): void => {
    if (ended) return;
    ended = true;
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
