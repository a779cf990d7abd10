import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NODE_STATES, type NodeState, type PartitionState } from '../../src/core/model.js';
import { skew } from '../../src/core/ring-report.js';
import {
  applyMoves,
  LOAD_MEASURES,
  parsePlan,
  planRebalance,
  type LoadMeasure,
  type PlanInput,
  type PlanOptions,
  type PlanPartition,
  type RebalancePlan,
} from '../../src/core/rebalance/index.js';

/** Invariants of the planner over arbitrary clusters (fast-check). */

const META = { created_at: '2026-11-27T12:00:00Z', prefix: '/otlp', revision: 9, config_hash: 'xxh64:1' };

interface Case {
  input: PlanInput;
  options: PlanOptions;
}

const clusterArb = (opts: {
  states?: readonly NodeState[];
  zones?: number;
  minNodes?: number;
  minParts?: number;
  maxParts?: number;
}) =>
  fc
    .record({
      nodes: fc.array(
        fc.record({ state: fc.constantFrom(...(opts.states ?? NODE_STATES)), zone: fc.nat(opts.zones ?? 3) }),
        { minLength: opts.minNodes ?? 1, maxLength: 10 },
      ),
      partitions: fc.array(
        fc.record({
          replicas: fc.uniqueArray(fc.nat(11), { minLength: 1, maxLength: 3 }),
          size: fc.integer({ min: 0, max: 5e9 }),
          leader: fc.nat(3),
          state: fc.constantFrom<PartitionState>(
            'Active',
            'Active',
            'Active',
            'Active',
            'Migrating',
            'ReadOnly',
          ),
        }),
        { minLength: opts.minParts ?? 0, maxLength: opts.maxParts ?? 60 },
      ),
      threshold: fc.constantFrom(0.05, 0.2),
    })
    .map(({ nodes, partitions, threshold }) => {
      const n = nodes.length;
      const input: PlanInput = {
        nodes: nodes.map((x, i) => ({ node_id: `n${i}`, state: x.state, zone: `z${x.zone}` })),
        partitions: partitions.map((p, i): PlanPartition => {
          const ids = [...new Set(p.replicas.map((r) => `n${r % n}`))];
          return {
            partition_id: `p${String(i).padStart(3, '0')}`,
            nodes: ids,
            leader: ids[p.leader % ids.length]!,
            state: p.state,
            size_bytes: p.size,
            mod_revision: 100 + i,
          };
        }),
        imbalance_threshold: threshold,
      };
      return input;
    });

const optionsArb = fc.record({
  by: fc.constantFrom<LoadMeasure>(...LOAD_MEASURES),
  target: fc.constantFrom(0.01, 0.05, 0.1, 0.3),
  maxMoves: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
  maxBytes: fc.option(fc.integer({ min: 1, max: 2e10 }), { nil: undefined }),
});

const caseArb: fc.Arbitrary<Case> = fc.record({ input: clusterArb({}), options: optionsArb });

/** Loads recomputed from scratch, as the plan defines them. */
function loads(
  parts: readonly { nodes: readonly string[]; leader: string; size_bytes: number }[],
  by: LoadMeasure,
  ids: string[],
) {
  const out: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  for (const p of parts)
    for (const n of p.nodes)
      out[n]! += by === 'bytes' ? p.size_bytes : by === 'partitions' ? 1 : n === p.leader ? p.size_bytes : 0;
  return out;
}

/** The input with the plan's moves carried out, partition by partition, in plan order. */
function carryOut(input: PlanInput, plan: RebalancePlan) {
  return input.partitions.map((p) => {
    const moves = plan.moves.filter((m) => m.partition_id === p.partition_id);
    const placed = applyMoves({ nodes: [...p.nodes], leader: p.leader }, moves);
    if (typeof placed === 'string') throw new Error(`${p.partition_id}: ${placed}`);
    return { ...p, ...placed };
  });
}

