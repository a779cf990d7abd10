/**
 * `rebalance auto`'s log: one JSON object per line on stdout, for a supervisor's journal
 * (`journalctl -u otlpctl-rebalance -o cat | jq`). The names are an API (PRODUCT.md §9).
 */

export type AutoEventName = 'active' | 'standby' | 'round' | 'lost' | 'error' | 'stopped';

/**
 * What a round came to: `balanced` (nothing to do), `done`, `partial` (moves skipped: their
 * partitions changed), `interrupted` (a signal: steps in flight finished, the rest for the next
 * round), `failed`, `would-apply` (--dry-run), `error` (the store failed; retried with backoff).
 */
export type AutoOutcome =
  'balanced' | 'done' | 'partial' | 'interrupted' | 'failed' | 'would-apply' | 'error';

export interface AutoEvent {
  time: string;
  /** user@host:pid */
  instance: string;
  /** Holds the `rebalance` lock (false for standbys and --dry-run). */
  active: boolean;
  event: AutoEventName;
  outcome?: AutoOutcome;
  plan_id?: string | null;
  /** The round finished a plan an earlier round (or a dead instance) left unfinished. */
  resumed?: boolean;
  skew_before?: number;
  skew_after?: number | null;
  /** Moves carried out (planned, with --dry-run) and their bytes. */
  moves?: number;
  bytes?: number;
  planned_moves?: number;
  skipped?: number;
  failed?: number;
  replace_down?: string[];
  duration_ms?: number;
  /** For standby: who holds the lock. */
  holder?: string;
  message?: string;
}

/** Fixed field order, so lines read alike in a terminal; absent fields are left out. */
const ORDER: (keyof AutoEvent)[] = [
  'time',
  'instance',
  'active',
  'event',
  'outcome',
  'plan_id',
  'resumed',
  'skew_before',
  'skew_after',
  'moves',
  'bytes',
  'planned_moves',
  'skipped',
  'failed',
  'replace_down',
  'duration_ms',
  'holder',
  'message',
];

export function autoLine(e: AutoEvent): string {
  const out: Record<string, unknown> = {};
  for (const k of ORDER) if (e[k] !== undefined) out[k] = e[k];
  return `${JSON.stringify(out)}\n`;
}
