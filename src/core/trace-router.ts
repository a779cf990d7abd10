import { hashTraceIdMod } from './hash/index.js';
import type { PartitionLocator } from './locator.js';
import type { PartitionMetadata } from './model.js';
import { formatPartitionId } from './partition-id.js';
import { flatten, type BucketKeys, type FlatSets } from './bounded-sweep.js';
import { walkReplicas } from './replica-walk.js';

/**
 * The batch-locate hot path, kept in one place and measured by `bench/`: trace id bytes and a
 * time in, a placement out. A month of input meets 720 × 256 = 184,320 partitions, each a few
 * times, so nothing here is an object per partition: a time bucket's routes are one Int32Array
 * of placement numbers, and a placement (source, leader, replicas) is interned, since a
 * cluster has few distinct replica lists. Both tables are bounded; see the constants below.
 */

/** Where a partition lives (PRODUCT.md §2.5), as the batch path reports it. */
export interface RoutePlacement {
  readonly source: 'metadata' | 'ring';
  readonly leader: string;
  readonly replicas: readonly string[];
}

export interface Route extends RoutePlacement {
  partition_id: string;
}

/**
 * Stored metadata of one time bucket, by partition id; `undefined` means "not loaded yet". The
 * router asks when it takes a bucket into its table and keeps only the placements, so a caller
 * need not hold on to the map (a bucket pushed out of the table is asked for again).
 */
export type BucketMetadata = (bucketId: number) => ReadonlyMap<string, PartitionMetadata> | undefined;

// Route table: at most ROUTE_BUDGET entries in a power-of-two number of bucket slots, direct-
// mapped by bucket id: 4096 hours (~5.6 months) at 256 hash partitions, 2 MB. One flat array of
// 16-bit entries (placement number + 1, 0 while not computed): a month's 184,320 routes then
// take 368 kB, and a lookup is one load — the table is read on every line, and a larger or
// nested one measured slower at month scale (cache misses) than at one hour.
const ROUTE_BUDGET = 1 << 20;
// Distinct placements before the tables start again (ids restart; see `generation`): what a
// 16-bit entry holds, or two buckets' worth when a bucket holds more (then 32-bit entries).
const MAX_PLACEMENTS_16 = 0xffff;
// Buckets of up to this many hash partitions are routed whole when taken (`take`).
const EAGER_PARTITIONS = 4096;
const NONE = new Map<string, PartitionMetadata>();
const PARTITION = new TextEncoder().encode('partition_');

// ASCII hex digit → value, 255 for anything else.
const HEX = new Uint8Array(256).fill(255);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[65 + i] = HEX[97 + i] = 10 + i;

export class TraceRouter {
  private readonly id = new Uint8Array(16);
  private readonly n: number;
  private readonly widthMs: number;
  private readonly mask: number;
  private readonly slotBucket: Float64Array;
  private readonly routes: Uint16Array | Int32Array;
  private readonly placements: RoutePlacement[] = [];
  private readonly placementIds = new Map<string, number>();
  // Ring placements by their replica list as a number (see `ringPlacement`).
  private readonly ringIds = new Map<number, number>();
  private readonly key = new Uint8Array(64);
  private readonly keyHash = new Uint32Array(2);
  private readonly rf: number;
  private readonly base: number;
  private readonly plainRing: boolean;
  private readonly maxPlacements: number;
  private gen = 0;
  private keys: BucketKeys | undefined;

