/**
 * Time-range partitioning (the seed's `TimeRangePartitioner`), on milliseconds since the epoch.
 * Differences from the seed, on purpose: the range walk returns every bucket that intersects
 * [from, to) (the seed's loop misses the last one when `from` is not aligned), and expiry is a
 * test on a bucket rather than a walk of every hour since 1970.
 */

const HOUR_MS = 3_600_000;

export interface TimePartition {
  bucket_id: number;
  /** Inclusive start, ms since the epoch. */
  start: number;
  /** Exclusive end, ms since the epoch. */
  end: number;
}

export class TimeRangePartitioner {
  private readonly widthMs: number;

  constructor(
    readonly granularityHours: number,
    readonly retentionDays: number,
  ) {
    this.widthMs = granularityHours * HOUR_MS;
  }

  /** Bucket of an instant: floor(unix_seconds / (G·3600)). */
  bucketOf(timeMs: number): number {
    return Math.floor(timeMs / this.widthMs);
  }

  partition(bucketId: number): TimePartition {
    return { bucket_id: bucketId, start: bucketId * this.widthMs, end: (bucketId + 1) * this.widthMs };
  }

  partitionAt(timeMs: number): TimePartition {
    return this.partition(this.bucketOf(timeMs));
  }

  /** Every bucket id intersecting [fromMs, toMs), ascending; empty when to ≤ from. */
  bucketsInRange(fromMs: number, toMs: number): number[] {
    if (!(toMs > fromMs)) return [];
    const first = this.bucketOf(fromMs);
    // The last bucket is the one holding the last instant before `to`.
    const last = Math.ceil(toMs / this.widthMs) - 1;
    const out: number[] = [];
    for (let b = first; b <= last; b++) out.push(b);
    return out;
  }

  partitionsInRange(fromMs: number, toMs: number): TimePartition[] {
    return this.bucketsInRange(fromMs, toMs).map((b) => this.partition(b));
  }

  /** `now − retention`: partitions ending at or before it are expired. */
  cutoff(nowMs: number, retentionDays = this.retentionDays): number {
    return nowMs - retentionDays * 24 * HOUR_MS;
  }

  isExpired(bucketId: number, nowMs: number, retentionDays = this.retentionDays): boolean {
    return this.partition(bucketId).end <= this.cutoff(nowMs, retentionDays);
  }
}

/** The seed's `time_bucket`: the UTC hour of an instant as `%Y-%m-%d-%H`. */
export function timeBucketString(timeMs: number): string {
  const iso = new Date(timeMs).toISOString(); // 2025-10-10T14:03:00.000Z
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}`;
}

/**
 * RFC 3339 UTC in whole seconds: the one style every time prints in, so `--at now-2h` and an
 * implicit now (a clock reading with milliseconds) look alike. Values whose fraction means
 * something use `formatPreciseTime`.
 */
export function formatTime(timeMs: number): string {
  return `${new Date(Math.floor(timeMs / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** RFC 3339 UTC with milliseconds when the instant has them (a span's start in OTLP data). */
export function formatPreciseTime(timeMs: number): string {
  const iso = new Date(timeMs).toISOString();
  return timeMs % 1000 === 0 ? `${iso.slice(0, 19)}Z` : iso;
}
