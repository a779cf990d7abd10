import {
  ExitCode,
  InterruptedError,
  OutcomeUnknownError,
  PartialError,
  StoreError,
  StoreUnavailableError,
  UsageError,
} from '../core/errors.js';
import type { AuditResult, PartitionMetadata } from '../core/model.js';
import { preferReplica, replicaViews } from '../core/placement.js';
import { rewrite } from '../core/records.js';
import { formatTime } from '../core/time.js';
import { renderFailover, type FailoverReport } from '../render/failover.js';
import { writeAuditOrWarn } from '../store/audit.js';
import type { Compare, Op } from '../store/contract.js';
import { partitionPages, type Metadata, type Stored } from '../store/metadata.js';
import { openMetadata, print, type Context } from './context.js';

/**
 * `failover <node>`: the seed's "node failure: fail over to a replica". Marks the node Down, then
 * moves leadership of each partition it leads to its best healthy replica — the nearest to the
 * failed node (same data center, zone, region), so clients near it stay near. Every rewrite is a
 * compare-and-swap on the partition's mod revision and keeps all other fields; a partition that
 * changed meanwhile is re-read and decided again, never overwritten.
 */

// etcd's default --max-txn-ops is 128.
const BATCH = 128;

export async function failover(nodeId: string, opts: { dryRun: boolean }, ctx: Context): Promise<ExitCode> {
  const md = await openMetadata(ctx);
  const node = await md.node(nodeId);
  if (!node)
    throw new UsageError(`node '${nodeId}': not found in ${md.store.description} (see 'otlpctl nodes list')`);
  const report: FailoverReport = {
    node: nodeId,
    dry_run: opts.dryRun,
    marked_down: false,
    moved: [],
    skipped: [],
    unavailable: [],
    outcome_unknown: [],
    stopped: null,
  };
  if (node.record.state !== 'Down' && !opts.dryRun) {
    await md.update(node, { state: 'Down' });
    report.marked_down = true;
  }
  const nodes = new Map((await md.nodes()).map((n) => [n.record.node_id, n.record]));
  nodes.set(nodeId, { ...node.record, state: 'Down' });
  const now = formatTime(ctx.clock());

  /** The new leader, or why there is none. */
  const decide = (p: PartitionMetadata): { to: string } | { skip: string } | { none: true } | undefined => {
    if (p.leader !== nodeId) return undefined;
    if (p.state === 'Migrating' || p.state === 'Rebalancing')
      return { skip: `${p.state}: a move is in flight; finish or cancel it first` };
    const best = preferReplica(
      replicaViews(
        p.nodes.filter((n) => n !== nodeId),
        nodes,
      ),
      node.record.location,
    );
    return best ? { to: best.node_id } : { none: true };
  };

  let batch: { stored: Stored<PartitionMetadata>; to: string }[] = [];
  const flush = async () => {
    if (batch.length === 0 || opts.dryRun) {
      for (const b of batch)
        report.moved.push({ partition_id: b.stored.record.partition_id, from: nodeId, to: b.to });
      batch = [];
      return;
    }
    const compares: Compare[] = batch.map((b) => ({
      key: b.stored.key,
      target: 'mod',
      modRevision: b.stored.modRevision,
    }));
    const ops: Op[] = batch.map((b) => ({
      type: 'put',
      key: b.stored.key,
      value: rewrite<PartitionMetadata>(b.stored.raw, { leader: b.to, updated_at: now }),
    }));
    // Sent without an answer: each partition is read back and decided again below; until then its
    // outcome is unknown (and stays so in the summary if etcd goes before it is read back).
    let unknown = false;
    const r = await md.store.txn(compares, ops).catch((err: unknown) => {
      if (!(err instanceof OutcomeUnknownError)) throw err;
      unknown = true;
      return { succeeded: false };
    });
    const sent = batch;
    batch = [];
    if (r.succeeded)
      for (const b of sent)
        report.moved.push({ partition_id: b.stored.record.partition_id, from: nodeId, to: b.to });
    else {
      if (unknown) report.outcome_unknown.push(...sent.map((b) => b.stored.record.partition_id));
      for (const b of sent) {
        await retryOne(md, b.stored.record.partition_id, unknown ? b.to : undefined, decide, now, report);
        if (unknown)
          report.outcome_unknown.splice(report.outcome_unknown.indexOf(b.stored.record.partition_id), 1);
      }
    }
  };
  try {
    for await (const page of partitionPages(md)) {
      for (const e of page) {
        if (!e.ok) continue;
        const d = decide(e.stored.record);
        if (!d) continue;
        if ('skip' in d) report.skipped.push({ partition_id: e.stored.record.partition_id, reason: d.skip });
        else if ('none' in d) report.unavailable.push(e.stored.record.partition_id);
        else {
          batch.push({ stored: e.stored, to: d.to });
          if (batch.length === BATCH) await flush();
        }
      }
      // Between batches: what is written is whole, and a re-run picks up the rest.
      if (ctx.interrupt.aborted) {
        report.stopped = 'interrupted';
        break;
      }
    }
    if (!report.stopped) await flush();
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    report.stopped = 'store unavailable';
    print(ctx, renderFailover(report, ctx.format, ctx));
    const what = `${err.message}; stopped after moving ${report.moved.length} leader(s)${unknownNote(report)}; run failover again when etcd is back`;
    throw report.moved.length > 0 ? new PartialError(what) : new StoreError(what, { cause: err });
  }
  print(ctx, renderFailover(report, ctx.format, ctx));
  // The morning after, `audit list` says who failed the node over and what moved.
  if (!opts.dryRun)
    await writeAuditOrWarn(
      md,
      { command: 'failover', result: auditResult(report), details: auditDetails(report) },
      ctx.clock,
    );
  if (report.outcome_unknown.length > 0)
    throw new PartialError(
      `moved ${report.moved.length} leader(s) off ${nodeId}${unknownNote(report)}; run failover again to settle them`,
    );
  if (report.stopped === 'interrupted')
    throw new InterruptedError(
      `interrupted after moving ${report.moved.length} leader(s) off ${nodeId}; run failover again to finish`,
    );
  return report.skipped.length > 0 || report.unavailable.length > 0 ? ExitCode.Partial : ExitCode.Ok;
}

