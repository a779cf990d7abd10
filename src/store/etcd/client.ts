/**
 * The one etcd client: every call (KV, Lease, Auth, Maintenance, Watch) goes through here, over
 * node:http2 (channel.ts), with messages encoded and decoded by the code generated from etcd's
 * own .proto files (gen/, ts-proto). It owns:
 * - TLS material (read once), and sign-in: one Authenticate at a time, however many calls find
 *   the token expired (`invalid auth token`), each then retried once with the new token;
 * - deadlines: every call ends within the dial or command timeout, its attempts each under their
 *   own timer, so a dead, frozen or refusing cluster ends in one StoreError line;
 * - the retry rule: a read is retried (on the next endpoint) after any transient failure, a write
 *   only when it surely never left this process; a write sent without an answer fails with
 *   OutcomeUnknownError, for the caller to read back and settle.
 */
// Sync: three small files read once, and node:fs/promises would cost a cold start ~4 ms to load.
import { readFileSync } from 'node:fs';
import { OutcomeUnknownError, StoreError, StoreUnavailableError, UsageError } from '../../core/errors.js';
import { GrpcChannel, type Duplex, type StreamHandlers, type TlsMaterial } from './channel.js';
import {
  describeCause,
  failureMessage,
  isInvalidToken,
  isTlsFailure,
  isTransient,
  neverSent,
  plainHint,
  seconds,
  sleep,
  tlsHint,
  withTimer,
} from './errors.js';
import {
  AuthDefinition as Auth,
  MaintenanceDefinition as Maintenance,
  type DeepPartial,
} from './gen/etcd/etcdserver/etcdserverpb/rpc.js';
import type { EtcdOptions } from './options.js';
import { decode } from './reply.js';

/** A write is retried only when it surely never reached etcd; a read after any transient failure. */
export type Kind = 'read' | 'write';

/** A generated message's functions (ts-proto's `MessageFns`), as much of them as a call needs. */
export interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromPartial(object: DeepPartial<T>): T;
}

/** A generated service definition (ts-proto's generic definitions): the first half of a method's path. */
export interface Service {
  readonly fullName: string;
}

/** A method of a generated service definition, as much of it as a call needs. */
export interface Method<I, O> {
  readonly name: string;
  readonly requestType: Codec<I>;
  readonly responseType: Codec<O>;
}

const path = (service: Service, method: { name: string }): string => `/${service.fullName}/${method.name}`;

