import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideExpiry,
  deleteLimit,
  ExpireTotals,
  formatMaxDelete,
  NOT_AN_ID,
  parseMaxDelete,
  selectExpired,
  type ExpireValue,
} from '../../src/core/expire.js';
import { UsageError } from '../../src/core/errors.js';
import { PARTITION_STATES, type PartitionMetadata, type PartitionState } from '../../src/core/model.js';
import { formatPartitionId, parsePartitionId } from '../../src/core/partition-id.js';

const H = 3_600_000;
const NOW = Date.parse('2026-11-27T12:00:00Z');
const CUTOFF = NOW - 30 * 24 * H; // 2026-10-28T12:00:00Z
const hourly = { granularityHours: 1, cutoffMs: CUTOFF };
const bucketEndingAt = (ms: number, g = 1) => ms / (g * H) - 1;

const record = (id: string, state: PartitionState = 'Active', extra: Partial<PartitionMetadata> = {}) => ({
  ok: true as const,
  record: {
    partition_id: id,
    nodes: ['n1', 'n2', 'n3'],
    leader: 'n1',
    state,
    size_bytes: 1000,
    record_count: 10,
    created_at: '2026-10-01T00:00:00Z',
    updated_at: '2026-10-01T00:00:00Z',
    ...extra,
  },
});

describe('decideExpiry', () => {
  const last = bucketEndingAt(CUTOFF); // ends exactly at the cutoff: expired
  it.each([
    [`partition_${last}_0001`, 'Active', 'delete'],
    [`partition_${last}_0001`, 'ReadOnly', 'delete'],
    [`metrics_partition_${last}_0255`, 'Active', 'delete'],
    [`logs_partition_${last - 500}_0000`, 'Active', 'delete'],
    [`partition_${last + 1}_0001`, 'Active', 'keep'], // ends an hour after the cutoff
    [`partition_${last + 1}_0001`, 'Migrating', 'keep'],
    [`partition_${last}_0001`, 'Migrating', 'skip'],
    [`partition_${last}_0001`, 'Rebalancing', 'skip'],
    [`logs_partition_${last}_0007`, 'Rebalancing', 'skip'],
  ] as const)('%s %s → %s', (id, state, action) => {
    expect(decideExpiry(id, record(id, state), hourly).action).toBe(action);
  });

  it.each([
    ['README', NOT_AN_ID],
    [`partition_${last}_00012`, NOT_AN_ID], // over-padded: not an id, even though it looks old
    [`partition_${last}_1`, NOT_AN_ID],
    ['partition_-0_0001', NOT_AN_ID],
    ['', NOT_AN_ID],
  ])('key %j is skipped: %s', (id, reason) => {
    expect(decideExpiry(id, record(id), hourly)).toEqual({ action: 'skip', reason });
  });

  it('skips an expired entry whose value does not parse or names another partition; keeps an unexpired one', () => {
    const bad: ExpireValue = { ok: false, error: 'value is not JSON' };
    expect(decideExpiry(`partition_${last}_0001`, bad, hourly)).toEqual({
      action: 'skip',
      reason: 'value is not JSON',
    });
    expect(decideExpiry(`partition_${last + 1}_0001`, bad, hourly)).toEqual({ action: 'keep' });
    expect(decideExpiry(`partition_${last}_0001`, record(`partition_${last}_0002`), hourly)).toMatchObject({
      action: 'skip',
      reason: expect.stringMatching(/partition_id is 'partition_\d+_0002', the key names/),
    });
  });

  it('parses a value only when the id says it is expired', () => {
    let parsed = 0;
    const lazy = (id: string) => () => (parsed++, record(id));
    decideExpiry(`partition_${last + 5}_0001`, lazy(`partition_${last + 5}_0001`), hourly);
    decideExpiry('README', lazy('README'), hourly);
    expect(parsed).toBe(0);
    decideExpiry(`partition_${last}_0001`, lazy(`partition_${last}_0001`), hourly);
    expect(parsed).toBe(1);
  });

  it('uses the configured granularity: a 6-hour partition ends 6 hours after its start', () => {
    const g6 = { granularityHours: 6, cutoffMs: CUTOFF };
    const b = bucketEndingAt(CUTOFF, 6);
    expect(decideExpiry(`partition_${b}_0000`, record(`partition_${b}_0000`), g6).action).toBe('delete');
    expect(decideExpiry(`partition_${b + 1}_0000`, record(`partition_${b + 1}_0000`), g6).action).toBe(
      'keep',
    );
  });
});

