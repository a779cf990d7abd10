import type { RebalanceMove } from '../core/rebalance/index.js';

/** The types the executor (rebalance-exec.ts) and its per-partition steps (rebalance-step.ts) share. */

export interface Group {
  partition_id: string;
  mod_revision: number;
  moves: RebalanceMove[];
  bytes: number;
}

export interface ExecControl {
  /** ctx.interrupt: start no more moves, finish those in flight. */
  interrupt: AbortSignal;
  /** Set when the run must stop for another reason (a fatal error, the store gone). */
  stopping: boolean;
}

export interface ExecOptions {
  maxConcurrent: number;
  maxBytesPerSec?: number;
  clock: () => number;
  control: ExecControl;
  onProgress?: (r: ExecResult) => void;
}

export interface ExecResult {
  partitions: number;
  done: number;
  bytes_done: number;
  skipped: { partition_id: string; reason: string; stale: boolean }[];
  failed: { partition_id: string; error: string }[];
  /** Left Migrating (interrupted between the steps): `resume` finishes, `cancel` reverts them. */
  migrating: string[];
  not_started: number;
  reverted: number;
  /**
   * Partitions whose last write was sent when the store stopped answering: applied or not,
   * `resume` reads each back and settles it from its move record (never applies it twice).
   */
  unknown: string[];
}
