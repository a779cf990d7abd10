import * as v from 'valibot';
import { PreconditionError, StoreError, UsageError } from '../core/errors.js';
import {
  parsePlan,
  PLAN_ID,
  type Placement,
  type RebalanceMove,
  type RebalancePlan,
} from '../core/rebalance/index.js';
import { PARTITION_STATES, type PartitionState } from '../core/model.js';
import { parseStored, TIME } from '../core/records.js';
import { count, oneOf, text, type Check } from '../core/schema.js';
import type { Compare, Op } from '../store/contract.js';
import type { Metadata } from '../store/metadata.js';

/**
 * What `rebalance apply` keeps in the store, so that `status`, `resume` and `cancel` work from any
 * host after any crash:
 *   <prefix>/rebalance/plans/<id>/<nnnn>        the plan file, verbatim, in chunks (etcd caps a value)
 *   <prefix>/rebalance/journals/<id>            the run: status, who, when
 *   <prefix>/rebalance/moves/<id>/<partition>   one partition's progress, written in the same
 *                                               transaction as each change to the partition
 * A partition's record and the partition itself therefore always agree: the journal after every step.
 */

const RUN_STATUSES = ['running', 'interrupted', 'done', 'partial', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINISHED: readonly RunStatus[] = ['done', 'partial', 'cancelled'];

export interface Journal {
  plan_id: string;
  checksum: string;
  status: RunStatus;
  chunks: number;
  partitions: number;
  moves: number;
  bytes: number;
  started_at: string;
  updated_at: string;
  finished_at?: string;
  /** Who ran it last: user@host (pid). */
  by: string;
  reason?: string;
}

const MOVE_STATES = ['migrating', 'done', 'skipped', 'reverted'] as const;
export type MoveState = (typeof MOVE_STATES)[number];

export interface MoveRecord {
  plan_id: string;
  partition_id: string;
  state: MoveState;
  moves: Pick<RebalanceMove, 'kind' | 'from' | 'to'>[];
  /** The placement (and state) before step one, for cancel. */
  previous?: Placement & { state: PartitionState };
  /** The placement step two writes. */
  next?: Placement;
  reason?: string;
  /** Skipped because the partition changed since the plan (exit 3). */
  stale?: boolean;
  at: string;
}

// What `status`, `resume` and `cancel` read back, checked (a corrupt value names its key and
// field); loose, so a rewrite keeps what a newer otlpctl added.
const JOURNAL = v.looseObject(
  {
    plan_id: text('a plan id', PLAN_ID),
    checksum: text('a checksum'),
    status: oneOf(RUN_STATUSES),
    chunks: v.pipe(count('a chunk count'), v.minValue(1, 'a chunk count')),
    partitions: count(),
    moves: count(),
    bytes: count('a byte count'),
    started_at: TIME,
    updated_at: TIME,
    finished_at: v.optional(TIME),
    by: v.string('user@host (pid)'),
    reason: v.optional(v.string('a reason')),
  } satisfies { [F in keyof Journal]-?: Check<Journal[F]> },
  'a JSON object (a rebalance journal)',
);

const NODE_IDS = v.array(text('a node id'), 'an array of node ids');
const MOVE_RECORD = v.looseObject(
  {
    plan_id: text('a plan id', PLAN_ID),
    partition_id: text('a partition id'),
    state: oneOf(MOVE_STATES),
    moves: v.array(
      v.looseObject(
        { kind: oneOf(['replica', 'leader']), from: text('a node id'), to: text('a node id') },
        'an object (a move)',
      ),
      'an array of moves',
    ),
    previous: v.optional(
      v.looseObject(
        { nodes: NODE_IDS, leader: v.string('a node id'), state: oneOf(PARTITION_STATES) },
        'an object (a placement)',
      ),
    ),
    next: v.optional(
      v.looseObject({ nodes: NODE_IDS, leader: v.string('a node id') }, 'an object (a placement)'),
    ),
    reason: v.optional(v.string('a reason')),
    stale: v.optional(v.boolean('true or false')),
    at: TIME,
  } satisfies { [F in keyof MoveRecord]-?: Check<MoveRecord[F]> },
  'a JSON object (a move record)',
);

export interface StoredRecord {
  value: MoveRecord;
  modRevision: number;
}

// A chunk stays far below etcd's 1.5 MiB request limit.
const CHUNK = 512 * 1024;

export class RebalanceStore {
  constructor(readonly md: Metadata) {}

  private get base(): string {
    return this.md.layout.rebalancePrefix;
  }
  journalKey(id: string): string {
    return `${this.base}journals/${id}`;
  }
  moveKey(id: string, partitionId: string): string {
    return `${this.base}moves/${id}/${partitionId}`;
  }
  private chunkKey(id: string, i: number): string {
    return `${this.base}plans/${id}/${String(i).padStart(4, '0')}`;
  }

  async journal(id: string): Promise<{ value: Journal; modRevision: number } | undefined> {
    const kv = await this.md.store.get(this.journalKey(id));
    return kv && { value: parseStored(kv.value, kv.key, JOURNAL), modRevision: kv.modRevision };
  }

  /** Stores the plan (chunks first, then the journal that makes it visible), under the lock. */
  async savePlan(plan: RebalancePlan, journal: Journal, own: Compare): Promise<void> {
    const text = JSON.stringify(plan);
    const chunks = Math.max(1, Math.ceil(text.length / CHUNK));
    for (let i = 0; i < chunks; i++) {
      const op: Op = {
        type: 'put',
        key: this.chunkKey(plan.id, i),
        value: text.slice(i * CHUNK, (i + 1) * CHUNK),
      };
      await this.guarded([own], [op]);
    }
    const key = this.journalKey(plan.id);
    const r = await this.md.store.txn(
      [own, { key, target: 'create', createRevision: 0 }],
      [{ type: 'put', key, value: JSON.stringify({ ...journal, chunks }) }],
    );
    if (!r.succeeded)
      throw new PreconditionError(`${key} appeared meanwhile; run 'otlpctl rebalance status ${plan.id}'`);
  }

  async loadPlan(id: string, journal: Journal): Promise<RebalancePlan> {
    const parts: string[] = [];
    for await (const page of this.md.store.range(`${this.base}plans/${id}/`))
      for (const kv of page) parts.push(kv.value);
    if (parts.length !== journal.chunks)
      throw new StoreError(`plan ${id}: ${parts.length} of ${journal.chunks} stored chunks found`);
    const plan = storedValue(() => parsePlan(parts.join(''), `stored plan ${id}`));
    if (plan.checksum !== journal.checksum)
      throw new StoreError(`plan ${id}: stored plan does not match its journal`);
    return plan;
  }

  async updateJournal(id: string, changes: Partial<Journal>, own: Compare): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const j = await this.journal(id);
      if (!j) throw new StoreError(`${this.journalKey(id)} is missing`);
      const key = this.journalKey(id);
      const r = await this.md.store.txn(
        [own, { key, target: 'mod', modRevision: j.modRevision }],
        [{ type: 'put', key, value: JSON.stringify({ ...j.value, ...changes }) }],
      );
      if (r.succeeded) return;
    }
    throw new PreconditionError(`${this.journalKey(id)} kept changing, or the rebalance lock was lost`);
  }

  async record(id: string, partitionId: string): Promise<StoredRecord | undefined> {
    const kv = await this.md.store.get(this.moveKey(id, partitionId));
    return kv && { value: parseStored(kv.value, kv.key, MOVE_RECORD), modRevision: kv.modRevision };
  }

  async records(id: string): Promise<Map<string, StoredRecord>> {
    const prefix = `${this.base}moves/${id}/`;
    const out = new Map<string, StoredRecord>();
    for await (const page of this.md.store.range(prefix))
      for (const kv of page)
        out.set(kv.key.slice(prefix.length), {
          value: parseStored(kv.value, kv.key, MOVE_RECORD),
          modRevision: kv.modRevision,
        });
    return out;
  }

  async journals(): Promise<Journal[]> {
    const out: Journal[] = [];
    for await (const page of this.md.store.range(`${this.base}journals/`))
      for (const kv of page) out.push(parseStored(kv.value, kv.key, JOURNAL));
    return out;
  }

  /** The plan a command without an id means: the latest unfinished one (for status: else the latest). */
  async pick(id: string | undefined, anyIfNone: boolean): Promise<Journal | undefined> {
    if (id !== undefined) {
      if (!PLAN_ID.test(id))
        throw new UsageError(`plan id '${id}': expected an id such as 20261127T120000Z-1a2b3c4d`);
      const j = await this.journal(id);
      if (!j)
        throw new UsageError(
          `plan '${id}': not found in ${this.md.store.description} (it was never applied)`,
        );
      return j.value;
    }
    const all = (await this.journals()).sort((a, b) =>
      a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : 0,
    );
    const open = all.filter((j) => !FINISHED.includes(j.status));
    return open.at(-1) ?? (anyIfNone ? all.at(-1) : undefined);
  }

  private async guarded(compares: Compare[], ops: Op[]): Promise<void> {
    const r = await this.md.store.txn(compares, ops);
    if (!r.succeeded)
      throw new PreconditionError('lost the rebalance lock (its lease expired); nothing more was written');
  }
}

/** A stored value that does not read is the store's problem (exit 1), not the operator's input. */
function storedValue<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof UsageError || e instanceof PreconditionError) throw new StoreError(e.message);
    throw e;
  }
}