describe('planRebalance: properties', () => {
  it('moves fit the placement, never co-locate replicas, never target Down or Draining, leave non-Active alone', () => {
    fc.assert(
      fc.property(caseArb, ({ input, options }) => {
        const plan = planRebalance(input, options, META);
        const state = new Map(input.nodes.map((n) => [n.node_id, n.state]));
        for (const m of plan.moves) {
          expect(state.get(m.to)).toBe('Up');
          expect(input.partitions.find((p) => p.partition_id === m.partition_id)?.state).toBe('Active');
          expect(m.mod_revision).toBe(
            input.partitions.find((p) => p.partition_id === m.partition_id)?.mod_revision,
          );
        }
        for (const p of carryOut(input, plan)) expect(new Set(p.nodes).size).toBe(p.nodes.length);
        if (options.maxMoves !== undefined) expect(plan.moves.length).toBeLessThanOrEqual(options.maxMoves);
        if (options.maxBytes !== undefined) expect(plan.bytes_moved).toBeLessThanOrEqual(options.maxBytes);
      }),
      { numRuns: 300 },
    );
  });

  it('before and after agree with the placements; bytes moved add up; skews are those of the loads', () => {
    fc.assert(
      fc.property(caseArb, ({ input, options }) => {
        const plan = planRebalance(input, options, META);
        const ids = Object.keys(plan.before);
        expect(plan.before).toEqual(loads(input.partitions, options.by, ids));
        expect(plan.after).toEqual(loads(carryOut(input, plan), options.by, ids));
        expect(plan.bytes_moved).toBe(plan.moves.reduce((a, m) => a + m.bytes, 0));
        const up = input.nodes.filter((n) => n.state === 'Up').map((n) => n.node_id);
        expect(plan.skew_after).toBeCloseTo(skew(up.map((n) => plan.after[n]!)), 5);
        expect(plan.skew_before).toBeCloseTo(skew(up.map((n) => plan.before[n]!)), 5);
      }),
      { numRuns: 300 },
    );
  });

  it('a plan that reaches the target never moves less than the lower bound', () => {
    fc.assert(
      fc.property(caseArb, ({ input, options }) => {
        const plan = planRebalance(input, options, META);
        const drained = input.nodes
          .filter((n) => n.state === 'Draining')
          .every((n) =>
            carryOut(input, plan).every((p) => p.state !== 'Active' || !p.nodes.includes(n.node_id)),
          );
        if (plan.skew_after <= options.target && drained)
          expect(plan.bytes_moved).toBeGreaterThanOrEqual(plan.lower_bound_bytes - 1);
      }),
      { numRuns: 300 },
    );
  });

  it('reaches the target when whole partitions allow it (small partitions, enough nodes)', () => {
    const arb = fc.record({
      input: clusterArb({
        states: ['Up', 'Up', 'Up', 'Draining'],
        zones: 0,
        minNodes: 6,
        minParts: 100,
        maxParts: 300,
      }),
      by: fc.constantFrom<LoadMeasure>('bytes', 'partitions'),
    });
    fc.assert(
      fc.property(arb, ({ input, by }) => {
        const small = {
          ...input,
          partitions: input.partitions.map((p) => ({
            ...p,
            state: 'Active' as const,
            size_bytes: 1 + (p.size_bytes % 100),
          })),
        };
        if (small.nodes.filter((n) => n.state === 'Up').length < 4) return;
        const plan = planRebalance(small, { by, target: 0.1 }, META);
        if (plan.moves.length) expect(plan.skew_after).toBeLessThanOrEqual(0.1 + 1e-9);
      }),
      { numRuns: 100 },
    );
  });

  it('is deterministic: the same cluster in any order gives the same plan, which reads back', () => {
    fc.assert(
      fc.property(caseArb, fc.func(fc.integer()), ({ input, options }, order) => {
        const shuffle = <T>(xs: readonly T[]) =>
          xs
            .map((x, i) => [order(i), i, x] as const)
            .sort((a, b) => a[0] - b[0] || a[1] - b[1])
            .map((t) => t[2]);
        const a = planRebalance(input, options, META);
        const b = planRebalance(
          { ...input, nodes: shuffle(input.nodes), partitions: shuffle(input.partitions) },
          options,
          META,
        );
        expect(b).toEqual(a);
        expect(parsePlan(JSON.stringify(a), 'plan')).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });
});
