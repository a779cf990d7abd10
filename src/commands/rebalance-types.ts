import type { RebalanceMove } from '../core/rebalance/index.js';

/** The types the executor (`rebalance-exec.ts`) and its steps (`rebalance-step.ts`) share. */

export interface Group {
  partition_id: string;
  mod_revision: number;
  moves: RebalanceMove[];
  bytes: number;
}

export interface ExecControl {
  /** Set on the first Ctrl-C: start no more moves, finish those in flight. */
  stopping: boolean;
  /** Aborted on the second: stop waiting; moves in flight stay Migrating for resume. */
  abort: AbortSignal;
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
}
