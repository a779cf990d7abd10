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
      'a new empty node receives data until every node is within the target of its fair share',
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
        expect(p.under_after).toBeLessThanOrEqual(0.05);
        // Fair share 8 GB: a–d have 1.6 GB above 8.4 GB, e must get at least 7.6 GB; whole partitions: 8.
        expect(p.lower_bound_bytes).toBe(7.6 * GB);
        expect(p.bytes_moved).toBe(8 * GB);
        expect(p.notes[0]).toMatch(/e at 0\.0%/);
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
      'a Down node is never a target; its replicas stay; the note names --replace-down',
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
        expect(p.notes.join()).toMatch(/Down node\(s\) a: .*'otlpctl rebalance plan --replace-down a'/);
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
      'leader-bytes: leadership passes to an existing replica first, zero bytes; the bound in leader bytes',
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
        // The lower bound in leader bytes, not 0 B: a and c lead 10 GB each, fair 5 GB, 4.75 GB must go from each.
        expect(p.lower_bound_load).toBe(9.5 * GB);
        expect(p.load_moved).toBeGreaterThanOrEqual(p.lower_bound_load);
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
      '--max-moves caps the plan and says so, not that partitions are too large',
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
        // The limit stopped it: no word of partitions being too large.
        expect(p.notes.join()).not.toMatch(/too large/);
        expect(p.notes.join()).toMatch(/remain outside the target band/);
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
      'under-load alone triggers: 12 even nodes and an empty 13th, skew by the mean only 19 %',
      () =>
        plan({
          nodes: [...Array.from({ length: 13 }, (_, i) => node(`n${String(i).padStart(2, '0')}`))],
          partitions: parts(
            Array.from({ length: 12 }, (_, i) => [[`n${String(i).padStart(2, '0')}`], 20, GB]),
          ),
        }),
      (p) => {
        expect(p.under_before).toBe(1);
        expect(p.moves.every((m) => m.to === 'n12')).toBe(true);
        // Fair share 240/13 GB: n00–n11 have 7.4 GB above their band, n12 lacks 17.5 GB: the bound.
        expect(p.lower_bound_bytes).toBe(Math.ceil((0.95 * 240 * GB) / 13));
        expect(p.after.n12).toBe(18 * GB);
        expect(p.bytes_moved).toBeLessThanOrEqual(1.1 * p.lower_bound_bytes);
      },
    ],
    [
      'weights: a weight-2 node holding twice as much is balanced',
      () =>
        plan({
          nodes: [{ ...node('a'), weight: 2 }, node('b'), node('c')],
          partitions: parts([
            [['a'], 20, GB],
            [['b'], 10, GB],
            [['c'], 10, GB],
          ]),
        }),
      (p) => {
        expect(p.moves).toEqual([]);
        expect(p.skew_before).toBe(0);
        expect(p.fair).toEqual({ a: 20 * GB, b: 10 * GB, c: 10 * GB });
      },
    ],
    [
      'weights: an empty weight-2 node is filled to twice the share of the others',
      () =>
        plan({
          nodes: [...n4, { ...node('e'), weight: 2 }],
          partitions: parts([
            [['a'], 24, GB],
            [['b'], 24, GB],
            [['c'], 24, GB],
            [['d'], 24, GB],
          ]),
        }),
      (p) => {
        expect(p.fair.e).toBe(32 * GB);
        expect(p.after.e).toBeGreaterThanOrEqual(0.95 * 32 * GB);
        expect(p.after.e).toBeLessThanOrEqual(1.05 * 32 * GB);
        for (const n of ['a', 'b', 'c', 'd']) expect(p.after[n]).toBeLessThanOrEqual(1.05 * 16 * GB);
        expect(p.skew_after).toBeLessThanOrEqual(0.05);
      },
    ],
    [
      '--replace-down: every Active replica leaves the Down node, the leader becomes an Up replica',
      () =>
        plan(
          {
            nodes: [
              node('a', 'Down', 'z1'),
              node('b', 'Up', 'z2'),
              node('c', 'Up', 'z3'),
              node('d', 'Up', 'z1'),
              node('e', 'Up', 'z2'),
            ],
            partitions: [
              ...parts([
                [['a', 'b', 'c'], 6, GB],
                [['b', 'c', 'd'], 6, GB],
              ]),
              part('zz', ['a', 'b'], GB, 'ReadOnly'),
            ],
          },
          { replaceDown: true },
        ),
      (p) => {
        const off = p.moves.filter((m) => m.kind === 'replica' && m.from === 'a');
        expect(off).toHaveLength(6);
        // z2 and z3 are taken by b and c: only d keeps three zones.
        expect(off.every((m) => m.to === 'd')).toBe(true);
        const led = p.moves.filter((m) => m.kind === 'leader');
        expect(led).toHaveLength(6);
        expect(led.every((m) => m.from === 'a' && m.to !== 'a')).toBe(true);
        expect(p.after.a).toBe(GB);
        expect(p.replace_down).toEqual(['a']);
        expect(p.notes.join()).toMatch(/1 partition\(s\) on the replaced Down node\(s\) are not Active/);
      },
    ],
    [
      '--replace-down NODE: only the named Down node; the other stays, and the note names its fix',
      () =>
        plan(
          {
            nodes: [node('a', 'Down'), node('b', 'Down'), node('c'), node('d'), node('e'), node('f')],
            partitions: parts([
              [['a', 'c'], 4, GB],
              [['b', 'd'], 4, GB],
              [['e', 'f'], 4, GB],
            ]),
          },
          { replaceDown: ['a'] },
        ),
      (p) => {
        expect(p.moves.some((m) => m.from === 'b')).toBe(false);
        expect(p.after.a).toBe(0);
        expect(p.notes.join()).toMatch(/Down node\(s\) b: .*--replace-down b'/);
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
