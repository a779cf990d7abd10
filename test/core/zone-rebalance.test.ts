import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { PartitionLocator } from '../../src/core/locator.js';
import type { NodeInfo, NodeState } from '../../src/core/model.js';
import { GB, node, part, parts, plan } from '../helpers/rebalance.js';

/**
 * `zone_aware` survives a rebalance: partitions placed one replica per zone stay so after the
 * planner's moves, when a node joins empty or one drains (PRODUCT.md §2.4, §5).
 */

const info = (i: number, state: NodeState = 'Up'): NodeInfo => ({
  node_id: `n${String(i).padStart(2, '0')}`,
  weight: 1,
  state,
  location: { region: 'r', availability_zone: `z${i % 4}`, data_center: '' },
});

describe('rebalance plan under zone_aware', () => {
  it('keeps every replica set across 3 zones after a join or a drain', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('ring' as const, 'bounded' as const),
        fc.constantFrom('join', 'drain'),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 256, maxLength: 256 }),
        (placement, change, sizes) => {
          const nodes = Array.from({ length: 12 }, (_, i) => info(i));
          const locator = new PartitionLocator({ ...DEFAULT_CONFIG, placement, zone_aware: true }, nodes);
          const partitions = locator
            .bucketReplicas('traces', 500)
            .map((set, h) => part(`partition_500_${String(h).padStart(4, '0')}`, set, sizes[h]! * GB));
          const after =
            change === 'join'
              ? [...nodes, info(12)]
              : nodes.map((n, i) => (i === 3 ? info(3, 'Draining') : n));
          const zoneOf = new Map(after.map((n) => [n.node_id, n.location.availability_zone]));
          const p = plan({
            nodes: after.map((n) => ({
              node_id: n.node_id,
              state: n.state,
              zone: n.location.availability_zone,
            })),
            partitions,
          });
          expect(p.moves.length).toBeGreaterThan(0);
          const sets = new Map(partitions.map((x) => [x.partition_id, [...x.nodes]]));
          for (const m of p.moves) {
            const set = sets.get(m.partition_id)!;
            set[set.indexOf(m.from)] = m.to;
          }
          for (const set of sets.values()) expect(new Set(set.map((id) => zoneOf.get(id))).size).toBe(3);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("a drain's fallback keeps zones apart on a node above its band before it shares a zone", () => {
    // d drains; of the nodes that hold no replica of its partitions only b (zone z0, which a
    // already holds) is light, and e (z3) is heavy: e takes them, over its band.
    const nodes = [
      node('a', 'Up', 'z0'),
      node('b', 'Up', 'z0'),
      node('c', 'Up', 'z1'),
      node('d', 'Draining', 'z2'),
      node('e', 'Up', 'z3'),
    ];
    const partitions = parts([
      [['a', 'c', 'd'], 4, GB],
      [['e', 'a', 'c'], 6, 3 * GB],
      [['b', 'c', 'e'], 6, 3 * GB],
    ]);
    const p = plan({ nodes, partitions });
    const off = p.moves.filter((m) => m.from === 'd');
    expect(off.map((m) => m.to)).toEqual(['e', 'e', 'e', 'e']);
  });
});
