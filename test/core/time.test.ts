import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatPreciseTime,
  formatTime,
  timeBucketString,
  TimeRangePartitioner,
} from '../../src/core/time.js';
import { parseDuration, parseTime } from '../../src/core/time-input.js';
import { UsageError } from '../../src/core/errors.js';

const H = 3_600_000;
const t = (iso: string) => Date.parse(iso);

describe('TimeRangePartitioner', () => {
  const hourly = new TimeRangePartitioner(1, 30);

  it.each([
    ['2025-10-10T14:00:00Z', 1, 488_918],
    ['2025-10-10T14:59:59.999Z', 1, 488_918],
    ['2025-10-10T15:00:00Z', 1, 488_919],
    ['1970-01-01T00:00:00Z', 1, 0],
    ['1969-12-31T23:59:59Z', 1, -1],
    ['2025-10-10T14:00:00Z', 6, 81_486],
  ])('bucket of %s at %ih is %i', (iso, g, bucket) => {
    expect(new TimeRangePartitioner(g, 30).bucketOf(t(iso))).toBe(bucket);
  });

  it.each([
    // [from, to, expected bucket count] — unaligned starts are where the seed's loop lost a bucket.
    ['2025-10-10T14:30:00Z', '2025-10-10T16:10:00Z', 3],
    ['2025-10-10T14:00:00Z', '2025-10-10T16:00:00Z', 2],
    ['2025-10-10T14:59:00Z', '2025-10-10T15:01:00Z', 2],
    ['2025-10-10T14:10:00Z', '2025-10-10T14:20:00Z', 1],
    ['2025-10-10T14:10:00Z', '2025-10-10T14:10:00Z', 0],
    ['2025-10-10T15:00:00Z', '2025-10-10T14:00:00Z', 0],
  ])('range %s .. %s holds %i buckets', (from, to, n) => {
    expect(hourly.bucketsInRange(t(from), t(to))).toHaveLength(n);
  });

  it('a range yields exactly the buckets that intersect it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 48 }),
        fc.integer({ min: -1e12, max: 4e12 }),
        fc.integer({ min: 0, max: 400 * H }),
        (g, from, len) => {
          const p = new TimeRangePartitioner(g, 30);
          const to = from + len;
          const got = p.bucketsInRange(from, to);
          // Every returned bucket intersects [from, to) and they are consecutive.
          for (const b of got) {
            const { start, end } = p.partition(b);
            expect(start < to && end > from).toBe(true);
          }
          got.forEach((b, i) => i > 0 && expect(b).toBe(got[i - 1]! + 1));
          // Nothing just outside does.
          if (got.length > 0) {
            expect(p.partition(got[0]! - 1).end <= from).toBe(true);
            expect(p.partition(got[got.length - 1]! + 1).start >= to).toBe(true);
          } else expect(len).toBe(0);
        },
      ),
    );
  });

  it('expired exactly when the partition ends at or before now − retention', () => {
    const now = t('2026-03-31T12:30:00Z');
    const cutoff = now - 30 * 24 * H;
    const b = hourly.bucketOf(cutoff); // holds the cutoff: ends after it
    expect(hourly.isExpired(b, now)).toBe(false);
    expect(hourly.isExpired(b - 1, now)).toBe(true);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600_000 }), fc.integer({ min: 1, max: 400 }), (bucket, days) => {
        const expired = hourly.isExpired(bucket, now, days);
        expect(expired).toBe(hourly.partition(bucket).end <= now - days * 24 * H);
      }),
    );
  });
});

describe('time formats', () => {
  it.each([
    [1_728_568_800_000, '2024-10-10-14'],
    [Date.parse('2025-01-01T00:59:59Z'), '2025-01-01-00'],
  ])('time_bucket of %i is %s', (ms, s) => expect(timeBucketString(ms)).toBe(s));

  it('prints RFC 3339 UTC, without a fraction on whole seconds', () => {
    expect(formatTime(Date.parse('2026-01-01T12:00:00Z'))).toBe('2026-01-01T12:00:00Z');
    // One style everywhere: a clock reading prints in whole seconds, as `now-2h` does.
    expect(formatTime(Date.parse('2026-01-01T12:00:00.250Z'))).toBe('2026-01-01T12:00:00Z');
    expect(formatTime(Date.parse('1969-12-31T23:59:59.750Z'))).toBe('1969-12-31T23:59:59Z');
    expect(formatPreciseTime(Date.parse('2026-01-01T12:00:00.250Z'))).toBe('2026-01-01T12:00:00.250Z');
    expect(formatPreciseTime(Date.parse('2026-01-01T12:00:00Z'))).toBe('2026-01-01T12:00:00Z');
  });
});

describe('parseTime / parseDuration', () => {
  const now = t('2026-11-27T12:00:00Z');
  it.each([
    ['now', now],
    ['now-2h', now - 2 * H],
    ['-30m', now - 30 * 60_000],
    ['now+1d', now + 24 * H],
    ['1767268800', t('2026-01-01T12:00:00Z')],
    ['2026-01-01T12:00:00Z', t('2026-01-01T12:00:00Z')],
    ['2026-01-01T13:00:00+01:00', t('2026-01-01T12:00:00Z')],
    ['2026-01-01T12:00:00.123456789Z', t('2026-01-01T12:00:00.123Z')],
    ['2026-01-01', t('2026-01-01T00:00:00Z')],
  ])('%s', (input, ms) => expect(parseTime(input, now)).toBe(ms));

  it.each([
    'yesterday',
    '2026-02-30T00:00:00Z',
    '2026-01-01T12:00:00',
    '1767268800000',
    'now-2x',
    '',
    '12:00',
  ])('refuses %j with a usage error naming it', (input) => {
    expect(() => parseTime(input, now, '--at')).toThrow(UsageError);
    expect(() => parseTime(input, now, '--at')).toThrow(/--at/);
  });

  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
  ])('duration %s', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each(['2', 'h', '-1h', '1y'])('refuses duration %j', (input) =>
    expect(() => parseDuration(input)).toThrow(UsageError),
  );
});