  constructor(
    private readonly locator: PartitionLocator,
    private readonly metadata: BucketMetadata = () => NONE,
  ) {
    this.n = locator.config.hash_partitions;
    this.widthMs = locator.config.granularity_hours * 3_600_000;
    const slots = 2 ** Math.max(0, Math.floor(Math.log2(ROUTE_BUDGET / this.n)));
    this.mask = slots - 1;
    this.slotBucket = new Float64Array(slots).fill(Number.NaN);
    this.maxPlacements = Math.max(MAX_PLACEMENTS_16, 2 * this.n);
    const entries = slots * this.n;
    this.routes =
      this.maxPlacements === MAX_PLACEMENTS_16 ? new Uint16Array(entries) : new Int32Array(entries);
    this.rf = locator.config.replication_factor;
    this.base = locator.ring.nodeIds.length + 1;
    this.plainRing = locator.config.placement !== 'bounded' && !locator.config.zone_aware;
    this.key.set(PARTITION);
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

  /**
   * The placement number of partition (bucket, hash partition), or -1 when the bucket's stored
   * metadata is not at hand (load it so that `metadata` returns it, then ask again). Numbers are
   * dense and stay valid until `generation` changes.
   */
  placementIfReady(bucketId: number, hashPartition: number): number {
    const slot = bucketId & this.mask;
    if (this.slotBucket[slot] !== bucketId && !this.take(bucketId, slot)) return -1;
    const at = slot * this.n + hashPartition;
    const p = this.routes[at]!;
    if (p !== 0) return p - 1;
    const q = this.ringPlacement(bucketId, hashPartition);
    this.routes[at] = q + 1;
    return q;
  }

  placement(n: number): RoutePlacement {
    return this.placements[n]!;
  }

  /** Bumped when the placement numbers start again (after 65,536 distinct ones, or 2 buckets' worth). */
  get generation(): number {
    return this.gen;
  }

  /** Library form of `placementIfReady`, with the partition id; throws if metadata is not loaded. */
  route(bucketId: number, hashPartition: number): Route {
    const p = this.placementIfReady(bucketId, hashPartition);
    if (p < 0) throw new Error(`bucket ${bucketId}: its stored metadata is not loaded`);
    return { partition_id: formatPartitionId('traces', bucketId, hashPartition), ...this.placements[p]! };
  }

  /** Library form: a 32-hex trace id and a time in ms. */
  locate(traceIdHex: string, timeMs: number): Route {
    const bytes = new Uint8Array(32);
    for (let i = 0; i < 32; i++) bytes[i] = traceIdHex.charCodeAt(i);
    const h = traceIdHex.length === 32 ? this.hashPartitionOfHex(bytes, 0) : -1;
    if (h < 0) throw new RangeError(`trace id '${traceIdHex}': expected 32 hex digits, not all zero`);
    return this.route(this.bucketOf(timeMs), h);
  }

  /** Makes `slot` hold `bucketId`: its stored placements, and the ring's for the others. */
  private take(bucketId: number, slot: number): boolean {
    const stored = this.metadata(bucketId);
    if (stored === undefined) return false;
    const routes = this.routes;
    const at = slot * this.n;
    for (;;) {
      const gen = this.gen;
      routes.fill(0, at, at + this.n);
      for (const [id, meta] of stored) {
        const hash = Number(id.slice(id.lastIndexOf('_') + 1));
        // Only this bucket's trace ids (a store may hold odd keys under the prefix).
        if (id !== formatPartitionId('traces', bucketId, hash) || hash >= this.n) continue;
        routes[at + hash] = this.intern('metadata', meta.leader ?? '', meta.nodes) + 1;
      }
      // The ring's routes too, in one go while the code and the ring are hot: a month meets
      // nearly every route of every bucket (1,000,000 lines, 184,320 routes).
      if (!this.plainRing) {
        // A per-bucket assignment (bounded) is made for the whole bucket anyway.
        const { want, set, got } = this.bucketAssignment(bucketId);
        for (let h = 0; h < this.n; h++)
          if (routes[at + h] === 0) routes[at + h] = this.placementOfIndexes(set, h * want, got[h]!) + 1;
      } else if (this.n <= EAGER_PARTITIONS)
        for (let h = 0; h < this.n; h++)
          if (routes[at + h] === 0) routes[at + h] = this.ringPlacement(bucketId, h) + 1;
      this.slotBucket[slot] = bucketId;
      // A restart while filling left numbers of the last generation behind: fill again.
      if (this.gen === gen) return true;
    }
  }

  /**
   * `locator.ringReplicas` of the partition's id, for the seed's plain ring. Hashing the id from
   * its bytes (as a Rust `str`: the bytes, then 0xFF) without making the string, and keying the
   * placement by its replica indexes as a number, took the per-partition work from ~3 µs to
   * well under one.
   */
  private ringPlacement(bucketId: number, hashPartition: number): number {
    if (!this.plainRing) {
      const { want, set, got } = this.bucketAssignment(bucketId);
      return this.placementOfIndexes(set, hashPartition * want, got[hashPartition]!);
    }
    this.hashId(bucketId, hashPartition);
    return this.placementOfIndexes(
      this.locator.ring.replicasOfHash(this.keyHash[0]!, this.keyHash[1]!, this.rf),
    );
  }

  /**
   * The locator's `bucketReplicas` for `bounded` / `zone_aware` (as node indexes), made the same
   * way — key hashes and start points, then `BoundedPlacement` or the zone-aware walk — but from the ids' bytes and
   * without keeping the bucket: through the locator (strings, and its memo of 2,048 buckets)
   * this cost +30% time and +40 MB at month scale.
   */
  private bucketAssignment(bucketId: number): FlatSets {
    const { ring, config } = this.locator;
    // Reused bucket after bucket: the placements read the keys, they do not keep them.
    const { starts, keyHi, keyLo } = (this.keys ??= {
      starts: new Uint32Array(this.n),
      keyHi: new Uint32Array(this.n),
      keyLo: new Uint32Array(this.n),
    });
    for (let h = 0; h < this.n; h++) {
      this.hashId(bucketId, h);
      keyHi[h] = this.keyHash[0]!;
      keyLo[h] = this.keyHash[1]!;
      starts[h] = ring.startOfHash(keyHi[h]!, keyLo[h]!);
    }
    if (config.placement === 'bounded') return this.locator.boundedPlacement.flatOfKeys(this.keys);
    const want = Math.min(this.rf, ring.nodeIds.length);
    const sets: number[][] = [];
    for (let h = 0; h < this.n; h++)
      sets.push(ring.pointCount === 0 ? [] : walkReplicas(ring, starts[h]!, want, [], { zoneAware: true }));
    return flatten(sets, want);
  }

  /** H(partition id as a Rust str) → keyHash. */
  private hashId(bucketId: number, hashPartition: number): void {
    const key = this.key;
    let end = PARTITION.length;
    if (bucketId < 0) key[end++] = 45; // '-'
    end = digits(key, end, Math.abs(bucketId), 1);
    key[end++] = 95; // '_'
    end = digits(key, end, hashPartition, 4);
    key[end++] = 0xff;
    this.locator.hasher.hashInto(key, end, this.keyHash);
  }

  /**
   * A ring placement given as node indexes, interned by those as one number. A new one is added
   * without `intern`'s string key: no metadata placement can equal it (their sources differ), and
   * under `bounded` a month at 100 nodes has ~50,000 distinct sets, whose keys cost more than
   * the bucket assignments themselves.
   */
  private placementOfIndexes(replicas: ArrayLike<number>, from = 0, count = replicas.length): number {
    const ids = this.locator.ring.nodeIds;
    let code = 0;
    for (let i = from + count - 1; i >= from; i--) code = code * this.base + replicas[i]! + 1;
    const names: string[] = [];
    if (!Number.isSafeInteger(code)) {
      for (let i = 0; i < count; i++) names.push(ids[replicas[from + i]!]!);
      return this.intern('ring', names[0] ?? '', names);
    }
    let p = this.ringIds.get(code);
    if (p === undefined) {
      for (let i = 0; i < count; i++) names.push(ids[replicas[from + i]!]!);
      if (this.placements.length === this.maxPlacements) this.restart();
      p = this.placements.length;
      this.placements.push({ source: 'ring', leader: names[0] ?? '', replicas: names });
      this.ringIds.set(code, p);
    }
    return p;
  }

  private intern(source: RoutePlacement['source'], leader: string, replicas: readonly string[]): number {
    const key = `${source}\n${leader}\n${replicas.join('\n')}`;
    let p = this.placementIds.get(key);
    if (p !== undefined) return p;
    if (this.placements.length === this.maxPlacements) this.restart();
    p = this.placements.length;
    this.placements.push({ source, leader, replicas });
    this.placementIds.set(key, p);
    return p;
  }

  /** Forgets every route and placement; buckets are taken (and metadata asked for) again. */
  private restart(): void {
    this.placements.length = 0;
    this.placementIds.clear();
    this.ringIds.clear();
    this.slotBucket.fill(Number.NaN);
    this.gen++;
  }
}

/** The decimal digits of `v` ≥ 0, zero-padded to `width`, at `buf[p…]`; returns the end. */
export function digits(buf: Uint8Array, p: number, v: number, width: number): number {
  let n = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) n++;
  if (n < width) n = width;
  for (let i = p + n - 1; i >= p; i--) {
    const q = Math.floor(v / 10);
    buf[i] = 48 + v - q * 10;
    v = q;
  }
  return p + n;
}
