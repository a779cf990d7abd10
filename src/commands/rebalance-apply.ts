import { readFile } from 'node:fs/promises';
import { ExitCode, PreconditionError, UsageError } from '../core/errors.js';
import { configHash, parsePlan, type RebalancePlan } from '../core/rebalance/index.js';
import { formatTime } from '../core/time.js';
import { redraw } from '../render/output.js';
import { progressLine, renderRun, type RunReport } from '../render/rebalance.js';
import type { HeldLock } from '../store/lock.js';
import { note, openMetadata, print, type Context } from './context.js';
import { execute, groupMoves } from './rebalance-exec.js';
import { FINISHED, RebalanceStore, type RunStatus } from './rebalance-journal.js';
import { audit, confirm, holderName, underLock } from './rebalance-session.js';

/**
 * `rebalance apply PLAN` and `rebalance resume [ID]`: verify, confirm, take the `rebalance` lock,
 * store the plan, and carry it out (rebalance-exec.ts), leaving a journal that `status`, `resume`
 * and `cancel` read. Ctrl-C (ctx.interrupt) starts no more moves, finishes the steps in flight,
 * saves the journal and releases the lock (exit 130). A store that stops answering ends the run
 * within its timeouts: the summary says what is known, the lock is abandoned, exit 1 or 6.
 */

export interface RunOptions {
  maxConcurrent?: number;
  maxBytesPerSec?: number;
  reason?: string;
  /** Seconds the lock outlives a crashed holder. */
  lockTtl?: number;
}

