import { createRequire } from 'node:module';
import type { NodeTotals, Skipped } from '../core/expire.js';
import { bytes as humanBytes } from './partitions.js';
import { fields, json, palette, table, tsv, type Format, type Style } from './output.js';

const require = createRequire(import.meta.url);

/** The `expire` summary (PRODUCT.md §9): the JSON is an API, these names are stable. */
export interface ExpireReport {
  now: string;
  cutoff: string;
  retention_days: number;
  dry_run: boolean;
  /** Every entry under the partitions prefix: the base of `--max-delete P%`. */
  partitions: number;
  /** Expired, settled partitions: what the run deletes (or, dry, would delete). */
  selected: number;
  deleted: number;
  /** Σ size_bytes of the deleted partitions (dry run or refused: of the selected ones). */
  bytes: number;
  skipped: Skipped[];
  /** As `bytes`, per replica node. */
  by_node: Record<string, NodeTotals>;
  max_delete: string;
  /** The guard's limit for this run. */
  limit: number;
  /** The guard refused (a dry run: would refuse); nothing was deleted. */
  refused: boolean;
  /** Partitions that were to be deleted but were not (kept changing under other writers). */
  failed: Skipped[];
  /** Why the run stopped before the end, if it did; `not_attempted` selected partitions were left. */
  stopped: ExpireStop | null;
  not_attempted: number;
  /** Deletes sent when the store stopped answering: applied or not, a re-run settles them. */
  outcome_unknown: number;
}

/**
 * Every way a run can stop early, each with its summary printed: Ctrl-C while deleting or while
 * reading (nothing deleted then), another run holding the lock, the lock's lease lapsing, the
 * store not answering within its timeouts.
 */
export type ExpireStop =
  'interrupted' | 'interrupted while reading' | 'lock held' | 'lock lost' | 'store unavailable';

// Enough to act on in a terminal; JSON lists them all.
const MAX_LISTED = 20;

export function renderExpire(r: ExpireReport, format: Format, style: Style): string {
  switch (format) {
    case 'json':
      return json(r);
    case 'ndjson':
      // One line per run: `>> expire.ndjson` in cron keeps a log a script can read back.
      return JSON.stringify(r);
    case 'tsv':
      return tsv(Object.entries(r.by_node).map(([node, t]) => [node, t.partitions, t.bytes]));
    case 'table':
      return table_(r, style);
  }
}

function table_(r: ExpireReport, style: Style): string {
  const c = palette(style);
  const nothing = r.selected === 0;
  let headline: string;
  if (nothing) headline = 'nothing to expire';
  else if (r.dry_run) headline = `dry run: would delete ${r.selected} partition(s), ${humanBytes(r.bytes)}`;
  else if (r.refused) headline = c.red(`refused: ${r.selected} partition(s) selected, limit ${r.limit}`);
  else headline = `deleted ${r.deleted} of ${r.selected} partition(s), ${humanBytes(r.bytes)}`;
  const lines = [
    fields(
      [
        ['expire', headline],
        ['cutoff', `${r.cutoff}  (now ${r.now} − ${r.retention_days} days)`],
        ['read', `${r.partitions} partition(s)`],
        ['max delete', `${r.max_delete} = ${r.limit} partition(s)`],
      ],
      style,
    ),
  ];
  if (r.dry_run && r.refused) {
    lines.push(c.yellow(`the guard would refuse this: raise --max-delete to at least ${r.selected}`));
  }
  const nodes = Object.entries(r.by_node);
  if (nodes.length > 0) {
    lines.push(
      table(
        ['NODE', 'PARTITIONS', 'BYTES'],
        nodes.map(([n, t]) => [n, t.partitions, humanBytes(t.bytes)]),
        style,
      ),
    );
  }
  if (r.stopped) {
    const left =
      r.deleted + r.not_attempted + r.outcome_unknown > 0
        ? `${r.not_attempted} selected partition(s) not attempted${r.outcome_unknown ? `, ${r.outcome_unknown} with an unknown outcome` : ''}`
        : 'nothing was deleted';
    lines.push(c.red(`stopped (${r.stopped}): ${left}; run expire again`));
  }
  const listed = (what: string, xs: Skipped[], paint: (s: string) => string) => {
    for (const s of xs.slice(0, MAX_LISTED)) lines.push(paint(`${what} ${s.partition_id}: ${s.reason}`));
    if (xs.length > MAX_LISTED) lines.push(paint(`… and ${xs.length - MAX_LISTED} more (-o json lists all)`));
  };
  listed('failed', r.failed, c.red);
  listed('skipped', r.skipped, c.yellow);
  return lines.join('\n');
}

export interface Progress {
  text(s: string): void;
  stop(): void;
}

const SILENT: Progress = { text: () => undefined, stop: () => undefined };

/** A spinner on stderr when it is a terminal (and not -q); otherwise nothing at all, so cron stays quiet. */
export async function expireProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  enabled: boolean,
): Promise<Progress> {
  // A pty of no size (script(1) without a terminal behind it): ora would loop clearing lines forever.
  if (!enabled || stream.isTTY !== true || !(Number(stream.columns) > 0)) return SILENT;
  // require (Node ≥ 20.19 loads the ESM ora), not import(): the bundle runs in a vm.Script, which has no loader for import().
  const { default: ora } = require('ora') as typeof import('ora');
  const spinner = ora({ stream, isEnabled: true, discardStdin: false }).start('expire');
  return { text: (s) => void (spinner.text = s), stop: () => void spinner.stop() };
}
