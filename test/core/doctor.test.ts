import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKS, checkPartition, type DoctorContext, type Finding } from '../../src/core/doctor.js';
import type { NodeInfo, PartitionMetadata } from '../../src/core/model.js';
import { groupFindings, SHOWN_PER_GROUP } from '../../src/render/doctor.js';

/** doctor's checks on one partition, and the grouping its table shows. */

const node = (node_id: string, state: NodeInfo['state'] = 'Up'): NodeInfo => ({
  node_id,
  state,
  weight: 1,
  location: { region: '', availability_zone: '', data_center: '' },
});
const ctx: DoctorContext = {
  nodes: new Map(['a', 'b', 'c', 'd'].map((n) => [n, node(n, n === 'd' ? 'Down' : 'Up')])),
  expectedReplicas: 3,
  hashPartitions: 256,
  granularityMs: 3_600_000,
  nowMs: Date.parse('2026-11-27T12:00:00Z'),
  stuckAfterMs: 3_600_000,
};
const p = (partition_id: string, nodes = ['a', 'b', 'c'], leader = nodes[0]!): PartitionMetadata => ({
  partition_id,
  nodes,
  leader,
  state: 'Active',
  size_bytes: 2e9,
  record_count: 1,
  created_at: '2026-11-27T10:00:00Z',
  updated_at: '2026-11-27T11:00:00Z',
});
const checks = (x: PartitionMetadata) =>
  checkPartition(x, ctx).map((f) => [f.check, f.detail, f.node, f.leader]);

describe('checkPartition', () => {
  it.each([
    ['partition_498827_0255', []],
    [
      'partition_498827_0256',
      [['bad-id', 'hash bucket 256 is not below hash_partitions 256', undefined, undefined]],
    ],
    [
      'logs_partition_498827_9999',
      [['bad-id', 'hash bucket 9999 is not below hash_partitions 256', undefined, undefined]],
    ],
    ['partition_x', [['bad-id', "'partition_x' is not a partition id", undefined, undefined]]],
  ])('%s', (id, want) => expect(checks(p(id))).toEqual(want));

  it('a Down replica names its node, and whether it leads', () => {
    expect(checks(p('partition_498827_0001', ['d', 'a', 'b']))).toEqual([
      ['node-down', "replica 'd' is Down and is the leader", 'd', true],
    ]);
    expect(checks(p('partition_498827_0001', ['a', 'd', 'b']))).toEqual([
      ['node-down', "replica 'd' is Down", 'd', false],
    ]);
    expect(checks(p('partition_498827_0001', ['a', 'ghost', 'b']))).toEqual([
      ['unknown-node', "replica 'ghost' is not a registered node", 'ghost', undefined],
    ]);
  });
});

describe('groupFindings', () => {
  const finding: fc.Arbitrary<Finding> = fc.record({
    check: fc.constantFrom(...CHECKS),
    subject: fc.string({ maxLength: 8 }),
    detail: fc.constant('x'),
    node: fc.option(fc.constantFrom('n1', 'n2', 'n3'), { nil: undefined }),
    leader: fc.option(fc.boolean(), { nil: undefined }),
  });

  it('every finding is counted in exactly one group; shown lists are the first ones, capped', () => {
    fc.assert(
      fc.property(fc.array(finding, { maxLength: 60 }), (fs) => {
        const groups = groupFindings(fs);
        expect(groups.reduce((a, g) => a + g.count, 0)).toBe(fs.length);
        for (const g of groups) {
          const mine = fs.filter((f) => f.check === g.check && f.node === g.node);
          expect(g.count).toBe(mine.length);
          expect(g.led).toBe(mine.filter((f) => f.leader).length);
          expect(g.shown).toEqual(mine.slice(0, SHOWN_PER_GROUP));
        }
        // Biggest first.
        for (let i = 1; i < groups.length; i++)
          expect(groups[i - 1]!.count).toBeGreaterThanOrEqual(groups[i]!.count);
      }),
    );
  });
});
