import { UsageError } from './errors.js';
import type { PartitionMetadata } from './model.js';
import { parsePartitionId } from './partition-id.js';
import { TimeRangePartitioner } from './time.js';

/**
 * Retention selection (the seed's `get_expired_partitions`, done right): it judges the partitions
 * that exist, by the time bucket in their id, and can only select what it may delete. Pure: the
 * `expire` command streams stored entries through an `ExpirySelection` and deletes its candidates.
 */

/** A stored value as the listing met it: parsed, or why it does not parse. */
export type ExpireValue = { ok: true; record: PartitionMetadata } | { ok: false; error: string };

export type ExpireDecision = { action: 'keep' } | { action: 'delete' } | { action: 'skip'; reason: string };

export interface ExpireCriteria {
  granularityHours: number;
  /** `now − retention`: a partition whose time partition ends at or before it is expired. */
  cutoffMs: number;
}

export const NOT_AN_ID =
  'not a partition id (expected partition_<bucket>_<hash:04>, metrics_partition_… or logs_partition_…)';

/**
 * What expire does with one stored entry, `partitionId` being the id its key names. Anything that
 * is not certainly an expired, settled partition is kept or skipped, never deleted. The value may be
 * given lazily: most partitions are kept on their id alone, and need no parsing.
 */
export function decideExpiry(
  partitionId: string,
  value: ExpireValue | (() => ExpireValue),
  criteria: ExpireCriteria,
  partitioner = new TimeRangePartitioner(criteria.granularityHours, 0),
): ExpireDecision {
  const id = parsePartitionId(partitionId);
  if (!id) return { action: 'skip', reason: NOT_AN_ID };
  if (partitioner.partition(id.bucket_id).end > criteria.cutoffMs) return { action: 'keep' };
  const v = typeof value === 'function' ? value() : value;
  if (!v.ok) return { action: 'skip', reason: v.error };
  const p = v.record;
  if (p.partition_id !== partitionId) {
    return { action: 'skip', reason: `partition_id is '${p.partition_id}', the key names '${partitionId}'` };
  }
  if (p.state === 'Migrating' || p.state === 'Rebalancing') {
    return {
      action: 'skip',
      reason: `${p.state}: a move is in flight; finish or cancel the rebalance first`,
    };
  }
  return { action: 'delete' };
}

/** What a delete needs, and no more (a 30-day backlog is 184,320 of these). */
export interface ExpireCandidate {
  partition_id: string;
  modRevision: number;
  bytes: number;
  /** Shared between candidates with the same replica list. */
  nodes: readonly string[];
}

export interface Skipped {
  partition_id: string;
  reason: string;
}

/** Streams entries in, keeps the candidates to delete and the skips to report. */
export class ExpirySelection {
  readonly candidates: ExpireCandidate[] = [];
  readonly skipped: Skipped[] = [];
  /** Every entry seen, whatever became of it: the base of `--max-delete P%`. */
  total = 0;
  private readonly partitioner: TimeRangePartitioner;
  private readonly nodeLists = new Map<string, readonly string[]>();

  constructor(readonly criteria: ExpireCriteria) {
    this.partitioner = new TimeRangePartitioner(criteria.granularityHours, 0);
  }

  add(partitionId: string, modRevision: number, value: ExpireValue | (() => ExpireValue)): ExpireDecision {
    this.total++;
    const { decision, record } = this.decide(partitionId, value);
    if (decision.action === 'skip') this.skipped.push({ partition_id: partitionId, reason: decision.reason });
    else if (record) this.candidates.push(this.candidate(record, modRevision));
    return decision;
  }

  /** The decision, with the parsed record when it is a delete. */
  decide(
    partitionId: string,
    value: ExpireValue | (() => ExpireValue),
  ): { decision: ExpireDecision; record?: PartitionMetadata } {
    let parsed: ExpireValue | undefined;
    const once = () => (parsed ??= typeof value === 'function' ? value() : value);
    const decision = decideExpiry(partitionId, once, this.criteria, this.partitioner);
    return decision.action === 'delete' && parsed?.ok ? { decision, record: parsed.record } : { decision };
  }

  candidate(p: PartitionMetadata, modRevision: number): ExpireCandidate {
    const joined = p.nodes.join('\n');
    let nodes = this.nodeLists.get(joined);
    if (!nodes) this.nodeLists.set(joined, (nodes = [...new Set(p.nodes)]));
    return { partition_id: p.partition_id, modRevision, bytes: p.size_bytes, nodes };
  }
}

/** The whole selection at once (tests, library use); the command streams through `ExpirySelection`. */
export function selectExpired(
  entries: Iterable<{ partitionId: string; modRevision: number; value: ExpireValue }>,
  criteria: ExpireCriteria,
): ExpirySelection {
  const s = new ExpirySelection(criteria);
  for (const e of entries) s.add(e.partitionId, e.modRevision, e.value);
  return s;
}

// ---- the --max-delete guard ----

export type MaxDelete = { count: number } | { percent: number };

export const DEFAULT_MAX_DELETE: MaxDelete = { percent: 10 };

/** `N` partitions or `P%` of all partitions read (P from 0 to 100, decimals allowed). */
export function parseMaxDelete(input: string): MaxDelete {
  const s = input.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(s);
  if (pct && Number(pct[1]) <= 100) return { percent: Number(pct[1]) };
  if (/^\d+$/.test(s) && Number.isSafeInteger(Number(s))) return { count: Number(s) };
  throw new UsageError(
    `--max-delete '${input}': expected a number of partitions (500) or a percentage of all partitions from 0% to 100% (10%)`,
  );
}

export function formatMaxDelete(m: MaxDelete): string {
  return 'count' in m ? String(m.count) : `${m.percent}%`;
}

/** The most partitions the guard lets one run delete out of `total`. */
export function deleteLimit(m: MaxDelete, total: number): number {
  // Integer arithmetic where it matters: 10% of 6,144 is 614, never 614.4000001 → 615.
  return 'count' in m ? m.count : Math.floor((Math.round(m.percent * 1e6) * total) / 1e8);
}

// ---- totals ----

export interface NodeTotals {
  partitions: number;
  bytes: number;
}

/** Totals of deleted (or, in a dry run, selected) partitions; per node, every replica counts. */
export class ExpireTotals {
  count = 0;
  bytes = 0;
  readonly byNode = new Map<string, NodeTotals>();

  add(c: Pick<ExpireCandidate, 'bytes' | 'nodes'>): void {
    this.count++;
    this.bytes += c.bytes;
    for (const n of c.nodes) {
      const t = this.byNode.get(n);
      if (t) {
        t.partitions++;
        t.bytes += c.bytes;
      } else this.byNode.set(n, { partitions: 1, bytes: c.bytes });
    }
  }

  nodes(): Record<string, NodeTotals> {
    const sorted = [...this.byNode].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
    return Object.fromEntries(sorted);
  }
}
