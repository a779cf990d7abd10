import { ExitCode, StoreUnavailableError } from '../core/errors.js';
import type { HeldLock } from '../store/lock.js';
import type { PartitionMetadata } from '../core/model.js';
import { rewrite } from '../core/records.js';
import { formatTime } from '../core/time.js';
import { renderCancel, renderStatus, type CancelReport, type StatusReport } from '../render/rebalance.js';
import { note, openMetadata, print, type Context } from './context.js';
import { audit, underLock } from './rebalance-session.js';
import { groupMoves } from './rebalance-exec.js';
import { FINISHED, RebalanceStore } from './rebalance-journal.js';

/** `rebalance status [ID]` (read-only, no lock) and `rebalance cancel [ID]`. */

export async function rebalanceStatus(opts: { planId?: string }, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const rs = new RebalanceStore(md);
  const j = await rs.pick(opts.planId, true);
  if (!j) {
    note(ctx, `no rebalance was ever applied in ${md.store.description}`);
    print(ctx, renderStatus(null, ctx.format, ctx));
    return ExitCode.Ok;
  }
  const plan = await rs.loadPlan(j.plan_id, j);
  const records = await rs.records(j.plan_id);
  const lockKv = await md.store.get(md.layout.lock('rebalance'));
  let lock: StatusReport['lock'] = null;
  if (lockKv) {
    const ttl = lockKv.lease === undefined ? undefined : await md.store.leaseTimeToLive(lockKv.lease);
    let holder: Record<string, unknown> = {};
    try {
      holder = JSON.parse(lockKv.value) as Record<string, unknown>;
    } catch {
      // written by something else: still held
    }
    lock = { ...holder, expires_at: ttl === undefined ? null : formatTime(ctx.clock() + ttl * 1000) };
  }
  const counts = { total: 0, pending: 0, migrating: 0, done: 0, skipped: 0, reverted: 0 };
  let bytesDone = 0;
  const report: StatusReport = {
    plan_id: j.plan_id,
    // A run recorded as running whose lock is free died without a word (killed): say so.
    status: j.status === 'running' && !lock ? 'interrupted' : j.status,
    by: j.by,
    reason: j.reason ?? null,
    started_at: j.started_at,
    updated_at: j.updated_at,
    finished_at: j.finished_at ?? null,
    lock,
    partitions: counts,
    moves: plan.moves.length,
    bytes_total: plan.bytes_moved,
    bytes_done: 0,
    migrating: [],
    skipped: [],
  };
  for (const g of groupMoves(plan)) {
    counts.total++;
    const r = records.get(g.partition_id)?.value;
    if (!r) counts.pending++;
    else counts[r.state]++;
    if (r?.state === 'done') bytesDone += g.bytes;
    if (r?.state === 'migrating') report.migrating.push(g.partition_id);
    if (r?.state === 'skipped') report.skipped.push({ partition_id: g.partition_id, reason: r.reason ?? '' });
  }
  report.bytes_done = bytesDone;
  print(ctx, renderStatus(report, ctx.format, ctx));
  return ExitCode.Ok;
}

export async function rebalanceCancel(
  opts: { planId?: string; reason?: string; lockTtl?: number },
  ctx: Context,
): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const rs = new RebalanceStore(md);
  const picked = await rs.pick(opts.planId, false);
  if (!picked) {
    note(ctx, 'no unfinished rebalance in the store: nothing to cancel');
    print(ctx, renderCancel(null, ctx.format, ctx));
    return ExitCode.Ok;
  }
  return underLock(md, ctx, 'rebalance cancel', opts, async (lock) => {
    const j = (await rs.journal(picked.plan_id))!.value;
    const report: CancelReport = {
      plan_id: j.plan_id,
      status: j.status,
      reverted: [],
      conflicts: [],
      done_kept: 0,
    };
    if (FINISHED.includes(j.status)) {
      note(
        ctx,
        `plan ${j.plan_id} already ${j.status === 'cancelled' ? 'cancelled' : `finished (${j.status})`}: nothing to cancel`,
      );
      print(ctx, renderCancel(report, ctx.format, ctx));
      return ExitCode.Ok;
    }
    const now = formatTime(ctx.clock());
    try {
      if (await revertAll(rs, lock, j.plan_id, report, now, ctx.interrupt)) {
        print(ctx, renderCancel(report, ctx.format, ctx));
        note(
          ctx,
          `interrupted: plan ${j.plan_id} is not cancelled yet; run 'otlpctl rebalance cancel' again`,
        );
        return ExitCode.Interrupted;
      }
    } catch (e) {
      // The store stopped answering: show what was reverted; cancelling again finishes the rest.
      if (e instanceof StoreUnavailableError) print(ctx, renderCancel(report, ctx.format, ctx));
      throw e;
    }
    report.status = 'cancelled';
    await rs.updateJournal(
      j.plan_id,
      { status: 'cancelled', updated_at: now, finished_at: now },
      lock.ownership,
    );
    await audit(
      md,
      'cancel',
      opts.reason,
      report.conflicts.length ? 'partial' : 'ok',
      {
        plan_id: j.plan_id,
        reverted: report.reverted.length,
        conflicts: report.conflicts.length,
        done_kept: report.done_kept,
      },
      ctx,
    );
    print(ctx, renderCancel(report, ctx.format, ctx));
    if (report.conflicts.length) {
      note(
        ctx,
        `${report.conflicts.length} partition(s) changed while Migrating were left as found (see 'otlpctl doctor')`,
      );
      return ExitCode.Precondition;
    }
    return ExitCode.Ok;
  });
}

/**
 * Reverts every partition the plan left Migrating, one guarded transaction each; resolves true if
 * interrupted first (the rest stay Migrating for another `cancel`).
 */
async function revertAll(
  rs: RebalanceStore,
  lock: HeldLock,
  planId: string,
  report: CancelReport,
  now: string,
  interrupt: AbortSignal,
): Promise<boolean> {
  const { md } = rs;
  for (const [pid, rec] of await rs.records(planId)) {
    if (interrupt.aborted) return true;
    if (rec.value.state === 'done') report.done_kept++;
    if (rec.value.state !== 'migrating') continue;
    const prev = rec.value.previous!;
    const p = await md.partition(pid);
    const key = rs.moveKey(planId, pid);
    const ok =
      p?.modRevision === rec.modRevision &&
      (
        await md.store.txn(
          [
            lock.ownership,
            { key: p.key, target: 'mod', modRevision: rec.modRevision },
            { key, target: 'mod', modRevision: rec.modRevision },
          ],
          [
            {
              type: 'put',
              key: p.key,
              value: rewrite<PartitionMetadata>(p.raw, {
                nodes: prev.nodes,
                leader: prev.leader,
                state: prev.state,
                updated_at: now,
              }),
            },
            { type: 'put', key, value: JSON.stringify({ ...rec.value, state: 'reverted', at: now }) },
          ],
        )
      ).succeeded;
    if (ok) report.reverted.push(pid);
    else
      report.conflicts.push({
        partition_id: pid,
        reason: 'changed by someone else while Migrating; left as found',
      });
  }
  return false;
}
