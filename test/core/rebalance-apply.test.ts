import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/commands/context.js';
import { rebalanceApply } from '../../src/commands/rebalance-apply.js';
import { rebalancePlan } from '../../src/commands/rebalance-plan.js';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import type { NodeState } from '../../src/core/model.js';
import { applyMoves, type RebalancePlan } from '../../src/core/rebalance/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { inProcessContext } from '../harness/context.js';

/**
 * Applying any plan (in-process, memory store) keeps every other field of every partition — the
 * seed's fields and unknown ones — moves exactly what the plan says, and never co-locates replicas.
 */

const NOW = Date.parse('2026-11-27T12:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'otlpctl-rebalance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function context(store: MemoryStore): Context {
  return inProcessContext(store, NOW);
}

const clusterArb = fc.record({
  nodes: fc.array(
    fc.record({ state: fc.constantFrom<NodeState>('Up', 'Up', 'Up', 'Down', 'Draining'), zone: fc.nat(2) }),
    {
      minLength: 2,
      maxLength: 7,
    },
  ),
  partitions: fc.array(
    fc.record({
      replicas: fc.uniqueArray(fc.nat(6), { minLength: 1, maxLength: 3 }),
      size: fc.integer({ min: 0, max: 5e9 }),
      records: fc.nat(),
      state: fc.constantFrom('Active', 'Active', 'Active', 'Migrating', 'ReadOnly'),
      extra: fc.option(fc.dictionary(fc.constantFrom('x_tier', 'x_owner', 'codec'), fc.jsonValue()), {
        nil: undefined,
      }),
    }),
    { minLength: 1, maxLength: 30 },
  ),
  by: fc.constantFrom('bytes', 'leader-bytes', 'partitions' as const),
  target: fc.constantFrom(0.01, 0.05, 0.2),
});

describe('rebalance apply, any plan', () => {
  it('changes only nodes, leader, state (back to Active) and updated_at of the moved partitions', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(clusterArb, async ({ nodes, partitions, by, target }) => {
        const store = new MemoryStore({ clock: () => NOW });
        const ctx = context(store);
        const ids = nodes.map((_, i) => `n${i}`);
        const puts = [
          {
            type: 'put' as const,
            key: '/otlp/config',
            value: JSON.stringify({ ...DEFAULT_CONFIG, imbalance_threshold: 0.01 }),
          },
          ...nodes.map((n, i) => ({
            type: 'put' as const,
            key: `/otlp/nodes/n${i}`,
            value: JSON.stringify({
              node_id: `n${i}`,
              location: { region: 'r', availability_zone: `z${n.zone}`, data_center: 'd' },
              weight: 1,
              state: n.state,
            }),
          })),
        ];
        const original = new Map<string, string>();
        partitions.forEach((p, i) => {
          const replicas = [...new Set(p.replicas.map((r) => ids[r % ids.length]!))];
          const id = `partition_${490000 + i}_0001`;
          const value = JSON.stringify({
            partition_id: id,
            nodes: replicas,
            leader: replicas[0],
            state: p.state,
            size_bytes: p.size,
            record_count: p.records,
            created_at: '2026-11-01T00:00:00Z',
            updated_at: '2026-11-02T00:00:00.123456789Z',
            ...p.extra,
          });
          original.set(id, value);
          puts.push({ type: 'put', key: `/otlp/partitions/${id}`, value });
        });
        await store.txn([], puts);

        const file = join(dir, `plan-${run++}.json`);
        expect(await rebalancePlan({ by, target, out: file }, ctx)).toBe(0);
        const plan = JSON.parse(readFileSync(file, 'utf8')) as RebalancePlan;
        expect(await rebalanceApply({ file, yes: true }, ctx)).toBe(0);

        for (const [id, before] of original) {
          const after = (await store.get(`/otlp/partitions/${id}`))!.value;
          const moves = plan.moves.filter((m) => m.partition_id === id);
          if (moves.length === 0) {
            expect(after).toBe(before);
            continue;
          }
          const b = JSON.parse(before) as Record<string, unknown> & { nodes: string[]; leader: string };
          const placed = applyMoves({ nodes: b.nodes, leader: b.leader }, moves);
          expect(typeof placed).toBe('object');
          const a = JSON.parse(after) as { nodes: string[] };
          expect(a).toEqual({
            ...b,
            ...(placed as object),
            state: 'Active',
            updated_at: '2026-11-27T12:00:00Z',
          });
          expect(new Set(a.nodes).size).toBe(a.nodes.length);
          expect(Object.keys(a)).toEqual(Object.keys(b)); // field order kept too
        }
        await store.close();
      }),
      { numRuns: 60 },
    );
  });
});
