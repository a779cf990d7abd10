import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/core/config.js';
import { PartitionLocator } from '../../src/core/locator.js';
import type { NodeInfo, NodeState } from '../../src/core/model.js';
import { TraceRouter } from '../../src/core/trace-router.js';

/**
 * Pins the replica sets `bounded` and `zone_aware` give fixed clusters, so that making them
 * faster cannot change them unnoticed: a cluster places data where this says, and a changed
 * placement moves data. (The plain ring is pinned against the seed's Rust in golden.test.ts.)
 * A deliberate change of the rule updates a digest here, and says why in its commit.
 */

const W = [0.5, 0.75, 1, 1, 1, 1.5, 2];
const node = (i: number, weight = 1, zone = '', state: NodeState = 'Up'): NodeInfo => ({
  node_id: `node-${String(i).padStart(3, '0')}`,
  weight,
  state,
  location: { region: 'r', availability_zone: zone, data_center: '' },
});
const nodes = (n: number, f: (i: number) => NodeInfo) => Array.from({ length: n }, (_, i) => f(i));

const CASES: [string, Partial<ClusterConfig>, NodeInfo[], string][] = [
  ['bounded, 4 nodes', {}, nodes(4, (i) => node(i)), '1a9c047f62236ccc'],
  ['bounded, 16 weighted', {}, nodes(16, (i) => node(i, W[i % 7])), 'e4535145b3d5b6bb'],
  ['bounded, 100 nodes', {}, nodes(100, (i) => node(i)), '9d85fc2f94081867'],
  [
    'bounded + zone_aware, 96 nodes in 4 zones (no slack)',
    { zone_aware: true },
    nodes(96, (i) => node(i, 1, `z${i % 4}`)),
    '23f8ece72bc66b4e',
  ],
  [
    'bounded + zone_aware, 16 nodes in 4 zones',
    { zone_aware: true },
    nodes(16, (i) => node(i, 1, `z${i % 4}`)),
    'af1c017311a5f24e',
  ],
  [
    'bounded + zone_aware, 12 weighted in 3 zones, RF 5',
    { zone_aware: true, replication_factor: 5 },
    nodes(12, (i) => node(i, W[i % 7], `z${i % 3}`)),
    'd8298449e6880aed',
  ],
  [
    'ring + zone_aware, 16 nodes in 4 zones',
    { placement: 'ring', zone_aware: true },
    nodes(16, (i) => node(i, 1, `z${i % 4}`)),
    '84c49343bda8e3c9',
  ],
];

describe('placement of fixed clusters (pinned)', () => {
  it.each(CASES)('%s', (_name, c, list, digest) => {
    const config = { ...DEFAULT_CONFIG, placement: 'bounded' as const, ...c };
    const locator = new PartitionLocator(config, list);
    const router = new TraceRouter(new PartitionLocator(config, list));
    const h = createHash('sha256');
    for (let b = 490000; b < 490004; b++) {
      const sets = locator.bucketReplicas('traces', b);
      h.update(JSON.stringify(sets));
      // The batch path computes the bucket its own way (from the ids' bytes): the same sets.
      const routed = sets.map((_, p) => router.route(b, p).replicas);
      expect(routed).toEqual(sets);
    }
    expect(h.digest('hex').slice(0, 16)).toBe(digest);
  });
});
