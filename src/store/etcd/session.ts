/**
 * One HTTP/2 session to an etcd endpoint, as channel.ts keeps them: its state (connected yet,
 * why it failed, when a frame last arrived) and how a failure on it reads.
 */
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { GrpcError } from './errors.js';

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface Session {
  readonly http2: http2.ClientHttp2Session;
  /** Set once the connection (and TLS handshake) is up: a request may then have reached etcd. */
  connected: boolean;
  /** Why the session failed, for the streams it takes down with it. */
  error: Error | undefined;
  /** When a frame last arrived on it (ms): a deadline passed in silence means the peer is gone. */
  heard: number;
}

// Large windows let a 2 MB reply arrive without waiting for WINDOW_UPDATEs.
const WINDOW_BYTES = 16 * 1024 * 1024;

/** A new session to `authority` (`http://host:port` or `https://…`); `gone` runs once it may not take new streams. */
export function openSession(authority: string, secure: TlsMaterial | undefined, gone: () => void): Session {
  const { hostname, port } = new URL(authority);
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  const options: http2.ClientSessionOptions = { settings: { initialWindowSize: WINDOW_BYTES } };
  // Our own TLS socket: node:http2 would send an IP address as the server name, which Node
  // warns about on every run; the certificate is still checked against the address.
  const servername = net.isIP(host) ? '' : host;
  if (secure)
    options.createConnection = () =>
      tls.connect({ host, port: Number(port), ...secure, ALPNProtocols: ['h2'], servername });
  const session: Session = {
    http2: http2.connect(authority, options),
    connected: false,
    error: undefined,
    heard: Date.now(),
  };
  session.http2.on('connect', () => {
    session.connected = true;
    if (!session.http2.destroyed) session.http2.setLocalWindowSize(WINDOW_BYTES);
  });
  session.http2.on('error', (err) => (session.error = err));
  // After a GOAWAY (a member shutting down) streams under way may finish; new ones need a new session.
  session.http2.on('goaway', gone);
  session.http2.on('close', gone);
  return session;
}

export function isOpen(session: Session | undefined): session is Session {
  return session !== undefined && !session.http2.closed && !session.http2.destroyed;
}

/** A stream's failure, by its cause: `connect ECONNREFUSED 127.0.0.1:1` rather than node's wrapping. */
export function transportError(session: Session, streamError: Error | undefined): GrpcError {
  const text = (session.error ?? streamError)?.message ?? 'connection closed before an answer';
  const cause = /\(caused by: (.*)\)$/.exec(text)?.[1] ?? text;
  return new GrpcError(cause, undefined, session.connected);
}

/** The headers of a gRPC call on etcd (the token when signed in). */
export function callHeaders(method: string, token: string | undefined): http2.OutgoingHttpHeaders {
  return {
    ':method': 'POST',
    ':path': method,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...(token !== undefined && { token }),
  };
}

/** gRPC's length-prefixed message: a compressed flag (0) and the length, then the protobuf bytes. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

export function grpcMessage(raw: string | string[] | undefined, code: number): string {
  const text = Array.isArray(raw) ? raw.join(', ') : (raw ?? '');
  try {
    return decodeURIComponent(text) || `gRPC status ${code}`;
  } catch {
    return text;
  }
}
