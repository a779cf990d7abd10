import { hashTraceIdMod } from './hash/index.js';
import type { PartitionLocator } from './locator.js';
import type { PartitionMetadata } from './model.js';
import { formatPartitionId } from './partition-id.js';
import { resolvePlacement } from './placement.js';

/**
 * The batch-locate hot path, kept in one place and measured by `bench/`: trace id bytes and a
 * time in, a memoised route out. A time partition holds only `hash_partitions` distinct routes,
 * so after the first trace of each (bucket, hash) a locate is one hash and one Map lookup.
 */

export interface Route {
  partition_id: string;
  source: 'metadata' | 'ring';
  leader: string;
  replicas: readonly string[];
  /** Dense, per router: lets a caller keep per-route data in an array rather than a map. */
  index: number;
}

/** Stored metadata of one time bucket, by partition id; `undefined` means "not loaded yet". */
export type BucketMetadata = (bucketId: number) => ReadonlyMap<string, PartitionMetadata> | undefined;

// ASCII hex digit → value, 255 for anything else.
const HEX = new Uint8Array(256).fill(255);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[65 + i] = HEX[97 + i] = 10 + i;

export class TraceRouter {
  // Routes by bucket, then by hash partition; the last bucket is kept at hand since input is
  // usually time-ordered.
  private readonly byBucket = new Map<number, (Route | undefined)[]>();
  private lastBucket = Number.NaN;
  private lastRoutes: (Route | undefined)[] = [];
  private built = 0;
  private readonly id = new Uint8Array(16);
  private readonly n: number;
  private readonly widthMs: number;

  constructor(
    private readonly locator: PartitionLocator,
    private readonly metadata: BucketMetadata = () => new Map(),
  ) {
    this.n = locator.config.hash_partitions;
    this.widthMs = locator.config.granularity_hours * 3_600_000;
  }

  /** Hash partition of the 32 hex digits at `buf[pos..pos+32)`, or -1 if they are not hex / all zero. */
  hashPartitionOfHex(buf: Uint8Array, pos: number): number {
    const s = this.id;
    let any = 0;
    for (let i = 0; i < 16; i++) {
      const hi = HEX[buf[pos + 2 * i]!]!;
      const lo = HEX[buf[pos + 2 * i + 1]!]!;
      if ((hi | lo) === 255) return -1;
      const b = (hi << 4) | lo;
      s[i] = b;
      any |= b;
    }
    if (any === 0) return -1;
    return hashTraceIdMod(this.locator.hasher, s, this.n);
  }

  bucketOf(timeMs: number): number {
    return Math.floor(timeMs / this.widthMs);
  }

  /** Whether `route` can answer for this bucket without the caller loading its metadata first. */
  ready(bucketId: number): boolean {
    return this.metadata(bucketId) !== undefined;
  }

  route(bucketId: number, hashPartition: number): Route {
    let routes = this.lastRoutes;
    if (bucketId !== this.lastBucket) {
      routes = this.byBucket.get(bucketId) ?? [];
      if (routes.length === 0) this.byBucket.set(bucketId, routes);
      this.lastBucket = bucketId;
      this.lastRoutes = routes;
    }
    return (routes[hashPartition] ??= this.build(bucketId, hashPartition));
  }

  /**
   * `route` if the bucket's metadata is at hand, else undefined (load it, then call `route`). One
   * lookup per line: the hot loop's bucket changes on almost every line of unsorted input.
   */
  routeIfReady(bucketId: number, hashPartition: number): Route | undefined {
    if (bucketId !== this.lastBucket) {
      const routes = this.byBucket.get(bucketId);
      if (routes === undefined) return this.ready(bucketId) ? this.route(bucketId, hashPartition) : undefined;
      this.lastBucket = bucketId;
      this.lastRoutes = routes;
    }
    return (this.lastRoutes[hashPartition] ??= this.build(bucketId, hashPartition));
  }

  /** Library form: a 32-hex trace id and a time in ms. */
  locate(traceIdHex: string, timeMs: number): Route {
    const bytes = new Uint8Array(32);
    for (let i = 0; i < 32; i++) bytes[i] = traceIdHex.charCodeAt(i);
    const h = traceIdHex.length === 32 ? this.hashPartitionOfHex(bytes, 0) : -1;
    if (h < 0) throw new RangeError(`trace id '${traceIdHex}': expected 32 hex digits, not all zero`);
    return this.route(this.bucketOf(timeMs), h);
  }

  private build(bucketId: number, hashPartition: number): Route {
    const partitionId = formatPartitionId('traces', bucketId, hashPartition);
    const meta = this.metadata(bucketId)?.get(partitionId);
    const p = resolvePlacement(partitionId, this.locator.ringReplicas(partitionId), meta);
    return {
      partition_id: partitionId,
      source: p.source,
      leader: p.leader ?? '',
      replicas: p.replicas,
      index: this.built++,
    };
  }
}
