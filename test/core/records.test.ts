/**
 * Parsing stored partition values (src/core/records.ts): the seed's JSON reads as written, every
 * bad value is one StoreError line naming the key and the first bad field, and the one-pass check
 * a listing uses agrees with the field-by-field checks on every value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import * as v from 'valibot';
import {
  isPartitionMetadata,
  parsePartitionMetadata,
  PARTITION_METADATA,
  readPartitionMetadata,
} from '../../src/core/records.js';

const KEY = '/otlp/partitions/partition_498827_0001';

/** The seed's serde output: field order, chrono nanosecond timestamps. */
const SEED = {
  partition_id: 'partition_498827_0001',
  nodes: ['n1', 'n2', 'n3'],
  leader: 'n1',
  state: 'Active',
  size_bytes: 2_500_000_000,
  record_count: 1_250_000,
  created_at: '2026-11-27T11:00:00.123456789Z',
  updated_at: '2026-11-27T11:59:59.987654321+02:00',
};

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return (err as Error).message;
  }
  throw new Error('expected a StoreError');
};

describe('parsePartitionMetadata', () => {
  it('reads the seed value as written and keeps unknown fields in raw only', () => {
    const { record, raw } = parsePartitionMetadata(JSON.stringify({ ...SEED, crc32: 7 }), KEY);
    expect(record).toEqual(SEED);
    expect(Object.keys(record)).toEqual(Object.keys(SEED));
    expect(raw).toEqual({ ...SEED, crc32: 7 });
  });

  it('hands a reader the parsed value itself, unknown fields and all', () => {
    expect(readPartitionMetadata(JSON.stringify({ ...SEED, crc32: 7 }), KEY)).toEqual({ ...SEED, crc32: 7 });
  });

  it.each([
    ['{', 'value is not JSON'],
    ['[1]', 'expected a JSON object'],
    ['null', 'expected a JSON object'],
    [{ partition_id: undefined }, 'field partition_id is missing, expected a partition id'],
    [{ partition_id: '' }, 'field partition_id is "", expected a partition id'],
    [{ nodes: 'n1' }, 'field nodes is "n1", expected an array of node ids'],
    [{ nodes: ['n1', ''] }, 'field nodes[1] is "", expected a node id'],
    [{ nodes: ['n1', 2] }, 'field nodes[1] is 2, expected a node id'],
    [{ leader: null }, 'field leader is null, expected a node id'],
    [{ state: 'Gone' }, 'field state is "Gone", expected Active|Rebalancing|Migrating|ReadOnly'],
    [{ size_bytes: -1 }, 'field size_bytes is -1, expected a non-negative integer'],
    [{ size_bytes: 1.5 }, 'field size_bytes is 1.5, expected a non-negative integer'],
    [{ size_bytes: '1' }, 'field size_bytes is "1", expected a non-negative integer'],
    // Past 2^53 JSON.parse rounds: refused rather than read (and rewritten) as another number.
    [{ size_bytes: 2 ** 53 }, 'field size_bytes is 9007199254740992, expected a non-negative integer'],
    [{ record_count: undefined }, 'field record_count is missing, expected a non-negative integer'],
    [
      { created_at: '2026-11-27 11:00:00Z' },
      'field created_at is "2026-11-27 11:00:00Z", expected an RFC 3339 time',
    ],
    [
      { updated_at: '2026-11-27T11:00:00.Z' },
      'field updated_at is "2026-11-27T11:00:00.Z", expected an RFC 3339 time',
    ],
    [
      { updated_at: '2026-11-27T11:00:00Z\n' },
      'field updated_at is "2026-11-27T11:00:00Z\\n", expected an RFC 3339 time',
    ],
    // Several bad fields: the first in the seed's field order is named.
    [{ updated_at: 1, state: 'x', nodes: [] as string[], size_bytes: -2 }, 'field state is "x"'],
  ])('names the key and the first bad field of %j', (change, expected) => {
    const value = typeof change === 'string' ? change : JSON.stringify({ ...SEED, ...change });
    for (const parse of [parsePartitionMetadata, readPartitionMetadata]) {
      const m = message(() => parse(value, KEY));
      expect(m.startsWith(`${KEY}: ${expected}`)).toBe(true);
      expect(m).not.toContain('\n');
    }
  });

  it('the hand check agrees with the schema on any mix of good and bad fields', () => {
    // Per field: values that pass its check, and values that do not (undefined: left out).
    const fields: [keyof typeof SEED, unknown[], unknown[]][] = [
      ['partition_id', ['p', 'partition_1_0001'], ['', 1, null, undefined, ['p']]],
      ['nodes', [[], ['a'], ['a', 'b', 'c']], [[''], ['a', 1], 'a', {}, undefined, [null]]],
      ['leader', ['', 'n1'], [1, null, undefined, ['n1']]],
      ['state', ['Active', 'Rebalancing', 'Migrating', 'ReadOnly'], ['active', '', 'Up', 0, undefined]],
      ['size_bytes', [0, 1, 2 ** 53 - 1, 4e9], [-1, 0.5, '1', NaN, null, undefined, -0.5, 2 ** 53, 1e300]],
      ['record_count', [0, 7, 1e15], [-3, 2.25, '0', true, undefined]],
      [
        'created_at',
        ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.1-05:30'],
        ['2026-01-01', '', 5, undefined],
      ],
      [
        'updated_at',
        ['2026-01-01T00:00:00.123456789Z'],
        ['2026-01-01T00:00:00', 'x2026-01-01T00:00:00Z', null],
      ],
    ];
    const pick = fields.map(([, good, bad]) =>
      // Mostly good, so that one bad field among good ones (what the one-pass check must catch) is common.
      fc.oneof(
        { arbitrary: fc.record({ ok: fc.constant(true), v: fc.constantFrom(...good) }), weight: 5 },
        { arbitrary: fc.record({ ok: fc.constant(false), v: fc.constantFrom(...bad) }), weight: 1 },
      ),
    );
    fc.assert(
      fc.property(fc.tuple(...pick), fc.boolean(), (chosen, extra) => {
        const value: Record<string, unknown> = {};
        chosen.forEach((c, i) => (value[fields[i]![0]] = c.v));
        if (extra) value.crc32 = 1;
        const firstBad = chosen.findIndex((c) => !c.ok);
        const text = JSON.stringify(value);
        // The listing's hand check and the schema give one answer, and the right one.
        const parsed = JSON.parse(text) as Record<string, unknown>;
        expect([isPartitionMetadata(parsed), v.is(PARTITION_METADATA, parsed)]).toEqual([
          firstBad < 0,
          firstBad < 0,
        ]);
        if (firstBad < 0) {
          expect(readPartitionMetadata(text, KEY)).toEqual(JSON.parse(text));
          expect(parsePartitionMetadata(text, KEY).raw).toEqual(JSON.parse(text));
        } else {
          const name = fields[firstBad]![0];
          expect(message(() => readPartitionMetadata(text, KEY))).toMatch(
            new RegExp(`^${KEY}: field ${name}(\\[\\d+\\])? is `),
          );
          expect(message(() => parsePartitionMetadata(text, KEY))).toMatch(
            new RegExp(`^${KEY}: field ${name}(\\[\\d+\\])? is `),
          );
        }
      }),
      { numRuns: 2000 },
    );
  });
});
