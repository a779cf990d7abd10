import { describe, expect, it } from 'vitest';
import type { RebalancePlan } from '../../src/core/rebalance/index.js';
import { GB, node, part, parts, plan, n4 } from '../helpers/rebalance.js';

/** The planner on small clusters a person can check by hand, one case per line. */

describe('planRebalance: cases', () => {
  it.each<[string, () => RebalancePlan, (p: RebalancePlan) => void]>([
    [
      'a balanced cluster: no moves, exit reason in the notes',
      () =>
        plan({
          nodes: n4,
          partitions: parts([
            [['a', 'b'], 10, GB],
            [['c', 'd'], 10, GB],
          ]),
        }),
      (p) => {
        expect(p.moves).toEqual([]);
        expect(p.notes[0]).toMatch(/^balanced/);
        expect(p.after).toEqual(p.before);
      },
    ],
    [
      'skew under the threshold: no plan even though above the target',
      () =>
        plan({
          nodes: n4,
          partitions: parts([
            [['a', 'b'], 11, GB],
            [['c', 'd'], 9, GB],
          ]),
        }),
      (p) => expect(p.moves).toEqual([]),
    ],
    [
      'a new empty node receives data until nobody exceeds the target',
      () =>
        plan({
          nodes: [...n4, node('e')],
          partitions: parts([
            [['a', 'b'], 10, GB],
            [['c', 'd'], 10, GB],
          ]),
        }),
      (p) => {
        expect(p.moves.every((m) => m.to === 'e' && m.kind === 'replica')).toBe(true);
        expect(p.skew_after).toBeLessThanOrEqual(0.05);
        // Whole partitions: each of a–d sheds 1.6 GB of excess with two 1 GB partitions.
        expect(p.lower_bound_bytes).toBe(6.4 * GB);
        expect(p.bytes_moved).toBe(8 * GB);
      },
    ],
    [
      'one hot node sheds only its excess, best fit first',
      () =>
        plan({
          nodes: n4,
          partitions: parts([
            [['a'], 20, 2 * GB],
            [['a'], 3, GB / 2],
            [['b'], 10, 2 * GB],
            [['c'], 10, 2 * GB],
            [['d'], 10, 2 * GB],
          ]),
        }),
      (p) => {
        expect(p.moves.every((m) => m.from === 'a')).toBe(true);
        expect(p.skew_after).toBeLessThanOrEqual(0.05);
        expect(p.bytes_moved).toBeLessThanOrEqual(1.1 * p.lower_bound_bytes);
      },
    ],
    [
      'a Draining node is emptied of Active partitions; others stay and are noted',
      () =>
        plan({
          nodes: [node('a', 'Draining'), node('b'), node('c'), node('d')],
          partitions: [
            ...parts([
              [['a', 'b'], 6, GB],
              [['c', 'd'], 6, GB],
            ]),
            part('zz', ['a', 'c'], GB, 'ReadOnly'),
          ],
        }),
      (p) => {
        expect(p.moves.filter((m) => m.from === 'a')).toHaveLength(6);
        expect(p.moves.some((m) => m.partition_id === 'zz')).toBe(false);
        expect(p.after.a).toBe(GB);
        expect(p.notes.join()).toMatch(/1 partition\(s\) not Active \(ReadOnly\)/);
      },
    ],
    [
      'a Down node is never a target; its replicas stay; failover is named',
      () =>
        plan({
          nodes: [node('a', 'Down'), node('b'), node('c'), node('d')],
          partitions: parts([
            [['a', 'b'], 10, GB],
            [['b', 'c'], 10, GB],
            [['d'], 2, GB],
          ]),
        }),
      (p) => {
        expect(p.moves.some((m) => m.to === 'a' || m.from === 'a')).toBe(false);
        expect(p.after.a).toBe(p.before.a);
        expect(p.notes.join()).toMatch(/Down nodes.*failover/);
      },
    ],
    [
      'never a second replica on a node, even when it is the emptiest',
      () => plan({ nodes: [node('a'), node('b'), node('c')], partitions: parts([[['a', 'b'], 10, GB]]) }),
      (p) => expect(p.moves.every((m) => m.to === 'c')).toBe(true),
    ],
    [
      'zones: the receiver keeps the replicas in distinct zones',
      () =>
        plan({
          nodes: [node('a', 'Up', 'z1'), node('b', 'Up', 'z2'), node('c', 'Up', 'z1'), node('d', 'Up', 'z3')],
          partitions: parts([
            [['a', 'b'], 12, GB],
            [['d'], 4, GB],
          ]),
        }),
      // c is the emptiest, but holds z1 like a: moving b's replica there would put both in z1.
      (p) => expect(p.moves.filter((m) => m.from === 'b').every((m) => m.to !== 'c')).toBe(true),
    ],
    [
      'leader-bytes: leadership passes to an existing replica first, zero bytes',
      () =>
        plan(
          {
            nodes: n4,
            partitions: parts([
              [['a', 'b'], 10, GB],
              [['c', 'd'], 10, GB],
            ]),
          },
          { by: 'leader-bytes' },
        ),
      (p) => {
        expect(p.moves.length).toBeGreaterThan(0);
        expect(p.moves.every((m) => m.kind === 'leader' && m.bytes === 0 && m.leader_change)).toBe(true);
        expect(p.bytes_moved).toBe(0);
        expect(p.skew_after).toBeLessThanOrEqual(0.05);
      },
    ],
    [
      'partitions: counts balance, the smallest partitions move',
      () =>
        plan(
          {
            nodes: [...n4, node('e')],
            partitions: parts([
              [['a'], 5, GB],
              [['a'], 5, 3 * GB],
              [['b'], 10, GB],
              [['c'], 10, GB],
              [['d'], 10, GB],
            ]),
          },
          { by: 'partitions' },
        ),
      (p) => {
        expect(p.moves.every((m) => m.bytes === GB)).toBe(true);
        expect(p.skew_after).toBeLessThanOrEqual(0.05);
      },
    ],
    [
      '--max-moves caps the plan and says so',
      () =>
        plan(
          {
            nodes: [...n4, node('e')],
            partitions: parts([
              [['a', 'b'], 10, GB],
              [['c', 'd'], 10, GB],
            ]),
          },
          { maxMoves: 2 },
        ),
      (p) => {
        expect(p.moves).toHaveLength(2);
        expect(p.notes.join()).toMatch(/max-moves.*partial/);
      },
    ],
    [
      '--max-bytes caps the bytes moved',
      () =>
        plan(
          {
            nodes: [...n4, node('e')],
            partitions: parts([
              [['a', 'b'], 10, GB],
              [['c', 'd'], 10, GB],
            ]),
          },
          { maxBytes: 3.5 * GB },
        ),
      (p) => expect(p.bytes_moved).toBe(3 * GB),
    ],
    [
      'partitions too big to fit: the target is not reached, and the notes say why',
      () =>
        plan({
          nodes: [node('a'), node('b')],
          partitions: parts([
            [['a'], 1, 10 * GB],
            [['b'], 1, GB],
          ]),
        }),
      (p) => {
        expect(p.moves).toEqual([]);
        expect(p.notes.join()).toMatch(/target not reached/);
      },
    ],
    [
      'no Up node: nothing planned',
      () => plan({ nodes: [node('a', 'Draining')], partitions: parts([[['a'], 2, GB]]) }),
      (p) => {
        expect(p.moves).toEqual([]);
        expect(p.notes[0]).toMatch(/no Up node/);
      },
    ],
  ])('%s', (_name, make, check) => check(make()));
});
