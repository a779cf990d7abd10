import {
  DEFAULT_MAX_DELETE,
  deleteLimit,
  ExpireTotals,
  ExpirySelection,
  formatMaxDelete,
  type ExpireCriteria,
  type MaxDelete,
} from '../core/expire.js';
import {
  ExitCode,
  GuardError,
  InterruptedError,
  LockHeldError,
  PartialError,
  StoreError,
  StoreUnavailableError,
  UsageError,
} from '../core/errors.js';
import { formatTime, TimeRangePartitioner } from '../core/time.js';
import { parseTime } from '../core/time-input.js';
import { expireProgress, renderExpire, type ExpireReport, type Progress } from '../render/expire.js';
import { writeAudit } from '../store/audit.js';
import { acquireLock, currentHolder, waitForLock, type HeldLock } from '../store/lock.js';
import { PARTITION_PAGE, type Metadata } from '../store/metadata.js';
import { openMetadata, print, type Context } from './context.js';
import { deleteCandidates, parseValue } from './expire-delete.js';

/**
 * `expire`: retention cleanup for cron (PRODUCT.md §6). Takes the `expire` lock (a dry run takes
 * none), reads every partition at one revision keeping only what the deletes need, refuses before
 * deleting anything when the guard says so, then deletes in compare-and-swap batches (expire-delete.ts).
 */

export interface ExpireOptions {
  now?: string;
  retentionDays?: number;
  maxDelete?: MaxDelete;
  dryRun: boolean;
  /** Wait this long for another run's lock; default: exit 4 at once (cron runs again next time). */
  waitMs?: number;
}

// Renewed by a keep-alive while we run; a killed run blocks the next one for at most this long.
const LOCK_TTL_SECONDS = 30;

export async function expire(opts: ExpireOptions, ctx: Context): Promise<ExitCode> {
  const clock = ctx.clock();
  const nowMs = opts.now === undefined ? clock : parseTime(opts.now, clock, '--now');
  if (!opts.dryRun && nowMs > clock) {
    throw new UsageError(
      `--now '${opts.now}': after the clock (${formatTime(clock)}) would delete partitions still within retention; preview it with --dry-run`,
    );
  }
  const maxDelete = opts.maxDelete ?? DEFAULT_MAX_DELETE;
  const md = await openMetadata(ctx);
  const config = await md.requireConfig();
  const retentionDays = opts.retentionDays ?? config.retention_days;
  const criteria: ExpireCriteria = {
    granularityHours: config.granularity_hours,
    cutoffMs: new TimeRangePartitioner(config.granularity_hours, retentionDays).cutoff(nowMs),
  };
  const progress = await expireProgress(ctx.stderr, ctx.interactive && !ctx.quiet);
  const report: ExpireReport = {
    now: formatTime(nowMs),
    cutoff: formatTime(criteria.cutoffMs),
    retention_days: retentionDays,
    dry_run: opts.dryRun,
    partitions: 0,
    selected: 0,
    deleted: 0,
    bytes: 0,
    skipped: [],
    by_node: {},
    max_delete: formatMaxDelete(maxDelete),
    limit: 0,
    refused: false,
    failed: [],
    stopped: null,
    not_attempted: 0,
    outcome_unknown: 0,
  };
  let lock: HeldLock | undefined;
  try {
    if (!opts.dryRun) lock = await takeLock(md, opts.waitMs, ctx, progress);
    const selection = new ExpirySelection(criteria);
    const complete = await read(md, selection, progress, ctx.interrupt);
    const selected = selection.candidates.length;
    const limit = deleteLimit(maxDelete, selection.total);
    Object.assign(report, {
      partitions: selection.total,
      selected,
      skipped: selection.skipped,
      limit,
      refused: complete && selected > limit,
    });
    if (!complete) {
      Object.assign(report, { stopped: 'interrupted while reading', not_attempted: selected });
    } else if (!lock || report.refused) {
      const totals = new ExpireTotals();
      for (const c of selection.candidates) totals.add(c);
      Object.assign(report, { bytes: totals.bytes, by_node: totals.nodes() });
    } else {
      const done = await deleteCandidates(md, lock, selection, { progress, interrupt: ctx.interrupt });
      Object.assign(report, {
        deleted: done.totals.count,
        bytes: done.totals.bytes,
        by_node: done.totals.nodes(),
        skipped: [...selection.skipped, ...done.skipped],
        failed: done.failed,
        stopped: done.stopped,
        not_attempted: done.notAttempted,
        outcome_unknown: done.unknown,
      });
    }
    if (lock && report.stopped !== 'store unavailable') await audit(md, report, ctx);
  } catch (err) {
    // Each of these still prints the summary of what was done before it.
    if (err instanceof LockHeldError) report.stopped = 'lock held';
    else if (err instanceof StoreUnavailableError) {
      report.stopped = 'store unavailable';
      report.not_attempted = report.selected - report.deleted;
    } else if (lock) {
      const details = { now: formatTime(nowMs), error: err instanceof Error ? err.message : String(err) };
      await writeAudit(md, { command: 'expire', result: 'failed', details }, ctx.clock).catch(
        () => undefined,
      );
    }
    if (report.stopped) {
      progress.stop();
      await letGo(lock, report);
      lock = undefined;
      print(ctx, renderExpire(report, ctx.format, ctx));
    }
    throw err;
  } finally {
    progress.stop();
    await letGo(lock, report);
  }
  print(ctx, renderExpire(report, ctx.format, ctx));
  return outcome(report);
}

