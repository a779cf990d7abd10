import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NODE_STATES, type NodeState, type PartitionState } from '../../src/core/model.js';
import { balance } from '../../src/core/fair-share.js';
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
  weights?: readonly number[];
}) =>
  fc
    .record({
      nodes: fc.array(
        fc.record({
          state: fc.constantFrom(...(opts.states ?? NODE_STATES)),
          zone: fc.nat(opts.zones ?? 3),
          weight: fc.constantFrom(...(opts.weights ?? [1, 1, 1, 2, 0.5, 0])),
        }),
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
        nodes: nodes.map((x, i) => ({
          node_id: `n${i}`,
          state: x.state,
          zone: `z${x.zone}`,
          weight: x.weight,
        })),
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
  replaceDown: fc.option(fc.oneof(fc.constant(true as const), fc.constant(['n0', 'n1'])), {
    nil: undefined,
  }),
});

const upOf = (input: PlanInput) => input.nodes.filter((n) => n.state === 'Up');
const weightOf = (n: PlanInput['nodes'][number]) => n.weight ?? 1;

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

/** Every node with a fair share ends within (1 ± target) of it. */
function withinBand(plan: RebalancePlan, target: number): boolean {
  return Object.entries(plan.fair).every(
    ([n, f]) => plan.after[n]! <= (1 + target) * f + 1e-2 && plan.after[n]! >= (1 - target) * f - 1e-2,
  );
}

describe('planRebalance: properties', () => {
  it('moves fit the placement, never co-locate replicas, never target Down or Draining, leave non-Active alone', () => {
    fc.assert(
      fc.property(caseArb, ({ input, options }) => {
        const plan = planRebalance(input, options, META);
        const state = new Map(input.nodes.map((n) => [n.node_id, n.state]));
        const weight = new Map(input.nodes.map((n) => [n.node_id, weightOf(n)]));
        for (const m of plan.moves) {
          expect(state.get(m.to)).toBe('Up');
          if (m.kind === 'replica') expect(weight.get(m.to)).toBeGreaterThan(0);
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
        const up = upOf(input);
        const w = up.map(weightOf);
        const after = balance(
          up.map((n) => plan.after[n.node_id]!),
          w,
        );
        const before = balance(
          up.map((n) => plan.before[n.node_id]!),
          w,
        );
        expect(plan.skew_after).toBeCloseTo(after.skew, 5);
        expect(plan.under_after).toBeCloseTo(after.under, 5);
        expect(plan.skew_before).toBeCloseTo(before.skew, 5);
        expect(plan.under_before).toBeCloseTo(before.under, 5);
      }),
      { numRuns: 300 },
    );
  });

  it('a plan that reaches the band never moves less than the lower bound', () => {
    fc.assert(
      fc.property(caseArb, ({ input, options }) => {
        const plan = planRebalance(input, options, META);
        const emptied = input.nodes
          .filter(
            (n) => n.state === 'Draining' || (n.state === 'Down' && plan.replace_down.includes(n.node_id)),
          )
          .every((n) =>
            carryOut(input, plan).every((p) => p.state !== 'Active' || !p.nodes.includes(n.node_id)),
          );
        if (withinBand(plan, options.target) && emptied && plan.moves.length) {
          expect(plan.bytes_moved).toBeGreaterThanOrEqual(plan.lower_bound_bytes - 1);
          expect(plan.load_moved).toBeGreaterThanOrEqual(plan.lower_bound_load - 1e-3);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('ends within the band of every Up node whenever whole partitions allow it (small ones, enough nodes)', () => {
    const arb = fc.record({
      input: clusterArb({
        states: ['Up', 'Up', 'Up', 'Draining', 'Down'],
        zones: 0,
        minNodes: 6,
        minParts: 100,
        maxParts: 300,
        weights: [1, 1, 2],
      }),
      by: fc.constantFrom<LoadMeasure>('bytes', 'partitions'),
      replaceDown: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ input, by, replaceDown }) => {
        const small = {
          ...input,
          partitions: input.partitions.map((p) => ({
            ...p,
            state: 'Active' as const,
            size_bytes: 1 + (p.size_bytes % 100),
          })),
        };
        if (upOf(small).length < 4) return;
        const plan = planRebalance(small, { by, target: 0.1, replaceDown: replaceDown || undefined }, META);
        if (!plan.notes[0]!.startsWith('balanced')) expect(withinBand(plan, 0.1)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('--replace-down: no Active replica stays on a Down node, leaders are Up, zones no fewer', () => {
    const arb = clusterArb({ states: ['Up', 'Up', 'Up', 'Down', 'Draining'], minNodes: 4, weights: [1, 2] });
    fc.assert(
      fc.property(arb, (input) => {
        if (!upOf(input).length) return;
        const plan = planRebalance(input, { by: 'bytes', target: 0.05, replaceDown: true }, META);
        const state = new Map(input.nodes.map((n) => [n.node_id, n.state]));
        const zone = new Map(input.nodes.map((n) => [n.node_id, n.zone]));
        const zones = (ns: readonly string[]) => new Set(ns.map((n) => zone.get(n))).size;
        const notes = plan.notes.join('\n');
        const before = new Map(input.partitions.map((p) => [p.partition_id, p]));
        for (const p of carryOut(input, plan)) {
          if (p.state !== 'Active') continue;
          expect(new Set(p.nodes).size).toBe(p.nodes.length);
          if (!/cannot leave/.test(notes))
            expect(p.nodes.filter((n) => state.get(n) === 'Down' || state.get(n) === 'Draining')).toEqual([]);
          if (p.nodes.includes(p.leader) && !/cannot leave/.test(notes))
            expect(state.get(p.leader)).toBe('Up');
          if (!/share a zone/.test(notes))
            expect(zones(p.nodes)).toBeGreaterThanOrEqual(zones(before.get(p.partition_id)!.nodes));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a node joins: bytes moved stay within 1.1× the lower bound', () => {
    const arb = fc.record({
      nodes: fc.integer({ min: 6, max: 12 }),
      parts: fc.array(fc.record({ at: fc.nat(1000), size: fc.integer({ min: 20, max: 100 }) }), {
        minLength: 300,
        maxLength: 500,
      }),
    });
    fc.assert(
      fc.property(arb, ({ nodes, parts }) => {
        const ids = Array.from({ length: nodes + 1 }, (_, i) => `n${String(i).padStart(2, '0')}`);
        const input: PlanInput = {
          nodes: ids.map((node_id) => ({ node_id, state: 'Up', zone: node_id })),
          // Three replicas on the first `nodes` nodes; the last node is new and empty.
          partitions: parts.map(({ at, size }, i) => {
            const r = [0, 1, 2].map((k) => ids[(at + k) % nodes]!);
            return {
              partition_id: `p${String(i).padStart(4, '0')}`,
              nodes: r,
              leader: r[0]!,
              state: 'Active',
              size_bytes: size,
              mod_revision: 1,
            };
          }),
          imbalance_threshold: 0.2,
        };
        const plan = planRebalance(input, { by: 'bytes', target: 0.05 }, META);
        expect(plan.moves.length).toBeGreaterThan(0);
        expect(plan.bytes_moved).toBeLessThanOrEqual(1.1 * plan.lower_bound_bytes);
        expect(withinBand(plan, 0.05)).toBe(true);
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
