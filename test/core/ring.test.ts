import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getHasher } from '../../src/core/hash/index.js';
import { RustHashEncoder } from '../../src/core/hash/encoding.js';
import type { Hasher64 } from '../../src/core/hash/types.js';
import { ConsistentHashRing } from '../../src/core/ring.js';
import { countPlacements, idealMovedShare, movedPlacements, skew } from '../../src/core/ring-report.js';
import { preferReplica, resolvePlacement, type ReplicaView } from '../../src/core/placement.js';
import { PartitionLocator } from '../../src/core/locator.js';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import type { NodeInfo, PartitionMetadata } from '../../src/core/model.js';

const hashers = [getHasher('xxh64'), getHasher('rust-siphash13')];
const nodes = (n: number, prefix = 'node-') =>
  Array.from({ length: n }, (_, i) => ({ node_id: `${prefix}${i + 1}`, weight: 1 }));

describe.each(hashers)('ConsistentHashRing ($name)', (hasher) => {
  it('replicas are distinct and min(RF, nodes) long', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 6 }),
        fc.string(),
        (n, rf, key) => {
          const ring = new ConsistentHashRing(hasher, nodes(n), 20);
          const r = ring.replicas(key, rf);
          expect(r).toHaveLength(Math.min(rf, n));
          expect(new Set(r).size).toBe(r.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('adding a node moves partitions only onto that node', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 1e6 }),
        (n, rf, bucket) => {
          const before = new ConsistentHashRing(hasher, nodes(n), 30);
          const after = new ConsistentHashRing(hasher, [...nodes(n), { node_id: 'new', weight: 1 }], 30);
          for (let h = 0; h < 64; h++) {
            const id = `partition_${bucket}_${String(h).padStart(4, '0')}`;
            const old = before.replicas(id, rf);
            const now = after.replicas(id, rf);
            for (const x of now) if (!old.includes(x)) expect(x).toBe('new');
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('does not depend on the order nodes are given in', () => {
    const a = new ConsistentHashRing(hasher, nodes(7), 50);
    const b = new ConsistentHashRing(hasher, nodes(7).reverse(), 50);
    for (let h = 0; h < 100; h++) expect(a.replicas(`k${h}`, 3)).toEqual(b.replicas(`k${h}`, 3));
  });

  it('weights scale points, and shares sum to 1', () => {
    const ring = new ConsistentHashRing(
      hasher,
      [
        { node_id: 'a', weight: 2 },
        { node_id: 'b', weight: 0.5 },
        { node_id: 'c', weight: 1 },
      ],
      100,
    );
    const points = ring.pointsPerNode();
    expect(points.get('a')).toBe(200);
    expect(points.get('b')).toBe(50);
    const total = [...ring.shares().values()].reduce((x, y) => x + y, 0);
    expect(total).toBeCloseTo(1, 9);
    expect(ring.shares().get('a')!).toBeGreaterThan(ring.shares().get('b')!);
  });

  it('an empty ring places nothing', () => {
    expect(new ConsistentHashRing(hasher, [], 150).replicas('partition_1_0001', 3)).toEqual([]);
  });
});

describe('ring movement report', () => {
  const hasher = getHasher('xxh64');
  it('counts placements and moves; an added node only receives', () => {
    const buckets = [100, 101, 102];
    const counts = (n: number) => {
      const ring = new ConsistentHashRing(hasher, nodes(n), 150);
      const bucket = (b: number) =>
        Array.from({ length: 256 }, (_, h) =>
          ring.replicas(`partition_${b}_${String(h).padStart(4, '0')}`, 3),
        );
      return countPlacements(ring.nodeIds, buckets, bucket);
    };
    const before = counts(4);
    const after = counts(5);
    expect(before.total).toBe(3 * 256 * 3);
    const moved = movedPlacements(before, after);
    expect(moved).toBe(after.placements.get('node-5'));
    expect(movedPlacements(before, before)).toBe(0);
  });
  it.each([
    [4, 1, 0, 1 / 5],
    [4, 0, 1, 1 / 4],
    [10, 2, 2, 0.2],
  ])('ideal share: %i nodes, +%i −%i → %d', (n, a, r, ideal) =>
    expect(idealMovedShare(n, a, r)).toBeCloseTo(ideal),
  );
  it.each([
    [[10, 10, 10], 0],
    [[5, 10, 15], 0.5],
    [[], 0],
    [[0, 0], 0],
  ])('skew of %j is %d', (loads, s) => expect(skew(loads)).toBeCloseTo(s));
});

describe('placement authority and locality', () => {
  const meta = (
    nodes: string[],
    leader: string,
    state: PartitionMetadata['state'] = 'Active',
  ): PartitionMetadata => ({
    partition_id: 'partition_1_0001',
    nodes,
    leader,
    state,
    size_bytes: 1,
    record_count: 1,
    created_at: '2025-10-10T14:00:00Z',
    updated_at: '2025-10-10T14:00:00Z',
  });
  it('ring when no metadata; metadata wins and disagreement is flagged', () => {
    expect(resolvePlacement('p', ['a', 'b', 'c'], undefined)).toMatchObject({
      source: 'ring',
      leader: 'a',
      disagrees: false,
    });
    expect(resolvePlacement('p', ['a', 'b', 'c'], meta(['c', 'b', 'a'], 'b'))).toMatchObject({
      source: 'metadata',
      leader: 'b',
      replicas: ['c', 'b', 'a'],
      disagrees: false,
    });
    expect(resolvePlacement('p', ['a', 'b', 'c'], meta(['d', 'b', 'c'], 'd', 'Migrating'))).toMatchObject({
      disagrees: true,
      migrating: true,
    });
  });

  const loc = (region: string, availability_zone: string, data_center: string) => ({
    region,
    availability_zone,
    data_center,
  });
  const replicas: ReplicaView[] = [
    { node_id: 'r1', state: 'Up', location: loc('us', 'us-a', 'dc1') },
    { node_id: 'r2', state: 'Down', location: loc('eu', 'eu-a', 'dc2') },
    { node_id: 'r3', state: 'Up', location: loc('eu', 'eu-b', 'dc3') },
    { node_id: 'r4', state: 'Up', location: loc('eu', 'eu-a', 'dc4') },
  ];
  it.each([
    [{ data_center: 'dc3', availability_zone: 'eu-b', region: 'eu' }, 'r3', /same data center/],
    [{ data_center: 'dc2', availability_zone: 'eu-a', region: 'eu' }, 'r4', /same availability zone/],
    [{ data_center: 'dcX', availability_zone: 'eu-z', region: 'eu' }, 'r3', /same region/],
    [{ data_center: 'dcX', availability_zone: 'ap-z', region: 'ap' }, 'r1', /first Up replica/],
    [undefined, 'r1', /no vantage/],
  ])('from %j prefers %s', (vantage, node, reason) => {
    const p = preferReplica(replicas, vantage);
    expect(p?.node_id).toBe(node);
    expect(p?.reason).toMatch(reason);
  });
  it('never prefers a replica that is not Up', () => {
    expect(
      preferReplica(
        replicas.map((r) => ({ ...r, state: 'Down' as const })),
        undefined,
      ),
    ).toBeNull();
    expect(preferReplica(replicas, { data_center: 'dc2' })?.node_id).not.toBe('r2');
  });

  it('Draining nodes take no ring positions; Down nodes keep theirs', () => {
    const mk = (id: string, state: NodeInfo['state']): NodeInfo => ({
      node_id: id,
      weight: 1,
      state,
      location: loc('', '', ''),
    });
    const l = new PartitionLocator(DEFAULT_CONFIG, [mk('a', 'Up'), mk('b', 'Down'), mk('c', 'Draining')]);
    expect(l.ring.nodeIds).toEqual(['a', 'b']);
  });
});

describe('ConsistentHashRing with a colliding hash (ties and equal high halves)', () => {
  // A deliberately weak hash: few distinct high halves, so the sort's tie handling is exercised.
  const weak: Hasher64 = {
    name: 'xxh64',
    hashInto(bytes, length, out) {
      let s = 0;
      for (let i = 0; i < length; i++) s = (s * 31 + bytes[i]!) >>> 0;
      out[0] = s % 5;
      out[1] = (s >>> 3) % 3;
    },
    hash: () => 0n,
    hashMod: () => 0,
  };
  /** The seed's walk, written plainly: equal points go to the id sorting last. */
  function reference(ids: string[], vnodes: number, key: string, rf: number): string[] {
    const points = new Map<string, { hi: number; lo: number; owner: string }>();
    const enc = new RustHashEncoder();
    const out = new Uint32Array(2);
    for (const id of ids) {
      for (let i = 0; i < vnodes; i++) {
        enc.reset().str(`${id}:${i}`);
        weak.hashInto(enc.bytes, enc.length, out);
        const at = `${out[0]}/${out[1]}`;
        const seen = points.get(at);
        if (!seen || seen.owner < id) points.set(at, { hi: out[0]!, lo: out[1]!, owner: id });
      }
    }
    const ring = [...points.values()].sort((a, b) => a.hi - b.hi || a.lo - b.lo);
    enc.reset().str(key);
    weak.hashInto(enc.bytes, enc.length, out);
    let i = ring.findIndex((p) => p.hi > out[0]! || (p.hi === out[0]! && p.lo >= out[1]!));
    if (i < 0) i = 0;
    const got: string[] = [];
    for (let step = 0; step < ring.length && got.length < Math.min(rf, ids.length); step++) {
      const owner = ring[(i + step) % ring.length]!.owner;
      if (!got.includes(owner)) got.push(owner);
    }
    return got;
  }

  it('matches a plain implementation of the walk', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 7 }),
        fc.integer({ min: 1, max: 12 }),
        fc.string(),
        fc.integer({ min: 1, max: 4 }),
        (ids, vnodes, key, rf) => {
          const ring = new ConsistentHashRing(
            weak,
            ids.map((node_id) => ({ node_id, weight: 1 })),
            vnodes,
          );
          expect(ring.replicas(key, rf)).toEqual(reference([...ids], vnodes, key, rf));
        },
      ),
      { numRuns: 300 },
    );
  });
});
