import { OutcomeUnknownError, PartialError, StoreUnavailableError } from '../core/errors.js';
import type { PartitionMetadata } from '../core/model.js';
import { applyMoves } from '../core/rebalance/index.js';
import { rewrite } from '../core/records.js';
import { formatTime } from '../core/time.js';
import type { Compare } from '../store/contract.js';
import type { HeldLock } from '../store/lock.js';
import type { ExecOptions, ExecResult, Group } from './rebalance-types.js';
import type { MoveRecord, RebalanceStore, StoredRecord } from './rebalance-journal.js';

/**
 * One partition of a plan, as a state machine on its move record (absent → migrating → done, or
 * skipped): each step reads the record and the partition, then writes both in one transaction
 * guarded by their mod revisions and the lock. After a failed compare or a store error (which may
 * hide an applied write) it reads back and decides again; it never overwrites a change it did not make.
 */

const RETRIES = 8;

export async function runGroup(
  rs: RebalanceStore,
  lock: HeldLock,
  planId: string,
  g: Group,
  initial: StoredRecord | undefined,
  result: ExecResult,
  pacer: Pacer,
  opts: ExecOptions,
): Promise<void> {
  const { md } = rs;
  const own = lock.ownership;
  const key = rs.moveKey(planId, g.partition_id);
  const now = () => formatTime(opts.clock());
  const base = {
    plan_id: planId,
    partition_id: g.partition_id,
    moves: g.moves.map(({ kind, from, to }) => ({ kind, from, to })),
  };
  let rec = initial;
  let reread = false;
  let uncertain = false;
  let failures = 0;
  /** Writes the record only (a skip), if it is still as read. */
  const putRecord = async (value: MoveRecord) => {
    const guard: Compare = rec
      ? { key, target: 'mod', modRevision: rec.modRevision }
      : { key, target: 'create', createRevision: 0 };
    const r = await md.store.txn([own, guard], [{ type: 'put', key, value: JSON.stringify(value) }]);
    return r.succeeded ? { value, modRevision: r.revision } : undefined;
  };
  for (;;) {
    // A lease that lapsed (or may have) means the lock may be someone else's: not one more write.
    if (lock.lost()) throw lostLock(lock);
    try {
      if (reread) {
        rec = await rs.record(planId, g.partition_id);
        reread = false;
        uncertain = false;
      }
      const state = rec?.value.state;
      if (state === 'done') {
        result.done++;
        result.bytes_done += g.bytes;
        return;
      }
      if (state === 'skipped') {
        result.skipped.push({
          partition_id: g.partition_id,
          reason: rec!.value.reason ?? 'skipped',
          stale: rec!.value.stale ?? false,
        });
        return;
      }
      if (state === 'reverted') {
        result.reverted++;
        return;
      }
      if (state === undefined && (opts.control.stopping || opts.control.interrupt.aborted)) {
        result.not_started++;
        return;
      }
      const p = await md.partition(g.partition_id);
      let written: StoredRecord | undefined;
      if (state === undefined) {
        const stale = !p
          ? 'the partition no longer exists'
          : p.modRevision !== g.mod_revision
            ? `changed since the plan (mod revision ${p.modRevision}, the plan has ${g.mod_revision})`
            : p.record.state !== 'Active'
              ? `state is ${p.record.state}`
              : undefined;
        const next = p && !stale ? applyMoves(p.record, g.moves) : undefined;
        if (stale || typeof next === 'string' || !p || !next) {
          written = await putRecord({
            ...base,
            state: 'skipped',
            reason: stale ?? String(next),
            stale: true,
            at: now(),
          });
        } else {
          const value: MoveRecord = {
            ...base,
            state: 'migrating',
            previous: { nodes: p.record.nodes, leader: p.record.leader, state: p.record.state },
            next,
            at: now(),
          };
          const r = await md.store.txn(
            [
              own,
              { key: p.key, target: 'mod', modRevision: g.mod_revision },
              { key, target: 'create', createRevision: 0 },
            ],
            [
              {
                type: 'put',
                key: p.key,
                value: rewrite<PartitionMetadata>(p.raw, { state: 'Migrating', updated_at: now() }),
              },
              { type: 'put', key, value: JSON.stringify(value) },
            ],
          );
          if (r.succeeded) written = { value, modRevision: r.revision };
        }
      } else if (!p || p.modRevision !== rec!.modRevision) {
        // Someone else changed a partition this plan holds Migrating: report it, never force it.
        written = await putRecord({
          ...rec!.value,
          state: 'skipped',
          reason: 'changed by someone else while Migrating; left as found',
          stale: true,
          at: now(),
        });
      } else {
        // The pacer's wait belongs to the move in flight: an interrupt lets it finish.
        await pacer.wait(g.bytes);
        const value: MoveRecord = { ...rec!.value, state: 'done', at: now() };
        const next = rec!.value.next!;
        const r = await md.store.txn(
          [
            own,
            { key: p.key, target: 'mod', modRevision: rec!.modRevision },
            { key, target: 'mod', modRevision: rec!.modRevision },
          ],
          [
            {
              type: 'put',
              key: p.key,
              value: rewrite<PartitionMetadata>(p.raw, {
                nodes: next.nodes,
                leader: next.leader,
                state: 'Active',
                updated_at: now(),
              }),
            },
            { type: 'put', key, value: JSON.stringify(value) },
          ],
        );
        if (r.succeeded) written = { value, modRevision: r.revision };
      }
      if (written) {
        rec = written;
        failures = 0;
        continue;
      }
      // A compare failed: someone wrote meanwhile, or the lock is gone. Read back and decide again.
      reread = true;
      if (++failures >= 3) await checkLock(rs, lock);
      if (failures > RETRIES) {
        result.failed.push({ partition_id: g.partition_id, error: 'kept changing under concurrent writers' });
        return;
      }
    } catch (e) {
      if (e instanceof PartialError) throw e;
      if (e instanceof StoreUnavailableError) {
        // The store is gone: nothing more gets through. Say where this partition stands.
        if (uncertain) result.unknown.push(g.partition_id);
        else if (rec?.value.state === 'migrating') result.migrating.push(g.partition_id);
        else result.not_started++;
        throw e;
      }
      // A write sent without an answer stays uncertain until a read-back settles it.
      if (e instanceof OutcomeUnknownError) uncertain = true;
      if (++failures > RETRIES) {
        result.failed.push({
          partition_id: g.partition_id,
          error: e instanceof Error ? e.message : String(e),
        });
        return;
      }
      // A store error may hide a write that was applied: the record says which step we are at.
      reread = true;
      await sleep(Math.min(100 * 2 ** failures, 3000));
    }
  }
}

async function checkLock(rs: RebalanceStore, lock: HeldLock): Promise<void> {
  const kv = await rs.md.store.get(lock.key);
  const own = lock.ownership;
  if (!kv || (own.target === 'create' && kv.createRevision !== own.createRevision)) throw lostLock(lock);
}

const lostLock = (lock: HeldLock) =>
  new PartialError(
    `lost the '${lock.key.slice(lock.key.lastIndexOf('/') + 1)}' lock (its lease expired); stopped, the journal is consistent: run 'otlpctl rebalance resume'`,
  );

/** Paces moves to a byte rate shared by all workers: each waits for its slot of time. */
export class Pacer {
  private nextAt = 0;
  constructor(private readonly bytesPerSec: number | undefined) {}

  /** Resolves when the move may complete. */
  async wait(bytes: number): Promise<void> {
    if (!this.bytesPerSec) return;
    const start = Math.max(Date.now(), this.nextAt);
    this.nextAt = start + (bytes / this.bytesPerSec) * 1000;
    const ms = this.nextAt - Date.now();
    if (ms > 0) await sleep(ms);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
