import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { formatPartitionId, parsePartitionId } from '../../src/core/partition-id.js';
import { parseTraceId } from '../../src/core/trace-id.js';
import { ServiceNameRangePartitioner } from '../../src/core/range.js';
import { parseConfig, DEFAULT_CONFIG } from '../../src/core/config.js';

describe('parseTraceId', () => {
  it.each([
    ['4bf92f3577b34da6a3ce929d0e0e4736', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['4BF92F3577B34DA6A3CE929D0E0E4736', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['  4bf92f3577b34da6a3ce929d0e0e4736 ', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future', '4bf92f3577b34da6a3ce929d0e0e4736'],
  ])('%s', (input, hex) => expect(parseTraceId(input)).toBe(hex));

  it.each([
    '00000000000000000000000000000000',
    '4bf92f3577b34da6a3ce929d0e0e473',
    '4bf92f3577b34da6a3ce929d0e0e47366',
    '4bf92f3577b34da6a3ce929d0e0e473g',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '',
  ])('refuses %j, naming it', (input) => {
    expect(() => parseTraceId(input)).toThrow(UsageError);
    expect(() => parseTraceId(input)).toThrow(input === '' ? /trace id/ : input.trim());
  });
});

describe('partition ids', () => {
  it.each([
    ['traces', 493_000, 7, 'partition_493000_0007'],
    ['metrics', 493_000, 255, 'metrics_partition_493000_0255'],
    ['logs', 1, 12_345, 'logs_partition_1_12345'],
    ['traces', -5, 0, 'partition_-5_0000'],
  ] as const)('%s %i %i → %s', (signal, bucket, hash, id) => {
    expect(formatPartitionId(signal, bucket, hash)).toBe(id);
    expect(parsePartitionId(id)).toEqual({ signal, bucket_id: bucket, hash_partition: hash });
  });

  it.each([
    'partition_493000_007',
    'partition_493000_00007',
    'partition_0493000_0007',
    'partition_-0_0007',
    'partition_493000_0007 ',
    'partitions_493000_0007',
    'traces_partition_1_0001',
    'partition_1.5_0001',
    'partition__0001',
    'partition_99999999999999999_0001',
  ])('%j is not a partition id', (id) => expect(parsePartitionId(id)).toBeUndefined());

  it('round-trips every id it formats', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('traces' as const, 'metrics' as const, 'logs' as const),
        fc.integer({ min: -1e9, max: 1e12 }),
        fc.integer({ min: 0, max: 1_048_575 }),
        (signal, bucket, hash) => {
          const id = formatPartitionId(signal, bucket, hash);
          expect(parsePartitionId(id)).toEqual({ signal, bucket_id: bucket, hash_partition: hash });
        },
      ),
    );
  });

  it('never accepts a string that does not format back to itself', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const p = parsePartitionId(s);
        if (p) expect(formatPartitionId(p.signal, p.bucket_id, p.hash_partition)).toBe(s);
      }),
    );
  });
});

describe('ServiceNameRangePartitioner', () => {
  it('alphabetic boundaries as the seed makes them', () => {
    expect(ServiceNameRangePartitioner.alphabetic(4).boundaries).toEqual(['a', 'g', 'm', 's']);
    expect(ServiceNameRangePartitioner.alphabetic(1).boundaries).toEqual(['a']);
    expect(ServiceNameRangePartitioner.alphabetic(26).boundaries).toHaveLength(26);
  });

  it.each([0, 27, 100, 2.5])('refuses %d alphabetic partitions (the seed divides by zero past 26)', (n) =>
    expect(() => ServiceNameRangePartitioner.alphabetic(n)).toThrow(UsageError),
  );

  it.each([
    ['api', 0],
    ['a', 0],
    ['gateway', 1],
    ['g', 1],
    ['checkout', 0],
    ['zeta', 3],
    ['', 0],
    ['Zebra', 0],
  ])('%j → partition %i', (name, p) =>
    expect(ServiceNameRangePartitioner.alphabetic(4).partitionOf(name)).toBe(p),
  );

  it('range covers both ends', () => {
    expect(ServiceNameRangePartitioner.alphabetic(4).partitionsInRange('billing', 'payments')).toEqual([
      0, 1, 2,
    ]);
  });

  it('lookup agrees with a linear scan', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 20 }),
        fc.string({ maxLength: 5 }),
        (b, key) => {
          const sorted = [...b].sort((x, y) =>
            Buffer.from(x) < Buffer.from(y) ? -1 : Buffer.compare(Buffer.from(x), Buffer.from(y)),
          );
          const r = new ServiceNameRangePartitioner(sorted);
          const k = Buffer.from(key);
          let expected = 0;
          sorted.forEach((x, i) => Buffer.compare(Buffer.from(x), k) <= 0 && (expected = i));
          expect(r.partitionOf(key)).toBe(expected);
        },
      ),
    );
  });
});

describe('parseConfig', () => {
  it('fills defaults and keeps unknown fields', () => {
    expect(parseConfig({ retention_days: 7, extra: { a: 1 } }, 'c')).toEqual({
      ...DEFAULT_CONFIG,
      retention_days: 7,
      extra: { a: 1 },
    });
  });
  it.each([
    [{ hash_partitions: 0 }, /hash_partitions is 0, expected an integer/],
    [{ hash: 'md5' }, /hash is "md5", expected xxh64 or rust-siphash13/],
    [{ granularity_hours: 1.5 }, /granularity_hours/],
    [{ imbalance_threshold: -1 }, /imbalance_threshold/],
    [[], /expected a JSON object/],
  ])('refuses %j', (raw, msg) => expect(() => parseConfig(raw, 'c')).toThrow(msg));
});
