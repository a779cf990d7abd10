/**
 * How the etcd client's failures read and which of them another attempt may cure, by gRPC status
 * code and etcd's message text. Neither the password nor the token is ever part of a message.
 */

/** gRPC status codes used here (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const Status = {
  DeadlineExceeded: 4,
  ResourceExhausted: 8,
  Internal: 13,
  Unavailable: 14,
} as const;

/**
 * A call that failed: with `code`, a gRPC status etcd answered; without, a transport failure.
 * `sent` is false when the request surely never reached etcd.
 */
export class GrpcError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
    readonly sent = true,
  ) {
    super(message);
  }
}

export const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Our own timer ran out on an attempt (a silent endpoint that does not even fail). */
export class AttemptTimeout extends Error {}

export function withTimer<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeout(`no answer within ${seconds(ms)}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** gRPC's multi-part messages reduced to their cause: `connect ECONNREFUSED 127.0.0.1:1`. */
export function describeCause(err: unknown): string {
  let text = err instanceof Error ? err.message : String(err);
  text = /Last error: ([\s\S]*?)(?:\.? Resolution note:[\s\S]*)?$/.exec(text)?.[1] ?? text;
  text = text
    .replace(/^(?:\w*Error: )?(?:\d+ [A-Z_]+: )?(?:etcdserver: )?/, '')
    .replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)/g, '');
  const ssl = /SSL routines:[^:]*:([^:]+)(?::|$)/.exec(text);
  if (ssl) text = ssl[1] as string;
  if (/Deadline exceeded|LB pick/.test(text)) text = 'no answer';
  return (text.split('\n')[0] ?? '').trim();
}

export const isTlsFailure = (cause: string): boolean =>
  /certificate|TLS|SSL|wrong version number/i.test(cause);

/** The request never left this process (no connection), so even a write can go to another endpoint. */
export const neverSent = (err: unknown): boolean => err instanceof GrpcError && !err.sent;

/** Codes another attempt may cure: Cancelled, Unknown, DeadlineExceeded, Aborted, Internal, Unavailable. */
const RECOVERABLE = new Set([1, 2, 4, 10, 13, 14]);

/**
 * Failures another try (or endpoint) may not have: timeouts, transport failures, an unavailable
 * or leaderless member. An oversized response is not one.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof AttemptTimeout) return true;
  if (err instanceof GrpcError) return err.code === undefined || RECOVERABLE.has(err.code);
  return false;
}

export const isTooBig = (err: unknown): boolean =>
  err instanceof GrpcError && err.code === Status.ResourceExhausted;

export const isInvalidToken = (err: unknown): boolean =>
  err instanceof GrpcError && /invalid auth token/.test(err.message);

/** The one line for a failure that is not a timeout; never contains the password or the token. */
export function failureMessage(label: string, what: string, user: string | undefined, err: unknown): string {
  const cause = describeCause(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  if (/authentication failed, invalid user ID or password/.test(cause))
    return `etcd at ${label} rejected user '${user}': wrong user name or password`;
  if (/user name is empty/.test(cause))
    return `etcd at ${label} requires authentication: pass --user NAME:PASSWORD (or OTLPCTL_USER)`;
  if (/permission denied/.test(cause) || code === 7)
    return `etcd at ${label} denied ${user ? `user '${user}'` : 'this client'} permission to ${what}`;
  return `etcd at ${label} could not ${what}: ${cause}`;
}

export function tlsHint(cause: string): string {
  if (/verify|self.signed|unknown ca/i.test(cause))
    return ' (is --cacert the CA that signed the server certificate?)';
  if (/bad certificate|certificate required/i.test(cause))
    return ' (the server wants a client certificate: --cert and --key)';
  if (/wrong version number|before secure TLS/i.test(cause))
    return ' (does the endpoint speak TLS? if not, use http:// or host:port)';
  return '';
}

/** A plain connection to a TLS port is closed or garbled by the server rather than refused. */
export function plainHint(cause: string): string {
  return /Failed to connect|Connection dropped|Protocol error|connection closed|socket hang up|ECONNRESET|GOAWAY/i.test(
    cause,
  )
    ? ' (if etcd serves TLS, use https:// endpoints and --cacert)'
    : '';
}
