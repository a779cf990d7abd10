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
import { note, type Context } from './context.js';

/**
 * The deleting half of `expire`. Each transaction deletes at most BATCH partitions, each guarded by
 * the mod revision it was read at, plus the lock's ownership: a run whose lease lapsed deletes
 * nothing more. A batch that loses a compare is re-read key by key and each partition decided again.
 */

// etcd's default --max-txn-ops (128) bounds compares as well as operations: 127 partitions + the lock.
export const BATCH = 127;
const RETRIES = 5;

export interface DeleteOutcome {
  totals: ExpireTotals;
  /** Partitions that changed under us into something expire must not delete. */
  skipped: Skipped[];
  failed: Skipped[];
  stopped: 'interrupted' | 'lock lost' | null;
  notAttempted: number;
}

export async function deleteCandidates(
  md: Metadata,
  lock: HeldLock,
  selection: ExpirySelection,
  { progress, interrupt }: { progress: Progress; interrupt: Interrupt | undefined },
): Promise<DeleteOutcome> {
  const store = md.store;
  const out: DeleteOutcome = {
    totals: new ExpireTotals(),
    skipped: [],
    failed: [],
    stopped: null,
    notAttempted: 0,
  };
  const all = selection.candidates;
  const keyOf = (id: string) => md.layout.partition(id);
  for (let i = 0; i < all.length; i += BATCH) {
    if (interrupt?.requested) {
      out.stopped = 'interrupted';
      out.notAttempted = all.length - i;
      break;
    }
    progress.text(`deleting: ${out.totals.count} of ${all.length}`);
    const batch = all.slice(i, i + BATCH);
    const compares: Compare[] = batch.map((c) => ({
      key: keyOf(c.partition_id),
      target: 'mod',
      modRevision: c.modRevision,
    }));
    const ops: Op[] = batch.map((c) => ({ type: 'delete', key: keyOf(c.partition_id) }));
    const r = await store.txn([...compares, lock.ownership], ops);
    if (r.succeeded) {
      for (const c of batch) out.totals.add(c);
      continue;
    }
    for (let j = 0; j < batch.length; j++) {
      const lost = j === 0 ? !(await stillHeld(store, lock)) : false;
      if (lost || (await retryOne(md, lock, selection, batch[j]!, out)) === 'lock lost') {
        out.stopped = 'lock lost';
        out.notAttempted = all.length - i - j;
        return out;
      }
    }
  }
  return out;
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

export interface Interrupt {
  readonly requested: boolean;
  dispose(): void;
}

/**
 * Ctrl-C (or SIGTERM) asks the run to stop after the transaction in flight, so the lock is released
 * and the summary printed; a second Ctrl-C aborts at once (the lock's lease then lapses by itself).
 */
export function watchInterrupt(ctx: Context): Interrupt {
  const state = { requested: false, dispose };
  function onSignal(): void {
    state.requested = true;
    dispose();
    note(ctx, 'otlpctl: interrupted: finishing the transaction in flight, then releasing the lock');
  }
  function dispose(): void {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return state;
}
