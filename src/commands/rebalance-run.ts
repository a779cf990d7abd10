import { ExitCode, PreconditionError, type StoreUnavailableError } from '../core/errors.js';
import type { RebalancePlan } from '../core/rebalance/index.js';
import { formatTime } from '../core/time.js';
import type { RunReport } from '../render/rebalance.js';
import type { HeldLock } from '../store/lock.js';
import type { Context } from './context.js';
import { emptyResult, execute, groupMoves } from './rebalance-exec.js';
import { FINISHED, type RebalanceStore, type RunStatus } from './rebalance-journal.js';
import { audit, holderName } from './rebalance-session.js';
import type { ExecResult } from './rebalance-types.js';

/**
 * Carrying out a plan under the `rebalance` lock, for `rebalance apply|resume` and each round of
 * `rebalance auto` alike: the plan stored with its journal, the moves (rebalance-exec.ts), the
 * journal's final status and the audit record. Printing is the caller's: apply prints a summary,
 * auto one JSON line.
 */

export interface RunOptions {
  maxConcurrent?: number;
  maxBytesPerSec?: number;
  reason?: string;
  /** Seconds the lock outlives a crashed holder. */
  lockTtl?: number;
  /** --wait: milliseconds to wait for the lock's holder to let go (default: exit 4 at once). */
  waitMs?: number;
}

export interface RunOutcome {
  report: RunReport;
  /** Set when the store stopped answering: the lock is abandoned, the move records are the journal. */
  unavailable?: StoreUnavailableError;
  interrupted: boolean;
  unfinished: number;
  code: ExitCode;
}

/** Stores the plan and its journal, or checks the stored one is the same plan; false: applied before. */
export async function beginPlan(
  rs: RebalanceStore,
  lock: HeldLock,
  plan: RebalancePlan,
  reason: string | undefined,
  ctx: Context,
): Promise<boolean> {
  const existing = await rs.journal(plan.id);
  if (existing) {
    if (existing.value.checksum !== plan.checksum)
      throw new PreconditionError(
        `a different plan with id ${plan.id} is already in the store; make a new plan`,
      );
    if (existing.value.status === 'cancelled')
      throw new PreconditionError(`plan ${plan.id} was cancelled; make a new plan`);
    return false;
  }
  const started = formatTime(ctx.clock());
  await rs.savePlan(
    plan,
    {
      plan_id: plan.id,
      checksum: plan.checksum,
      status: 'running',
      chunks: 0,
      partitions: groupMoves(plan).length,
      moves: plan.moves.length,
      bytes: plan.bytes_moved,
      started_at: started,
      updated_at: started,
      by: holderName(lock),
      ...(reason !== undefined && { reason }),
    },
    lock.ownership,
  );
  return true;
}

export async function carryOut(
  rs: RebalanceStore,
  lock: HeldLock,
  plan: RebalancePlan,
  opts: RunOptions,
  ctx: Context,
  mode: 'apply' | 'resume' | 'auto',
  onProgress?: (r: ExecResult) => void,
): Promise<RunOutcome> {
  const config = await rs.md.requireConfig();
  await rs.updateJournal(
    plan.id,
    { status: 'running', updated_at: formatTime(ctx.clock()), by: holderName(lock) },
    lock.ownership,
  );
  const control = { interrupt: ctx.interrupt, stopping: false };
  // A lease seen lost starts no more moves (and the steps check it before each write).
  const watch = setInterval(() => lock.lost() && (control.stopping = true), 100);
  let result: Awaited<ReturnType<typeof execute>>;
  try {
    result = await execute(rs, lock, plan, {
      maxConcurrent: opts.maxConcurrent ?? config.max_concurrent_migrations,
      maxBytesPerSec: opts.maxBytesPerSec,
      clock: ctx.clock,
      control,
      onProgress,
    });
  } catch (e) {
    if (!lock.lost()) {
      await rs
        .updateJournal(plan.id, { status: 'failed', updated_at: formatTime(ctx.clock()) }, lock.ownership)
        .catch(() => undefined);
      await audit(rs.md, mode, opts.reason, 'failed', { plan_id: plan.id, error: (e as Error).message }, ctx);
    }
    throw e;
  } finally {
    clearInterval(watch);
  }
  const { unavailable, ...counts } = result;
  const interrupted = ctx.interrupt.aborted;
  const unfinished =
    counts.not_started + counts.migrating.length + counts.failed.length + counts.unknown.length;
  const status: RunStatus =
    unavailable || (unfinished > 0 && !interrupted)
      ? 'failed'
      : unfinished > 0
        ? 'interrupted'
        : counts.skipped.length
          ? 'partial'
          : 'done';
  const report: RunReport = { plan_id: plan.id, status, ...counts };
  if (unavailable) {
    // Nothing gets through to the store now: the move records are the journal (each step wrote
    // its own); the rest is for `resume`.
    lock.abandon();
    return {
      report,
      unavailable,
      interrupted,
      unfinished,
      code: counts.done > 0 ? ExitCode.Partial : ExitCode.Error,
    };
  }
  const at = formatTime(ctx.clock());
  await rs.updateJournal(
    plan.id,
    { status, updated_at: at, ...(FINISHED.includes(status) && { finished_at: at }) },
    lock.ownership,
  );
  await audit(
    rs.md,
    mode,
    opts.reason,
    status === 'done'
      ? 'ok'
      : status === 'partial'
        ? 'partial'
        : status === 'interrupted'
          ? 'interrupted'
          : 'failed',
    {
      plan_id: plan.id,
      done: counts.done,
      skipped: counts.skipped.length,
      failed: counts.failed.length,
      bytes: counts.bytes_done,
    },
    ctx,
  );
  const code =
    interrupted && unfinished > 0
      ? ExitCode.Interrupted
      : counts.failed.length
        ? ExitCode.Partial
        : counts.skipped.some((s) => s.stale)
          ? ExitCode.Precondition
          : ExitCode.Ok;
  return { report, interrupted, unfinished, code };
}

export function emptyReport(planId: string | null, status: RunStatus): RunReport {
  return { plan_id: planId, status, ...emptyResult(0) };
}