export async function rebalanceApply(
  opts: RunOptions & { file: string; yes: boolean },
  ctx: Context,
): Promise<ExitCode> {
  let text: string;
  try {
    text = await readFile(opts.file, 'utf8');
  } catch (e) {
    throw new UsageError(
      `plan file '${opts.file}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  const plan = parsePlan(text, `plan file ${opts.file}`);
  if (plan.prefix !== ctx.layout.prefix)
    throw new PreconditionError(
      `plan ${plan.id} was made for prefix ${plan.prefix}, not ${ctx.layout.prefix}`,
    );
  const md = await openMetadata(ctx);
  if (configHash(await md.requireConfig()) !== plan.config_hash)
    throw new PreconditionError(
      `plan ${plan.id}: the cluster configuration changed since the plan was made; make a new plan`,
    );
  if (plan.moves.length === 0) {
    note(ctx, `plan ${plan.id} has no moves: nothing to do`);
    print(ctx, renderRun(emptyReport(plan.id, 'done'), ctx.format, ctx));
    return ExitCode.Ok;
  }
  await confirm(plan, opts.yes, ctx);
  return underLock(md, ctx, 'rebalance apply', opts.lockTtl, async (lock, rs) => {
    const existing = await rs.journal(plan.id);
    if (!existing) {
      const started = formatTime(ctx.clock());
      const groups = groupMoves(plan);
      await rs.savePlan(
        plan,
        {
          plan_id: plan.id,
          checksum: plan.checksum,
          status: 'running',
          chunks: 0,
          partitions: groups.length,
          moves: plan.moves.length,
          bytes: plan.bytes_moved,
          started_at: started,
          updated_at: started,
          by: holderName(lock),
          ...(opts.reason !== undefined && { reason: opts.reason }),
        },
        lock.ownership,
      );
    } else if (existing.value.checksum !== plan.checksum) {
      throw new PreconditionError(
        `a different plan with id ${plan.id} is already in the store; make a new plan`,
      );
    } else if (existing.value.status === 'cancelled') {
      throw new PreconditionError(`plan ${plan.id} was cancelled; make a new plan`);
    } else {
      note(ctx, `plan ${plan.id} was applied before (${existing.value.status}): continuing from its journal`);
    }
    return run(rs, lock, plan, opts, ctx, 'apply');
  });
}

export async function rebalanceResume(
  opts: RunOptions & { planId?: string },
  ctx: Context,
): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const rs = new RebalanceStore(md);
  const picked = await rs.pick(opts.planId, false);
  if (!picked) {
    note(ctx, 'no unfinished rebalance in the store: nothing to resume');
    print(ctx, renderRun(emptyReport(null, 'done'), ctx.format, ctx));
    return ExitCode.Ok;
  }
  return underLock(md, ctx, 'rebalance resume', opts.lockTtl, async (lock) => {
    const j = (await rs.journal(picked.plan_id))!.value;
    if (j.status === 'cancelled')
      throw new PreconditionError(`plan ${j.plan_id} was cancelled; make a new plan`);
    const plan = await rs.loadPlan(j.plan_id, j);
    if (FINISHED.includes(j.status)) note(ctx, `plan ${j.plan_id} already finished (${j.status})`);
    return run(rs, lock, plan, opts, ctx, 'resume');
  });
}

async function run(
  rs: RebalanceStore,
  lock: HeldLock,
  plan: RebalancePlan,
  opts: RunOptions,
  ctx: Context,
  mode: 'apply' | 'resume',
): Promise<ExitCode> {
  const config = await rs.md.requireConfig();
  await rs.updateJournal(
    plan.id,
    { status: 'running', updated_at: formatTime(ctx.clock()), by: holderName(lock) },
    lock.ownership,
  );
  const progress = ctx.interactive && !ctx.quiet;
  let last = 0;
  let result: Awaited<ReturnType<typeof execute>>;
  try {
    result = await execute(rs, lock, plan, {
      maxConcurrent: opts.maxConcurrent ?? config.max_concurrent_migrations,
      maxBytesPerSec: opts.maxBytesPerSec,
      clock: ctx.clock,
      control: { interrupt: ctx.interrupt, stopping: false },
      onProgress: (r) => {
        if (!progress || Date.now() - last < 100) return;
        last = Date.now();
        ctx.stderr.write(redraw(progressLine(r, plan)));
      },
    });
  } catch (e) {
    await rs
      .updateJournal(plan.id, { status: 'failed', updated_at: formatTime(ctx.clock()) }, lock.ownership)
      .catch(() => undefined);
    await audit(rs.md, mode, opts.reason, 'failed', { plan_id: plan.id, error: (e as Error).message }, ctx);
    throw e;
  }
  const { unavailable, ...counts } = result;
  if (progress) ctx.stderr.write(`${redraw(progressLine(counts, plan))}\n`);
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
    // its own), so say what is known and leave the rest to `resume`.
    lock.abandon();
    print(ctx, renderRun(report, ctx.format, ctx));
    ctx.stderr.write(
      `otlpctl: ${unavailable.message}; stopped: ${counts.done} partition(s) done, ${counts.migrating.length} left Migrating, ${counts.unknown.length} with an unknown outcome, ${counts.not_started} not started; when etcd is back run 'otlpctl rebalance resume ${plan.id}' (it reads each back; nothing is applied twice)\n`,
    );
    return counts.done > 0 ? ExitCode.Partial : ExitCode.Error;
  }
  const at = formatTime(ctx.clock());
  await rs.updateJournal(
    plan.id,
    { status, updated_at: at, ...(FINISHED.includes(status) && { finished_at: at }) },
    lock.ownership,
  );
  const auditResult =
    status === 'done'
      ? 'ok'
      : status === 'partial'
        ? 'partial'
        : status === 'interrupted'
          ? 'interrupted'
          : 'failed';
  await audit(
    rs.md,
    mode,
    opts.reason,
    auditResult,
    {
      plan_id: plan.id,
      done: counts.done,
      skipped: counts.skipped.length,
      failed: counts.failed.length,
      bytes: counts.bytes_done,
    },
    ctx,
  );
  print(ctx, renderRun(report, ctx.format, ctx));
  if (interrupted && unfinished > 0) {
    note(
      ctx,
      `interrupted: ${counts.migrating.length} partition(s) left Migrating, ${counts.not_started} not started; run 'otlpctl rebalance resume ${plan.id}' or 'cancel'`,
    );
    return ExitCode.Interrupted;
  }
  if (counts.failed.length) return ExitCode.Partial;
  if (counts.skipped.some((s) => s.stale)) {
    note(
      ctx,
      `${counts.skipped.length} move(s) skipped: their partitions changed since the plan was made (make a new plan)`,
    );
    return ExitCode.Precondition;
  }
  return ExitCode.Ok;
}

function emptyReport(planId: string | null, status: RunStatus): RunReport {
  return {
    plan_id: planId,
    status,
    partitions: 0,
    done: 0,
    bytes_done: 0,
    skipped: [],
    failed: [],
    migrating: [],
    not_started: 0,
    reverted: 0,
    unknown: [],
  };
}