describe('the selection (property)', () => {
  const signal = fc.constantFrom('traces' as const, 'metrics' as const, 'logs' as const);
  // Buckets around the cutoff at granularity g: the one holding it, and up to 1000 either side.
  const near = (g: number) =>
    fc.integer({ min: -1000, max: 1000 }).map((d) => Math.floor(CUTOFF / (g * H)) + d);
  const entry = (g: number) =>
    fc.oneof(
      // A well-formed partition of some bucket around the cutoff, in any state.
      fc
        .record({
          signal,
          bucket: near(g),
          hash: fc.integer({ min: 0, max: 1023 }),
          state: fc.constantFrom(...PARTITION_STATES),
        })
        .map(({ signal, bucket, hash, state }) => {
          const id = formatPartitionId(signal, bucket, hash);
          return { partitionId: id, value: record(id, state) as ExpireValue };
        }),
      // An id whose value does not parse.
      fc.record({ bucket: near(g), error: fc.string({ minLength: 1 }) }).map(({ bucket, error }) => ({
        partitionId: formatPartitionId('traces', bucket, 1),
        value: { ok: false, error } as ExpireValue,
      })),
      // Any key at all, with a value that claims to be that key's partition.
      fc.string().map((id) => ({ partitionId: id, value: record(id) as ExpireValue })),
      // A value that names another partition than its key.
      near(g).map((bucket) => {
        const id = formatPartitionId('logs', bucket, 3);
        return { partitionId: id, value: record(`${id}x`) as ExpireValue };
      }),
    );

  it('never selects an unexpired partition or an unparsable entry, and selects every settled expired one', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 24 })
          .chain((g) =>
            fc.tuple(
              fc.constant(g),
              fc.uniqueArray(entry(g), { selector: (e) => e.partitionId, maxLength: 60 }),
            ),
          ),
        ([g, entries]) => {
          const criteria = { granularityHours: g, cutoffMs: CUTOFF };
          const s = selectExpired(
            entries.map((e, i) => ({ ...e, modRevision: i + 1 })),
            criteria,
          );
          const selected = new Set(s.candidates.map((c) => c.partition_id));
          for (const e of entries) {
            const id = parsePartitionId(e.partitionId);
            const ended = id !== undefined && (id.bucket_id + 1) * g * H <= CUTOFF;
            const settled =
              e.value.ok &&
              e.value.record.partition_id === e.partitionId &&
              (e.value.record.state === 'Active' || e.value.record.state === 'ReadOnly');
            if (selected.has(e.partitionId)) {
              expect(id, e.partitionId).toBeDefined();
              expect((id!.bucket_id + 1) * g * H).toBeLessThanOrEqual(CUTOFF);
              expect(e.value.ok).toBe(true);
            }
            expect(selected.has(e.partitionId), e.partitionId).toBe(ended && settled);
            // What is expired but not settled, or not an id at all, is reported.
            const reported = s.skipped.some((k) => k.partition_id === e.partitionId);
            expect(reported, e.partitionId).toBe(id === undefined || (ended && !settled));
          }
          expect(s.total).toBe(entries.length);
          // The candidate keeps the revision it was read at (the delete's compare).
          for (const c of s.candidates) {
            const i = entries.findIndex((e) => e.partitionId === c.partition_id);
            expect(c.modRevision).toBe(i + 1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('--max-delete', () => {
  it.each([
    ['10%', { percent: 10 }, 6144, 614],
    ['0.5%', { percent: 0.5 }, 184_320, 921],
    ['100%', { percent: 100 }, 7, 7],
    ['0%', { percent: 0 }, 7, 0],
    ['33%', { percent: 33 }, 100, 33],
    ['500', { count: 500 }, 10, 500],
    ['0', { count: 0 }, 10, 0],
  ])('%s of %#', (input, parsed, total, limit) => {
    expect(parseMaxDelete(input)).toEqual(parsed);
    expect(formatMaxDelete(parsed)).toBe(input);
    expect(deleteLimit(parsed, total)).toBe(limit);
  });

  it.each(['10x', '150%', '100.5%', '-1', '1.5', '', '%', '10 %%', '1e3'])('%j is refused', (input) => {
    expect(() => parseMaxDelete(input)).toThrow(UsageError);
    expect(() => parseMaxDelete(input)).toThrow(/--max-delete .*expected a number of partitions/);
  });

  it('the limit never exceeds P% of the total', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (bp, total) => {
          const limit = deleteLimit({ percent: bp / 100 }, total);
          expect(limit * 10_000).toBeLessThanOrEqual(bp * total);
          expect((limit + 1) * 10_000).toBeGreaterThan(bp * total);
        },
      ),
    );
  });
});

describe('ExpireTotals', () => {
  it('sums bytes once overall and once per replica node', () => {
    const t = new ExpireTotals();
    t.add({ bytes: 100, nodes: ['n2', 'n10', 'n1'] });
    t.add({ bytes: 50, nodes: ['n1'] });
    expect(t.count).toBe(2);
    expect(t.bytes).toBe(150);
    expect(t.nodes()).toEqual({
      n1: { partitions: 2, bytes: 150 },
      n2: { partitions: 1, bytes: 100 },
      n10: { partitions: 1, bytes: 100 },
    });
    expect(Object.keys(t.nodes())).toEqual(['n1', 'n2', 'n10']);
  });
});
