import type { LoadMeasure, RebalancePlan } from '../core/rebalance/index.js';
import type { AutoEvent, AutoOutcome } from '../render/auto.js';
import type { HeldLock } from '../store/lock.js';
import type { Metadata } from '../store/metadata.js';
import type { Context } from './context.js';
import { downLongEnough, type DownSince } from './rebalance-auto-down.js';
import { groupMoves } from './rebalance-exec.js';
import { FINISHED, RebalanceStore } from './rebalance-journal.js';
import { planCluster, readCluster } from './rebalance-plan.js';
import { beginPlan, carryOut, type RunOutcome } from './rebalance-run.js';

/**
 * One round of `rebalance auto`, exactly `rebalance plan` + `rebalance apply`: the same read, the
 * same planner, the same journal and steps (rebalance-run.ts). A round first finishes a plan an
 * earlier round left unfinished (an instance killed mid-round, a SIGTERM), as `resume` would.
 */

/** Every journal a round writes has a reason starting so: how a round knows its own plans. */
export const AUTO_REASON = 'rebalance auto:';

export interface RoundOptions {
  by?: LoadMeasure;
  target?: number;
  threshold?: number;
  maxMoves?: number;
  maxBytes?: number;
  maxConcurrent?: number;
  maxBytesPerSec?: number;
  /** Milliseconds a node stays Down before its replicas are replaced (off when undefined). */
  replaceDownAfter?: number;
  dryRun: boolean;
}

/** What an instance remembers between rounds. */
export interface RoundState {
  /** Unfinished plans this instance already tried to finish: not tried again (no loop on one). */
  tried: Set<string>;
  downSince: DownSince;
}

export type RoundReport = Pick<
  AutoEvent,
  | 'outcome'
  | 'plan_id'
  | 'resumed'
  | 'skew_before'
  | 'skew_after'
  | 'moves'
  | 'bytes'
  | 'planned_moves'
  | 'skipped'
  | 'failed'
  | 'replace_down'
  | 'message'
>;

export async function autoRound(
  md: Metadata,
  lock: HeldLock | undefined,
  opts: RoundOptions,
  state: RoundState,
  ctx: Context,
): Promise<RoundReport> {
  const rs = new RebalanceStore(md);
  if (lock) {
    const left = (await rs.journals())
      .filter(
        (j) =>
          !FINISHED.includes(j.status) && j.reason?.startsWith(AUTO_REASON) && !state.tried.has(j.plan_id),
      )
      .sort((a, b) => (a.started_at < b.started_at ? -1 : 1))[0];
    if (left) {
      state.tried.add(left.plan_id);
      const plan = await rs.loadPlan(left.plan_id, left);
      const run = await carryOut(rs, lock, plan, runOptions(opts, left.reason), ctx, 'auto');
      if (run.unavailable) state.tried.delete(left.plan_id); // not tried, really: try again
      return { ...(await report(md, plan, run, opts, ctx)), resumed: true };
    }
  }
  const config = await md.requireConfig();
  const cluster = await readCluster(md);
  const replaceDown =
    opts.replaceDownAfter === undefined
      ? undefined
      : await downLongEnough(md, lock, opts.replaceDownAfter, state.downSince, ctx.clock);
  const plan = planCluster(
    config,
    cluster,
    { ...opts, replaceDown: replaceDown?.length ? replaceDown : undefined },
    ctx,
  );
  const base = {
    plan_id: plan.moves.length ? plan.id : null,
    skew_before: plan.skew_before,
    ...(plan.replace_down.length > 0 && { replace_down: plan.replace_down }),
  };
  if (plan.moves.length === 0)
    return {
      ...base,
      outcome: 'balanced',
      skew_after: plan.skew_before,
      moves: 0,
      bytes: 0,
      message: plan.notes[0],
    };
  if (opts.dryRun || !lock)
    return {
      ...base,
      outcome: 'would-apply',
      skew_after: plan.skew_after,
      moves: groupMoves(plan).length,
      bytes: plan.bytes_moved,
      message: plan.notes[0],
    };
  const reason = `${AUTO_REASON} ${plan.notes[0] ?? 'out of balance'}`;
  await beginPlan(rs, lock, plan, reason, ctx);
  const run = await carryOut(rs, lock, plan, runOptions(opts, reason), ctx, 'auto');
  return report(md, plan, run, opts, ctx);
}

const runOptions = (opts: RoundOptions, reason: string | undefined) => ({
  maxConcurrent: opts.maxConcurrent,
  maxBytesPerSec: opts.maxBytesPerSec,
  reason,
});

/** The round's line; skew_after is measured (the cluster read again), not the plan's forecast. */
async function report(
  md: Metadata,
  plan: RebalancePlan,
  run: RunOutcome,
  opts: RoundOptions,
  ctx: Context,
): Promise<RoundReport> {
  const r = run.report;
  const status = run.unavailable ? 'failed' : r.status;
  const outcome: AutoOutcome =
    status === 'done' || status === 'partial' || status === 'interrupted' ? status : 'failed';
  let skewAfter: number | null = null;
  if (!run.unavailable) {
    try {
      const config = await md.requireConfig();
      skewAfter = planCluster(config, await readCluster(md), opts, ctx).skew_before;
    } catch {
      // Unknown: the next round's skew_before says it.
    }
  }
  return {
    outcome,
    plan_id: plan.id,
    skew_before: plan.skew_before,
    skew_after: skewAfter,
    moves: r.done,
    bytes: r.bytes_done,
    planned_moves: r.partitions,
    skipped: r.skipped.length,
    failed: r.failed.length,
    ...(plan.replace_down.length > 0 && { replace_down: plan.replace_down }),
    ...(run.unavailable && { message: run.unavailable.message }),
  };
}
