import { ExitCode, LockHeldError, OtlpctlError, PartialError, UsageError } from '../core/errors.js';
import { formatTime } from '../core/time.js';
import { autoLine, type AutoEvent } from '../render/auto.js';
import { campaign } from '../store/election.js';
import { currentHolder, sleep, stillHeld, type HeldLock } from '../store/lock.js';
import type { Metadata } from '../store/metadata.js';
import { openMetadata, type Context } from './context.js';
import { autoRound, type RoundOptions, type RoundState } from './rebalance-auto-round.js';
import { DEFAULT_LOCK_TTL } from './rebalance-session.js';

/**
 * `rebalance auto`: the seed's background rebalancer as a service. The instance that holds the
 * `rebalance` lock is the active one and keeps it (one lease, kept alive) across rounds; the
 * others wait for it (store/election.ts) and take over within the lease TTL of its death. Each
 * round is `plan` + `apply` (rebalance-auto-round.ts). Store errors are logged and retried with
 * backoff, never fatal; the first signal ends the round's steps in flight, releases the lock and
 * exits 0 (stopped by a supervisor is a success). stdout carries one JSON line per event, only.
 */

export interface AutoOptions extends RoundOptions {
  /** Milliseconds between round starts (the seed's check_interval: 5 minutes). */
  interval?: number;
  lockTtl?: number;
}

export const DEFAULT_INTERVAL_MS = 5 * 60_000;
const BACKOFF_MS = [1000, 30_000] as const;
// How often a waiting active instance looks at its lease between rounds.
const LEASE_CHECK_MS = 250;

export async function rebalanceAuto(opts: AutoOptions, ctx: Context): Promise<ExitCode> {
  if (opts.replaceDownAfter !== undefined && opts.replaceDownAfter <= 0)
    throw new UsageError(`--replace-down-after: expected a positive duration such as 30m`);
  const me = currentHolder('rebalance auto', ctx.clock);
  const instance = `${me.holder}:${me.pid}`;
  const signal = ctx.interrupt;
  const interval = opts.interval ?? DEFAULT_INTERVAL_MS;
  const ttl = opts.lockTtl ?? DEFAULT_LOCK_TTL;
  const state: RoundState = { tried: new Set(), downSince: new Map() };
  let lock: HeldLock | undefined;
  /** A lock this instance lost track of: its lease is revoked as soon as the store answers. */
  let stale: HeldLock | undefined;
  let md: Metadata | undefined;
  let failures = 0;
  let nextRound = 0;
  const emit = (e: Omit<AutoEvent, 'time' | 'instance' | 'active'> & { active?: boolean }): void => {
    ctx.stdout.write(autoLine({ time: formatTime(ctx.clock()), instance, active: lock !== undefined, ...e }));
  };
  const letGo = (why: string): void => {
    emit({ event: 'lost', active: false, message: why });
    stale = lock;
    lock = undefined;
  };

  try {
    while (!signal.aborted) {
      try {
        md ??= await openMetadata(ctx);
        if (stale) {
          await stale.lease.revoke();
          stale = undefined;
        }
        if (!lock && !opts.dryRun) {
          lock = await campaign(
            md.store,
            md.layout.lock('rebalance'),
            { ...me, acquired_at: formatTime(ctx.clock()) },
            ttl,
            {
              signal,
              clock: ctx.clock,
              onStandby: (held: LockHeldError) =>
                emit({
                  event: 'standby',
                  active: false,
                  ...(held.heldBy && { holder: `${held.heldBy.holder}:${held.heldBy.pid}` }),
                  message: held.message,
                }),
            },
          );
          if (!lock) break;
          emit({ event: 'active', message: `holds the 'rebalance' lock (lease ${ttl}s)` });
          nextRound = 0;
        }
        if (lock && !(await stillHeld(md.store, lock))) {
          letGo("the 'rebalance' lock is no longer this instance's (its lease expired)");
          continue;
        }
        if (signal.aborted) break; // took the lock as the signal came: no round to start
        const started = Date.now();
        nextRound = started + interval;
        const r = await autoRound(md, lock, opts, state, ctx);
        emit({ event: 'round', ...r, duration_ms: Date.now() - started });
        failures = 0;
      } catch (e) {
        // Bad flags or no store configured end it (exit 2); a bad stored value is logged like any error.
        if (!(e instanceof OtlpctlError) || (e instanceof UsageError && !md)) throw e;
        if (lock?.lost() || (e instanceof PartialError && /lost the/.test(e.message))) {
          letGo(e.message);
          continue;
        }
        emit({ event: 'error', outcome: 'error', message: e.message });
        // Backoff: 1 s, 2 s, 4 s … 30 s; the lock, if still held, stays kept alive meanwhile.
        await sleep(Math.min(BACKOFF_MS[0] * 2 ** failures++, BACKOFF_MS[1]), signal);
        continue;
      }
      // Wait for the next round, watching the lease: an instance that lost it stops at once.
      while (!signal.aborted && Date.now() < nextRound && !lock?.lost())
        await sleep(Math.min(LEASE_CHECK_MS, nextRound - Date.now()), signal);
      if (lock?.lost()) letGo("lost the 'rebalance' lock (its lease expired or could not be renewed)");
    }
  } finally {
    await lock?.release().catch(() => undefined);
  }
  emit({ event: 'stopped', active: false, message: 'signal: steps in flight finished, lock released' });
  return ExitCode.Ok;
}