/**
 * Releases the lock, or, when the store stopped answering, abandons it: its lease then lapses by
 * its TTL, and waiting on a revoke that cannot get through would only delay the summary.
 */
async function letGo(lock: HeldLock | undefined, report: ExpireReport): Promise<void> {
  if (!lock) return;
  if (report.stopped === 'store unavailable') lock.abandon();
  else await lock.release().catch(() => undefined);
}

async function takeLock(
  md: Metadata,
  waitMs: number | undefined,
  ctx: Context,
  progress: Progress,
): Promise<HeldLock> {
  const key = md.layout.lock('expire');
  const holder = currentHolder('expire', ctx.clock);
  if (waitMs === undefined) return acquireLock(md.store, key, holder, LOCK_TTL_SECONDS, { clock: ctx.clock });
  progress.text(`waiting for the expire lock (up to ${Math.round(waitMs / 1000)} s)`);
  return waitForLock(md.store, key, holder, LOCK_TTL_SECONDS, { clock: ctx.clock, timeoutMs: waitMs });
}

/**
 * One paged pass at one revision; a value is parsed only when its id says it is expired. Resolves
 * false if interrupted before the end (then nothing may be deleted: the selection is partial).
 */
async function read(
  md: Metadata,
  selection: ExpirySelection,
  progress: Progress,
  interrupt: AbortSignal,
): Promise<boolean> {
  const prefix = md.layout.partitionsPrefix;
  for await (const page of md.store.range(prefix, { pageSize: PARTITION_PAGE })) {
    for (const kv of page) selection.add(kv.key.slice(prefix.length), kv.modRevision, () => parseValue(kv));
    progress.text(`reading partitions: ${selection.total}, ${selection.candidates.length} expired`);
    if (interrupt.aborted) return false;
  }
  return true;
}

async function audit(md: Metadata, r: ExpireReport, ctx: Context): Promise<void> {
  const result = r.refused
    ? 'refused'
    : r.stopped?.startsWith('interrupted')
      ? 'interrupted'
      : r.stopped || r.failed.length > 0
        ? 'partial'
        : 'ok';
  const { skipped, failed, by_node: _byNode, ...counts } = r;
  const details = { ...counts, skipped: skipped.length, failed: failed.length };
  await writeAudit(md, { command: 'expire', result, details }, ctx.clock);
}

/** The exit code, with the one line on stderr that says why when it is not 0 (the summary is out). */
function outcome(r: ExpireReport): ExitCode {
  if (r.refused && !r.dry_run) {
    throw new GuardError(
      `--max-delete ${r.max_delete}: refused to delete ${r.selected} of ${r.partitions} partitions (limit ${r.limit}); nothing was deleted; check --now and the retention, then raise it, e.g. --max-delete ${r.selected}`,
    );
  }
  if (r.stopped === 'interrupted while reading') {
    throw new InterruptedError(
      `interrupted while reading (${r.partitions} partitions read); nothing was deleted; the lock is released and expire can simply run again`,
    );
  }
  if (r.stopped === 'interrupted') {
    throw new InterruptedError(
      `interrupted after deleting ${r.deleted} of ${r.selected} partitions; the lock is released and expire can simply run again`,
    );
  }
  if (r.stopped === 'lock lost') {
    throw new PartialError(
      `lost the expire lock (its lease lapsed) after deleting ${r.deleted} of ${r.selected} partitions; stopped so two runs never delete at once; run expire again`,
    );
  }
  if (r.stopped === 'store unavailable') {
    const what = `the store stopped answering after deleting ${r.deleted} of ${r.selected} partitions${r.outcome_unknown ? ` (${r.outcome_unknown} more sent without an answer)` : ''}; the lock's lease lapses by itself; run expire again when the store is back`;
    throw r.deleted > 0 ? new PartialError(what) : new StoreError(what);
  }
  if (r.outcome_unknown > 0) {
    throw new PartialError(
      `${r.outcome_unknown} partition(s) were in deletes sent without an answer (deleted or not); the other ${r.deleted} were deleted; run expire again to settle them`,
    );
  }
  if (r.failed.length > 0) {
    throw new PartialError(
      `${r.failed.length} partition(s) could not be deleted (they kept changing under other writers); the other ${r.deleted} were; run expire again`,
    );
  }
  return ExitCode.Ok;
}
