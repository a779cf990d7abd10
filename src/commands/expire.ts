import {
  DEFAULT_MAX_DELETE,
  deleteLimit,
  ExpireTotals,
  ExpirySelection,
  formatMaxDelete,
  type ExpireCriteria,
  type MaxDelete,
} from '../core/expire.js';
import { ExitCode, GuardError, InterruptedError, PartialError, UsageError } from '../core/errors.js';
import { formatTime, TimeRangePartitioner } from '../core/time.js';
import { parseTime } from '../core/time-input.js';
import { expireProgress, renderExpire, type ExpireReport, type Progress } from '../render/expire.js';
import { writeAudit } from '../store/audit.js';
import { acquireLock, currentHolder, waitForLock, type HeldLock } from '../store/lock.js';
import { PARTITION_PAGE, type Metadata } from '../store/metadata.js';
import { openMetadata, print, type Context } from './context.js';
import { deleteCandidates, parseValue, watchInterrupt, type Interrupt } from './expire-delete.js';

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
  let lock: HeldLock | undefined;
  let interrupt: Interrupt | undefined;
  let report: ExpireReport;
  try {
    if (!opts.dryRun) {
      lock = await takeLock(md, opts.waitMs, ctx, progress);
      interrupt = watchInterrupt(ctx);
    }
    const selection = await read(md, criteria, progress, interrupt);
    const selected = selection.candidates.length;
    const limit = deleteLimit(maxDelete, selection.total);
    report = {
      now: formatTime(nowMs),
      cutoff: formatTime(criteria.cutoffMs),
      retention_days: retentionDays,
      dry_run: opts.dryRun,
      partitions: selection.total,
      selected,
      deleted: 0,
      bytes: 0,
      skipped: selection.skipped,
      by_node: {},
      max_delete: formatMaxDelete(maxDelete),
      limit,
      refused: selected > limit,
      failed: [],
      stopped: null,
      not_attempted: 0,
    };
    if (!lock || report.refused) {
      const totals = new ExpireTotals();
      for (const c of selection.candidates) totals.add(c);
      Object.assign(report, { bytes: totals.bytes, by_node: totals.nodes() });
    } else {
      const done = await deleteCandidates(md, lock, selection, { progress, interrupt });
      Object.assign(report, {
        deleted: done.totals.count,
        bytes: done.totals.bytes,
        by_node: done.totals.nodes(),
        skipped: [...selection.skipped, ...done.skipped],
        failed: done.failed,
        stopped: done.stopped,
        not_attempted: done.notAttempted,
      });
    }
    if (lock) await audit(md, report, ctx);
  } catch (err) {
    if (lock) {
      const result = err instanceof InterruptedError ? 'interrupted' : 'failed';
      const details = { now: formatTime(nowMs), error: err instanceof Error ? err.message : String(err) };
      await writeAudit(md, { command: 'expire', result, details }, ctx.clock).catch(() => undefined);
    }
    throw err;
  } finally {
    progress.stop();
    interrupt?.dispose();
    // If etcd is gone the lease lapses by itself within its ttl.
    await lock?.release().catch(() => undefined);
  }
  print(ctx, renderExpire(report, ctx.format, ctx));
  return outcome(report);
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

/** One paged pass at one revision; a value is parsed only when its id says it is expired. */
async function read(
  md: Metadata,
  criteria: ExpireCriteria,
  progress: Progress,
  interrupt: Interrupt | undefined,
): Promise<ExpirySelection> {
  const selection = new ExpirySelection(criteria);
  const prefix = md.layout.partitionsPrefix;
  for await (const page of md.store.range(prefix, { pageSize: PARTITION_PAGE })) {
    for (const kv of page) selection.add(kv.key.slice(prefix.length), kv.modRevision, () => parseValue(kv));
    progress.text(`reading partitions: ${selection.total}, ${selection.candidates.length} expired`);
    if (interrupt?.requested) throw new InterruptedError('interrupted while reading; nothing was deleted');
  }
  return selection;
}

async function audit(md: Metadata, r: ExpireReport, ctx: Context): Promise<void> {
  const result = r.refused
    ? 'refused'
    : r.stopped === 'interrupted'
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
  if (r.failed.length > 0) {
    throw new PartialError(
      `${r.failed.length} partition(s) could not be deleted (they kept changing under other writers); the other ${r.deleted} were; run expire again`,
    );
  }
  return ExitCode.Ok;
}
