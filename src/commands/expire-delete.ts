import {
  ExpireTotals,
  type ExpireCandidate,
  type ExpireValue,
  type ExpirySelection,
  type Skipped,
} from '../core/expire.js';
import { parsePartitionMetadata } from '../core/records.js';
import type { Progress } from '../render/expire.js';
import type { Compare, KeyValue, MetadataStore, Op } from '../store/contract.js';
import type { HeldLock } from '../store/lock.js';
import type { Metadata } from '../store/metadata.js';
import { OutcomeUnknownError, StoreUnavailableError } from '../core/errors.js';
import { pool } from '../core/pool.js';

/**
 * The deleting half of `expire`. Each transaction deletes at most BATCH partitions, each guarded by
 * the mod revision it was read at, plus the lock's ownership: a run whose lease lapsed deletes
 * nothing more. A batch that loses a compare is re-read key by key and each partition decided again.
 */

// etcd's default --max-txn-ops (128) bounds compares as well as operations: 127 partitions + the lock.
export const BATCH = 127;
const IN_FLIGHT = 8;
const RETRIES = 5;

export interface DeleteOutcome {
  totals: ExpireTotals;
  /** Partitions that changed under us into something expire must not delete. */
  skipped: Skipped[];
  failed: Skipped[];
  stopped: 'interrupted' | 'lock lost' | 'store unavailable' | null;
  notAttempted: number;
  /** In batches sent when the store stopped answering: deleted or not, a re-run settles them. */
  unknown: number;
}

export async function deleteCandidates(
  md: Metadata,
  lock: HeldLock,
  selection: ExpirySelection,
  { progress, interrupt }: { progress: Progress; interrupt: AbortSignal },
): Promise<DeleteOutcome> {
  const out: DeleteOutcome = {
    totals: new ExpireTotals(),
    skipped: [],
    failed: [],
    stopped: null,
    notAttempted: 0,
    unknown: 0,
  };
  const all = selection.candidates;
  const batches: ExpireCandidate[][] = [];
  for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));
  // Several batches in flight: etcd commits concurrent proposals together (one fsync for several).
  const started = await pool(
    batches,
    IN_FLIGHT,
    async (batch) => {
      progress.text(`deleting: ${out.totals.count} of ${all.length}`);
      try {
        const left = await deleteBatch(md, lock, selection, batch, out);
        if (left > 0) {
          out.stopped ??= 'lock lost';
          out.notAttempted += left;
        }
      } catch (err) {
        // Sent without an answer: deleted or not, a re-run settles it; the other batches go on.
        if (err instanceof OutcomeUnknownError) out.unknown += batch.length;
        else if (err instanceof StoreUnavailableError) {
          // Nothing more gets through: stop.
          out.stopped = 'store unavailable';
          out.notAttempted += batch.length;
        } else throw err;
      }
    },
    () => {
      if (interrupt.aborted) out.stopped ??= 'interrupted';
      return out.stopped !== null;
    },
  );
  for (const batch of batches.slice(started)) out.notAttempted += batch.length;
  return out;
}

/** One guarded transaction, else partition by partition; resolves to how many were left for a lost lock. */
async function deleteBatch(
  md: Metadata,
  lock: HeldLock,
  selection: ExpirySelection,
  batch: ExpireCandidate[],
  out: DeleteOutcome,
): Promise<number> {
  const keys = batch.map((c) => md.layout.partition(c.partition_id));
  const compares = batch.map((c, i): Compare => ({
    key: keys[i]!,
    target: 'mod',
    modRevision: c.modRevision,
  }));
  const ops = keys.map((key): Op => ({ type: 'delete', key }));
  if ((await md.store.txn([...compares, lock.ownership], ops)).succeeded) {
    for (const c of batch) out.totals.add(c);
    return 0;
  }
  if (!(await stillHeld(md.store, lock))) return batch.length;
  for (let j = 0; j < batch.length; j++) {
    if ((await retryOne(md, lock, selection, batch[j]!, out)) === 'lock lost') return batch.length - j;
  }
  return 0;
}

/** Re-reads one partition that lost its compare and decides again: never a delete of what changed unseen. */
async function retryOne(
  md: Metadata,
  lock: HeldLock,
  selection: ExpirySelection,
  c: ExpireCandidate,
  out: DeleteOutcome,
): Promise<'lock lost' | undefined> {
  const key = md.layout.partition(c.partition_id);
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    const kv = await md.store.get(key);
    if (!kv) {
      out.skipped.push({ partition_id: c.partition_id, reason: 'deleted by another writer meanwhile' });
      return undefined;
    }
    const { decision, record } = selection.decide(c.partition_id, parseValue(kv));
    if (decision.action === 'skip') {
      out.skipped.push({ partition_id: c.partition_id, reason: `changed meanwhile: ${decision.reason}` });
      return undefined;
    }
    if (!record) return undefined; // kept: cannot happen, expiry depends on the id alone
    const r = await md.store.txn(
      [{ key, target: 'mod', modRevision: kv.modRevision }, lock.ownership],
      [{ type: 'delete', key }],
    );
    if (r.succeeded) {
      out.totals.add(selection.candidate(record, kv.modRevision));
      return undefined;
    }
    if (!(await stillHeld(md.store, lock))) return 'lock lost';
  }
  out.failed.push({
    partition_id: c.partition_id,
    reason: `not deleted: it changed ${RETRIES} times while expire tried to delete it`,
  });
  return undefined;
}

const stillHeld = async (store: MetadataStore, lock: HeldLock) =>
  (await store.txn([lock.ownership], [])).succeeded;

/** A stored value for the selection: the record, or why it does not parse (without the key). */
export function parseValue(kv: KeyValue): ExpireValue {
  try {
    return { ok: true, record: parsePartitionMetadata(kv.value, kv.key).record };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      error: message.startsWith(`${kv.key}: `) ? message.slice(kv.key.length + 2) : message,
    };
  }
}