function auditResult(r: FailoverReport): AuditResult {
  if (r.stopped === 'interrupted') return 'interrupted';
  return r.outcome_unknown.length + r.skipped.length + r.unavailable.length > 0 ? 'partial' : 'ok';
}

function auditDetails(r: FailoverReport): Record<string, unknown> {
  return {
    node: r.node,
    marked_down: r.marked_down,
    moved: r.moved.length,
    skipped: r.skipped.length,
    unavailable: r.unavailable.length,
    outcome_unknown: r.outcome_unknown.length,
  };
}

function unknownNote(r: FailoverReport): string {
  const n = r.outcome_unknown.length;
  return n > 0 ? `; ${n} move(s) were sent without an answer (outcome unknown)` : '';
}

/**
 * A batch lost a compare, or its outcome is unknown: re-read each partition and decide again, one
 * compare-and-swap each. After an unknown outcome, a partition led by `sent` counts as moved: the
 * write landed. A write of its own without an answer leaves the partition's outcome unknown.
 */
async function retryOne(
  md: Metadata,
  partitionId: string,
  sent: string | undefined,
  decide: (p: PartitionMetadata) => { to: string } | { skip: string } | { none: true } | undefined,
  now: string,
  report: FailoverReport,
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const fresh = await md.partition(partitionId);
    const d = fresh && decide(fresh.record);
    if (fresh && !d && attempt === 0 && sent !== undefined && fresh.record.leader === sent)
      return void report.moved.push({ partition_id: partitionId, from: report.node, to: sent });
    if (!fresh || !d) return; // gone, or someone already moved the leader
    if ('skip' in d) return void report.skipped.push({ partition_id: partitionId, reason: d.skip });
    if ('none' in d) return void report.unavailable.push(partitionId);
    const r = await md.store
      .txn(
        [{ key: fresh.key, target: 'mod', modRevision: fresh.modRevision }],
        [
          {
            type: 'put',
            key: fresh.key,
            value: rewrite<PartitionMetadata>(fresh.raw, { leader: d.to, updated_at: now }),
          },
        ],
      )
      .catch((err: unknown) => {
        if (!(err instanceof OutcomeUnknownError)) throw err;
        return undefined;
      });
    if (r === undefined) return void report.outcome_unknown.push(partitionId);
    if (r.succeeded)
      return void report.moved.push({ partition_id: partitionId, from: report.node, to: d.to });
  }
  report.skipped.push({
    partition_id: partitionId,
    reason: 'kept changing under concurrent writers; run failover again',
  });
}
