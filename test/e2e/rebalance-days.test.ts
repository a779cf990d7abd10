/**
 * The operator's real days (issue 9), each on the built binary, on the file store and on a real
 * etcd: a node joins, a node is bigger (weight 2), a node dies for good (replace-down), and
 * `init --force` that would re-map the cluster. Each ends with every Up node within the target of
 * its weighted fair share and `doctor` clean, as the README's recipes promise.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { seedRingCluster, storedPartitions, type SeedNode } from '../helpers/ring-cluster.js';
import { etcdTarget, fileTarget, type Target } from '../helpers/targets.js';

const TARGET = 0.05;
const zones = ['eu-1a', 'eu-1b', 'eu-1c'];
const nodes = (n: number): SeedNode[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `node-${String(i + 1).padStart(2, '0')}`,
    zone: zones[i % 3]!,
  }));

interface Stats {
  skew: number;
  under: number;
  nodes: Record<string, { bytes: number; vs_fair?: number }>;
}

describe.each([
  ['file store', fileTarget],
  ['etcd', () => etcdTarget()],
])('rebalance scenarios on the %s', (_name, make) => {
  let t: Target;
  const cli = (...args: string[]) => spawnCli([...t.args, ...args]);
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await cli(...args, '-o', 'json');
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  /** plan --out, apply, and the state after: stats, doctor, and a fresh plan. */
  const planAndApply = async (...planArgs: string[]) => {
    const file = join(t.dir, 'plan.json');
    const plan = await json<{
      moves: unknown[];
      bytes_moved: number;
      lower_bound_bytes: number;
      skew_before: number;
      skew_after: number;
    }>('rebalance', 'plan', ...planArgs, '--out', file);
    expect(plan.moves.length).toBeGreaterThan(0);
    const apply = await cli('rebalance', 'apply', file, '--yes', '-o', 'json');
    expect(apply.code, apply.stderr).toBe(0);
    expect(JSON.parse(apply.stdout)).toMatchObject({ status: 'done', done: expect.any(Number) });
    const stats = await json<Stats>('partitions', 'stats');
    const doctor = await cli('doctor', '-o', 'json');
    const again = await json<{ moves: unknown[]; notes: string[] }>('rebalance', 'plan');
    return { plan, stats, doctor, again };
  };
  const withinTarget = (s: Stats, up: string[]) => {
    for (const id of up) {
      const v = s.nodes[id]!.vs_fair!;
      expect(Math.abs(v), `${id} at ${v}`).toBeLessThanOrEqual(TARGET + 1e-6);
    }
  };

  beforeEach(async () => {
    t = await make();
  });
  afterEach(() => t.close());

  it('a node joins: 12 nodes and an empty 13th; after apply every Up node is within the target', async () => {
    await seedRingCluster(t, nodes(12), 2);
    expect((await cli('nodes', 'add', 'node-13', '--zone', 'eu-1a', '--region', 'eu')).code).toBe(0);
    const before = await json<Stats>('partitions', 'stats');
    expect(before.nodes['node-13']!.vs_fair).toBe(-1);
    const { plan, stats, doctor, again } = await planAndApply();
    expect(plan.bytes_moved).toBeLessThanOrEqual(1.1 * plan.lower_bound_bytes);
    withinTarget(stats, [...nodes(12).map((n) => n.id), 'node-13']);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(again.moves).toEqual([]);
  }, 240_000);

  it('a node is bigger: a weight-2 node ends at twice the share of the others, within the target', async () => {
    await seedRingCluster(t, nodes(12), 2);
    expect((await cli('nodes', 'add', 'node-13', '--zone', 'eu-1b', '--weight', '2')).code).toBe(0);
    const { stats, doctor } = await planAndApply();
    withinTarget(stats, [...nodes(12).map((n) => n.id), 'node-13']);
    const others = nodes(12).map((n) => stats.nodes[n.id]!.bytes);
    const mean = others.reduce((a, b) => a + b, 0) / others.length;
    const ratio = stats.nodes['node-13']!.bytes / mean;
    expect(ratio).toBeGreaterThan((2 * (1 - TARGET)) / (1 + TARGET));
    expect(ratio).toBeLessThan((2 * (1 + TARGET)) / (1 - TARGET));
    expect(doctor.code, doctor.stdout).toBe(0);
  }, 240_000);

  it('a node dies for good: failover, then --replace-down on 9 nodes; nothing names it, zones no worse, doctor clean', async () => {
    await seedRingCluster(t, nodes(9), 2);
    const zone = new Map(nodes(9).map((n) => [n.id, n.zone]));
    const spread = (ns: string[]) => new Set(ns.map((n) => zone.get(n))).size;
    const seeded = new Map((await storedPartitions(t)).map((p) => [p.partition_id, p]));
    const failover = await cli('failover', 'node-05', '-o', 'table');
    expect(failover.code, failover.stderr).toBe(0);
    expect(failover.stdout).toMatch(/otlpctl rebalance plan --replace-down node-05/);
    // Without --replace-down a Down node keeps its replicas, and doctor and the plan name the fix.
    const doctorBefore = await cli('doctor', '-o', 'table');
    expect(doctorBefore.code).toBe(1);
    expect(doctorBefore.stdout).toMatch(/--replace-down node-05/);
    const kept = await json<{ notes: string[]; moves: { from: string }[] }>('rebalance', 'plan');
    expect(kept.moves.some((m) => m.from === 'node-05')).toBe(false);
    expect(kept.notes.join('\n')).toMatch(/'otlpctl rebalance plan --replace-down node-05'/);

    const { plan, stats, doctor, again } = await planAndApply('--replace-down', 'node-05');
    expect(plan.bytes_moved).toBeGreaterThanOrEqual(plan.lower_bound_bytes);
    const after = await storedPartitions(t);
    expect(after).toHaveLength(seeded.size);
    for (const p of after) {
      expect(p.nodes).not.toContain('node-05');
      expect(p.leader).not.toBe('node-05');
      expect(new Set(p.nodes).size).toBe(3);
      expect(p.nodes).toContain(p.leader);
      expect(spread(p.nodes)).toBeGreaterThanOrEqual(spread(seeded.get(p.partition_id)!.nodes));
    }
    withinTarget(
      stats,
      nodes(9)
        .map((n) => n.id)
        .filter((id) => id !== 'node-05'),
    );
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(again.moves).toEqual([]);
  }, 240_000);

  it('a node leaves while it runs: nodes decommission, apply, then it can be removed', async () => {
    await seedRingCluster(t, nodes(6), 1);
    const file = join(t.dir, 'plan.json');
    const r = await cli('nodes', 'decommission', 'node-03', '--out', file, '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect((await json<{ state: string }>('nodes', 'show', 'node-03')).state).toBe('Draining');
    const plan = JSON.parse(r.stdout) as { moves: { from: string }[]; notes: string[] };
    expect(plan.moves.some((m) => m.from === 'node-03')).toBe(true);
    expect((await cli('rebalance', 'apply', file, '--yes')).code).toBe(0);
    expect((await storedPartitions(t)).some((p) => p.nodes.includes('node-03'))).toBe(false);
    withinTarget(
      await json<Stats>('partitions', 'stats'),
      nodes(6)
        .map((n) => n.id)
        .filter((id) => id !== 'node-03'),
    );
    expect((await cli('nodes', 'remove', 'node-03')).code).toBe(0);
    // A Down node has nothing to copy from: decommission names the command that re-creates its replicas.
    expect((await cli('nodes', 'set-state', 'node-04', 'Down')).code).toBe(0);
    const down = await cli('nodes', 'decommission', 'node-04');
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/'otlpctl rebalance plan --replace-down node-04 --out plan.json'/);
    // More disk: a weight is changed in place.
    expect((await json<{ weight: number }>('nodes', 'set-weight', 'node-01', '2')).weight).toBe(2);
  }, 240_000);

  it('init --force cannot re-map a cluster by accident; other fields change freely; config show', async () => {
    await seedRingCluster(t, nodes(4), 1);
    const stored = await json<Record<string, unknown>>('config', 'show');
    for (const change of [
      ['--hash-partitions', '128'],
      ['--hash', 'rust-siphash13'],
      ['--granularity-hours', '2'],
      ['--virtual-nodes', '200'],
    ]) {
      const r = await cli('init', '--force', ...change);
      expect(r.code, change.join(' ')).toBe(5);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(
        /of 256 stored partition\(s\) would change placement; nothing changed \(pass --allow-remap/,
      );
      expect(await json('config', 'show')).toEqual(stored);
    }
    const keys = await cli('init', '--force', '--hash-partitions', '128');
    expect(keys.stderr).toMatch(/256 of 256 stored/);
    expect(
      (await cli('init', '--force', '--retention-days', '14', '--imbalance-threshold', '0.1')).code,
    ).toBe(0);
    expect(await json('config', 'show')).toEqual({ ...stored, retention_days: 14, imbalance_threshold: 0.1 });
    const remap = await cli('init', '--force', '--virtual-nodes', '200', '--allow-remap');
    expect(remap.code, remap.stderr).toBe(0);
    expect(remap.stderr).toMatch(
      /virtual_nodes 150 → 200: \d+ of 256 stored partition\(s\) would change placement/,
    );
    const table = await cli('config', 'show', '-o', 'table');
    expect(table.stdout).toMatch(/virtual_nodes\s+200/);
    // The init and the changes that went through are in the audit log; the refused ones wrote
    // nothing. (The test clock stands still: records are ordered here, not by their keys.)
    const audit = await json<{ details: { created?: true; remapped?: number } }[]>(
      'audit',
      'list',
      '--command',
      'init',
    );
    expect(audit.map((a) => a.details).sort((a, b) => (a.remapped ?? -1) - (b.remapped ?? -1))).toEqual([
      { created: true },
      {
        changed: {
          retention_days: [stored.retention_days, 14],
          imbalance_threshold: [stored.imbalance_threshold, 0.1],
        },
        remapped: 0,
      },
      { changed: { virtual_nodes: [150, 200] }, remapped: Number(/(\d+) of 256/.exec(remap.stderr)![1]) },
    ]);
  }, 240_000);
});
