import { StoreUnavailableError } from '../core/errors.js';
import { pool } from '../core/pool.js';
import type { RebalancePlan } from '../core/rebalance/index.js';
import type { HeldLock } from '../store/lock.js';
import type { RebalanceStore } from './rebalance-journal.js';
import { Pacer, runGroup } from './rebalance-step.js';
import type { ExecOptions, ExecResult, Group } from './rebalance-types.js';

export type { ExecControl, ExecOptions, ExecResult, Group } from './rebalance-types.js';

/**
 * Carries a plan out: per partition, the seed's two steps as compare-and-swaps, each writing the
 * partition and its move record in one transaction under the lock's ownership compare —
 * (a) Active → Migrating if the partition's mod revision is still the plan's, (b) the new nodes and
 * leader, Migrating → Active, every other field kept. The move record drives a small state machine,
 * so after any failure or crash the next step is read back from the store, never guessed.
 */

export function groupMoves(plan: RebalancePlan): Group[] {
  const groups = new Map<string, Group>();
  for (const m of plan.moves) {
    let g = groups.get(m.partition_id);
    if (!g)
      groups.set(
        m.partition_id,
        (g = { partition_id: m.partition_id, mod_revision: m.mod_revision, moves: [], bytes: 0 }),
      );
    g.moves.push(m);
    g.bytes += m.bytes;
  }
  return [...groups.values()];
}

/** Nothing done yet, of `partitions` partitions. */
export function emptyResult(partitions: number): ExecResult {
  return {
    partitions,
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

/**
 * Runs every group through its steps, `maxConcurrent` at a time, until done, interrupted, or
 * stopped by a fatal error. A store that stops answering ends the run (resolving, with
 * `unavailable` set, for the caller to report); any other fatal error rejects.
 */
export async function execute(
  rs: RebalanceStore,
  lock: HeldLock,
  plan: RebalancePlan,
  opts: ExecOptions,
): Promise<ExecResult & { unavailable?: StoreUnavailableError }> {
  const groups = groupMoves(plan);
  const known = await rs.records(plan.id);
  const result = emptyResult(groups.length);
  const pacer = new Pacer(opts.maxBytesPerSec);
  let fatal: unknown;
  const started = await pool(
    groups,
    opts.maxConcurrent,
    async (g) => {
      try {
        await runGroup(rs, lock, plan.id, g, known.get(g.partition_id), result, pacer, opts);
      } catch (e) {
        fatal ??= e;
        opts.control.stopping = true;
      }
      opts.onProgress?.(result);
    },
    () => opts.control.stopping || opts.control.interrupt.aborted,
  );
  // Groups never started because the run stopped: `runGroup` counts the rest itself.
  for (const g of groups.slice(started)) {
    const state = known.get(g.partition_id)?.value.state;
    if (state === 'migrating') result.migrating.push(g.partition_id);
    else if (state === undefined) result.not_started++;
    else await runGroup(rs, lock, plan.id, g, known.get(g.partition_id), result, pacer, opts);
  }
  if (fatal instanceof StoreUnavailableError) return { ...result, unavailable: fatal };
  if (fatal) throw fatal;
  return result;
}
