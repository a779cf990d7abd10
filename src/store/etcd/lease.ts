/**
 * A granted lease, kept alive over one LeaseKeepAlive stream: a keep-alive every third of the TTL,
 * the stream opened again (after a pause) when it fails. Nothing here waits on anything: when etcd
 * is gone the keep-alives simply stop arriving and the lease expires by its TTL, which is what
 * "abandon" means for a lock whose holder can no longer reach etcd.
 *
 * `expired` is what a holder reads before it writes: true once etcd said the lease is gone, or once
 * no keep-alive was answered for a whole TTL (counted from when the last answered one was sent, so
 * never later than etcd's own expiry) — past that point another process may hold what it guarded.
 */
import type { Lease } from '../contract.js';
import type { Duplex } from './channel.js';
import type { EtcdClient } from './client.js';
import {
  LeaseDefinition as LeaseService,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
} from './gen/etcd/etcdserver/etcdserverpb/rpc.js';
import { decode } from './reply.js';

const REOPEN_MS = 500;

export class KeptLease implements Lease {
  /** Set once etcd answered a keep-alive with TTL 0: the lease is gone. */
  private gone = false;
  /** Until when etcd surely keeps the lease: the send time of the last answered keep-alive + its TTL. */
  private confirmedUntil: number;
  /** Send times of the keep-alives not answered yet, oldest first (etcd answers in order). */
  private readonly sent: number[] = [];
  private stream: Duplex | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly request: Uint8Array;

  constructor(
    private readonly client: EtcdClient,
    readonly id: string,
    readonly ttlSeconds: number,
    private readonly onStop: () => void,
  ) {
    // Granted just before: its TTL started no later than now.
    this.confirmedUntil = Date.now() + ttlSeconds * 1000;
    this.request = LeaseKeepAliveRequest.encode(
      LeaseKeepAliveRequest.fromPartial({ ID: BigInt(id) }),
    ).finish();
    this.schedule(Math.max(250, (ttlSeconds * 1000) / 3));
  }

  get expired(): boolean {
    return this.gone || Date.now() >= this.confirmedUntil;
  }

  /** Stops keeping it alive and revokes it, deleting every key attached to it. */
  async revoke(): Promise<void> {
    this.abandon();
    // Revoking twice is harmless (the second finds no lease), so it counts as a read for retries.
    await this.client
      .call(`revoke lease ${this.id}`, 'read', (d) =>
        this.client.unary(LeaseService, LeaseService.methods.leaseRevoke, { ID: BigInt(this.id) }, d),
      )
      .catch((err: unknown) => {
        if (!/requested lease not found/.test(String((err as Error).message))) throw err;
      });
  }

  /** Stops the keep-alives without a word to etcd: the lease lapses by its TTL. */
  abandon(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.stream?.cancel();
    this.stream = undefined;
    this.onStop();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), ms);
    // A forgotten lease must not keep the process alive; the CLI closes the store at the end.
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const interval = Math.max(250, (this.ttlSeconds * 1000) / 3);
    try {
      this.stream ??= await this.client.stream(LeaseService, LeaseService.methods.leaseKeepAlive, {
        message: (m) => {
          const ttl = decode(LeaseKeepAliveResponse, m).TTL;
          const at = this.sent.shift();
          if (ttl <= 0n) {
            this.gone = true;
            this.abandon();
          } else if (at !== undefined) {
            this.confirmedUntil = Math.max(this.confirmedUntil, at + Number(ttl) * 1000);
          }
        },
        end: () => {
          this.stream = undefined;
          this.sent.length = 0;
        },
      });
      if (this.stopped) this.stream.cancel();
      else {
        this.sent.push(Date.now());
        this.stream.send(this.request);
      }
      this.schedule(interval);
    } catch {
      this.stream = undefined;
      this.schedule(Math.min(REOPEN_MS, interval));
    }
  }
}