/** The --cacert/--cert/--key files, read once. */
export function readTlsFiles(options: EtcdOptions): TlsMaterial | undefined {
  const tls = options.tls;
  if (!tls) return undefined;
  const read = (file: string | undefined, what: string): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(
        `${what} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
  };
  const [ca, cert, key] = [
    read(tls.caFile, '--cacert'),
    read(tls.certFile, '--cert'),
    read(tls.keyFile, '--key'),
  ];
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
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

export class EtcdClient {
  readonly label: string;
  /** Authenticate calls made (tests check that an expired token costs one, not one per call). */
  signIns = 0;
  private readonly channel: GrpcChannel;
  private readonly budgets: { dial: number; command: number };
  private token: { promise: Promise<string>; value?: string } | undefined;
  private closed = false;
  /**
   * Gets a reply's buffer back for the next reply once it is decoded. One function for every
   * reply: a new one each time costs the decoder a deoptimization.
   */
  readonly release = (buffer: Buffer): void => this.channel.release(buffer);

  constructor(readonly options: EtcdOptions) {
    this.label = options.endpoints.join(',');
    this.budgets = attemptBudgets(options);
    this.channel = new GrpcChannel(options.endpoints, readTlsFiles(options));
  }

  /** Proves an endpoint answers (and, with a user, that etcd takes the password). */
  async reach(): Promise<void> {
    await this.call(
      'connect',
      'read',
      async (deadline) => {
        if (this.options.auth) await this.signIn(deadline).promise;
        else await this.unary(Maintenance, Maintenance.methods.status, {}, deadline);
      },
      'dial',
    );
  }

  /** One attempt of a unary call, typed by its generated method definition, carrying the token. */
  async unary<I, O>(
    service: Service,
    method: Method<I, O>,
    input: DeepPartial<I>,
    deadline: number,
  ): Promise<O> {
    const { requestType } = method;
    const reply = await this.raw(
      service,
      method,
      requestType.encode(requestType.fromPartial(input)).finish(),
      deadline,
    );
    return decode(method.responseType, reply);
  }

  /** One attempt of a unary call whose reply the caller decodes itself (a Range, decoded lazily). */
  async raw(
    service: Service,
    method: { name: string },
    message: Uint8Array,
    deadline: number,
  ): Promise<Buffer> {
    const to = path(service, method);
    if (!this.options.auth || service.fullName === Auth.fullName)
      return this.channel.unary(to, message, deadline);
    const token = await this.currentToken(deadline);
    try {
      return await this.channel.unary(to, message, deadline, token);
    } catch (err) {
      if (!isInvalidToken(err)) throw err;
      // etcd refused the token before doing anything, so even a write may be sent again.
      return this.channel.unary(to, message, deadline, await this.renewToken(token, deadline));
    }
  }

  /** A bidirectional stream (Watch, LeaseKeepAlive), signed in first when etcd wants a user. */
  async stream(service: Service, method: { name: string }, handlers: StreamHandlers): Promise<Duplex> {
    const token = this.options.auth
      ? await this.call('sign in', 'read', (d) => this.currentToken(d), 'dial')
      : undefined;
    return this.channel.stream(path(service, method), token, handlers);
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or the phase's timeout is spent; each
   * attempt carries a deadline and a timer of its own, so nothing waits past the timeout.
   */
  async call<T>(
    what: string,
    kind: Kind,
    attempt: (deadline: number) => Promise<T>,
    phase: 'dial' | 'command' = 'command',
  ): Promise<T> {
    if (this.closed) throw new StoreError(`etcd ${this.label} is closed; cannot ${what}`);
    const total = phase === 'dial' ? this.options.dialTimeoutMs : this.options.commandTimeoutMs;
    const end = Date.now() + total;
    let last: unknown;
    let sent = false;
    for (let n = 0; ; n++) {
      const ms = Math.min(end - Date.now(), this.budgets[phase]);
      if (ms <= 0) break;
      let err: unknown;
      try {
        return await withTimer(attempt(Date.now() + ms), ms + 100);
      } catch (e) {
        err = e;
      }
      if (this.closed) throw new StoreError(`etcd ${this.label} is closed; cannot ${what}`, { cause: err });
      const cause = describeCause(err);
      // An attempt cut short by the budget's end says less than an earlier refusal or close did:
      // keep that one for the message (a plain dial to a TLS port is closed, then times out).
      if (last === undefined || !cause.startsWith('no answer')) last = err;
      if (isTlsFailure(cause))
        throw new StoreError(`TLS handshake with etcd at ${this.label} failed: ${cause}${tlsHint(cause)}`, {
          cause: err,
        });
      const transient = isTransient(err);
      if (!neverSent(err)) sent = true;
      if (kind === 'write' && transient && !neverSent(err))
        throw new OutcomeUnknownError(
          `etcd at ${this.label} failed during ${what}: ${cause}; the write may or may not have been applied`,
          { cause: err },
        );
      if (!transient && !neverSent(err))
        throw new StoreError(failureMessage(this.label, what, this.options.auth?.username, err), {
          cause: err,
        });
      await sleep(Math.min(50 * 2 ** n, 250, end - Date.now()));
    }
    const cause = last === undefined ? '' : `: ${describeCause(last)}`;
    const Unavailable = kind === 'write' && sent ? OutcomeUnknownError : StoreUnavailableError;
    throw new Unavailable(
      phase === 'dial'
        ? `etcd at ${this.label} unreachable after ${seconds(total)} (dial timeout)${cause}${this.options.tls ? '' : plainHint(cause)}`
        : `etcd at ${this.label} did not answer ${what} within ${seconds(total)} (command timeout)${cause}`,
      { cause: last },
    );
  }

  close(): void {
    this.closed = true;
    this.channel.close();
  }

  private currentToken(deadline: number): Promise<string> {
    return (this.token ?? this.signIn(deadline)).promise;
  }

  /**
   * A new token, unless another call already replaced the one that failed: many calls in flight
   * when a token expires then share one Authenticate.
   */
  private async renewToken(failed: string, deadline: number): Promise<string> {
    const held = this.token;
    if (held && held.value !== failed) return held.promise;
    return this.signIn(deadline).promise;
  }

  private signIn(deadline: number): { promise: Promise<string>; value?: string } {
    const { username, password } = this.options.auth as { username: string; password: string };
    this.signIns++;
    const entry: { promise: Promise<string>; value?: string } = {
      promise: this.unary(Auth, Auth.methods.authenticate, { name: username, password }, deadline).then(
        (r) => {
          entry.value = r.token;
          return r.token;
        },
      ),
    };
    // A failed sign-in is not kept: the next attempt signs in again.
    entry.promise.catch(() => {
      if (this.token === entry) this.token = undefined;
    });
    this.token = entry;
    return entry;
  }
}
