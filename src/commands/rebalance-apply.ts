import { readFile } from 'node:fs/promises';
import { ExitCode, PreconditionError, UsageError } from '../core/errors.js';
import { configHash, parsePlan, type RebalancePlan } from '../core/rebalance/index.js';
import { redraw } from '../render/output.js';
import { progressLine, renderRun } from '../render/rebalance.js';
import type { HeldLock } from '../store/lock.js';
import { note, openMetadata, print, type Context } from './context.js';
import { FINISHED, RebalanceStore } from './rebalance-journal.js';
import { beginPlan, carryOut, emptyReport, type RunOptions } from './rebalance-run.js';
import { confirm, underLock } from './rebalance-session.js';

/**
 * `rebalance apply PLAN` and `rebalance resume [ID]`: verify, confirm, take the `rebalance` lock,
 * store the plan, and carry it out (rebalance-run.ts, shared with `rebalance auto`), leaving a journal that `status`, `resume`
 * and `cancel` read. Ctrl-C (ctx.interrupt) starts no more moves, finishes the steps in flight,
 * saves the journal and releases the lock (exit 130). A store that stops answering ends the run
 * within its timeouts: the summary says what is known, the lock is abandoned, exit 1 or 6.
 */

export type { RunOptions } from './rebalance-run.js';

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
  return underLock(md, ctx, 'rebalance apply', opts, async (lock, rs) => {
    if (!(await beginPlan(rs, lock, plan, opts.reason, ctx)))
      note(ctx, `plan ${plan.id} was applied before: continuing from its journal`);
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
  return underLock(md, ctx, 'rebalance resume', opts, async (lock) => {
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
  const progress = ctx.interactive && !ctx.quiet;
  let last = 0;
  const { report, unavailable, interrupted, unfinished, code } = await carryOut(
    rs,
    lock,
    plan,
    opts,
    ctx,
    mode,
    (r) => {
      if (!progress || Date.now() - last < 100) return;
      last = Date.now();
      ctx.stderr.write(redraw(progressLine(r, plan)));
    },
  );
  if (progress) ctx.stderr.write(`${redraw(progressLine(report, plan))}\n`);
  print(ctx, renderRun(report, ctx.format, ctx));
  if (unavailable) {
    ctx.stderr.write(
      `otlpctl: ${unavailable.message}; stopped: ${report.done} partition(s) done, ${report.migrating.length} left Migrating, ${report.unknown.length} with an unknown outcome, ${report.not_started} not started; when etcd is back run 'otlpctl rebalance resume ${plan.id}' (it reads each back; nothing is applied twice)\n`,
    );
  } else if (interrupted && unfinished > 0) {
    note(
      ctx,
      `interrupted: ${report.migrating.length} partition(s) left Migrating, ${report.not_started} not started; run 'otlpctl rebalance resume ${plan.id}' or 'cancel'`,
    );
  } else if (code === ExitCode.Precondition) {
    note(
      ctx,
      `${report.skipped.length} move(s) skipped: their partitions changed since the plan was made (make a new plan)`,
    );
  }
  return code;
}
