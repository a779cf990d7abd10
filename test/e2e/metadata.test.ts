import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { SEED_TARGETS, type SeedTarget } from '../helpers/seed-targets.js';

/**
 * partitions, doctor and failover on both stores, reading values exactly as the seed's Rust
 * `MetadataService` writes them (serde JSON, chrono nanosecond timestamps) — on etcd written with
 * etcdctl itself — and checking that every rewrite keeps the fields it does not change.
 */

const NOW = Date.parse('2026-11-27T12:00:00Z');
const ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe.each(SEED_TARGETS)('on the %s', (_name, make) => {
  let t: SeedTarget;
  const cli = (...args: string[]) => runCli([...t.args, ...args], { now: NOW });
  const json = async (...args: string[]) => {
    const r = await cli(...args, '-o', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout);
  };
  let pid = '';
  let seedValue = '';

  beforeAll(async () => {
    t = await make();
    await json('init');
    for (const [n, dc] of [
      ['n1', 'dc1'],
      ['n2', 'dc1'],
      ['n3', 'dc2'],
      ['n4', 'dc2'],
      ['n5', 'dc3'],
    ]) {
      await json('nodes', 'add', n!, '--region', 'eu', '--zone', `eu-${dc}`, '--dc', dc!);
    }
    const where = await json('locate', ID, '--at', '2026-11-27T11:30:00Z');
    pid = where.partition_id;
    const others = ['n1', 'n2', 'n3', 'n4', 'n5'].filter((n) => !where.ring_replicas.includes(n));
    // The seed's serde output: field order, nanosecond timestamps; plus a field from a newer writer.
    seedValue = `{"partition_id":"${pid}","nodes":["${others[0]}","${where.ring_replicas[0]}","${where.ring_replicas[1]}"],"leader":"${others[0]}","state":"Active","size_bytes":2500000000,"record_count":1250000,"created_at":"2026-11-27T11:00:00.123456789Z","updated_at":"2026-11-27T11:59:59.987654321Z","crc32":305419896}`;
    await t.put(`${t.prefix}/partitions/${pid}`, seedValue);
  });
  afterAll(() => t.close());

  it('locate follows the stored metadata and flags that the ring disagrees', async () => {
    const j = await json('locate', ID, '--at', '2026-11-27T11:30:00Z');
    const seed = JSON.parse(seedValue);
    expect(j).toMatchObject({ source: 'metadata', state: 'Active', leader: seed.leader });
    expect(j.replicas.map((r: { node_id: string }) => r.node_id)).toEqual(seed.nodes);
    expect(j.warnings.join(' ')).toMatch(/the ring alone would say/);
  });

  it('partitions show reads the seed JSON as written', async () => {
    const j = await json('partitions', 'show', pid);
    expect(j).toMatchObject({ ...JSON.parse(seedValue), ring_replicas: expect.any(Array), disagrees: true });
  });

  it('set-state and register rewrite only what they change (the seed zeroed sizes on re-register)', async () => {
    await json('partitions', 'set-state', pid, 'ReadOnly');
    let stored = JSON.parse((await t.get(`${t.prefix}/partitions/${pid}`))!);
    const seed = JSON.parse(seedValue);
    expect(stored).toEqual({ ...seed, state: 'ReadOnly', updated_at: '2026-11-27T12:00:00Z' });
    expect(Object.keys(stored)).toEqual(Object.keys(seed));
    await json('partitions', 'register', pid, '--nodes', 'n1,n2,n3', '--leader', 'n2');
    stored = JSON.parse((await t.get(`${t.prefix}/partitions/${pid}`))!);
    expect(stored).toEqual({
      ...seed,
      state: 'ReadOnly',
      nodes: ['n1', 'n2', 'n3'],
      leader: 'n2',
      updated_at: '2026-11-27T12:00:00Z',
    });
    await json('partitions', 'set-state', pid, 'Active');
  });

  it('register creates new metadata on the ring placement; bad input changes nothing', async () => {
    const j = await json('partitions', 'register', 'partition_498827_0001', '--size-bytes', '1500000000');
    expect(j).toMatchObject({
      state: 'Active',
      size_bytes: 1_500_000_000,
      record_count: 0,
      nodes: j.ring_replicas,
      leader: j.ring_replicas[0],
    });
    for (const args of [
      ['partitions', 'register', 'partition_1_1'],
      ['partitions', 'register', 'partition_1_0001', '--nodes', 'n1,n9'],
      ['partitions', 'register', 'partition_1_0001', '--nodes', 'n1,n2', '--leader', 'n3'],
      ['partitions', 'set-state', pid, 'Broken'],
      ['partitions', 'show', 'nonsense'],
    ]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(await t.get(`${t.prefix}/partitions/partition_1_0001`)).toBeUndefined();
  });

  it('stats sums bytes per replica node and computes the skew over Up nodes', async () => {
    const s = await json('partitions', 'stats');
    expect(s.partitions).toBe(2);
    expect(s.bytes).toBe(4_000_000_000);
    const perNode = Object.values(s.nodes as Record<string, { bytes: number; leaders: number }>);
    expect(perNode.reduce((a, n) => a + n.bytes, 0)).toBe(3 * 4_000_000_000);
    expect(perNode.reduce((a, n) => a + n.leaders, 0)).toBe(2);
    const loads = Object.values(s.nodes as Record<string, { bytes: number }>).map((n) => n.bytes);
    const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
    expect(s.skew).toBeCloseTo(Math.max(...loads) / mean - 1, 9);
  });

  it('list filters by state, node and time, and streams ndjson', async () => {
    const r = await cli('partitions', 'list', '--node', 'n2', '-o', 'ndjson');
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(
      rows.every((x: { nodes: string[]; leader: string }) => x.nodes.includes('n2') || x.leader === 'n2'),
    ).toBe(true);
    expect(await json('partitions', 'list', '--state', 'Migrating')).toEqual([]);
    expect(await json('partitions', 'list', '--from-time', '2026-11-27T13:00:00Z')).toEqual([]);
    expect((await json('partitions', 'list', '--from-time', '2026-11-27T11:59:00Z')).length).toBe(2);
  });

  it('doctor: exit 1 on leader-not-replica, unknown nodes, unparsable values; names each', async () => {
    await t.put(
      `${t.prefix}/partitions/partition_498827_0002`,
      JSON.stringify({
        ...JSON.parse(seedValue),
        partition_id: 'partition_498827_0002',
        nodes: ['n1', 'ghost', 'n3'],
        leader: 'n4',
      }),
    );
    await t.put(
      `${t.prefix}/partitions/partition_498827_0003`,
      '{"partition_id": "partition_498827_0003", "nodes": "n1"}',
    );
    const r = await cli('doctor', '-o', 'json');
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout);
    expect(d.counts).toMatchObject({ 'leader-not-replica': 1, 'unknown-node': 1, unparsable: 1 });
    expect(d.findings.find((f: { check: string }) => f.check === 'unparsable').subject).toMatch(
      /partition_498827_0003$/,
    );
  });

  it('failover: node Down, leadership to the nearest Up replica, other fields kept', async () => {
    const before = JSON.parse((await t.get(`${t.prefix}/partitions/${pid}`))!);
    const leader = before.leader as string;
    const f = await json('failover', leader);
    expect(f.marked_down).toBe(true);
    const moved = f.moved.find((m: { partition_id: string }) => m.partition_id === pid);
    expect(moved.from).toBe(leader);
    expect(before.nodes).toContain(moved.to);
    expect(moved.to).not.toBe(leader);
    const after = JSON.parse((await t.get(`${t.prefix}/partitions/${pid}`))!);
    expect(after).toEqual({ ...before, leader: moved.to, updated_at: '2026-11-27T12:00:00Z' });
    expect((await json('nodes', 'show', leader)).state).toBe('Down');
    // Running it again finds nothing to move.
    expect((await json('failover', leader)).moved).toEqual([]);
    // Both runs are in the audit log with what they moved; a dry run is not. (The test clock
    // stands still, so the two records' order is their keys' random part.)
    await json('failover', leader, '--dry-run');
    const audit = (await json('audit', 'list', '--command', 'failover')) as {
      result: string;
      details: Record<string, unknown>;
    }[];
    expect(
      audit.map((a) => [a.result, a.details.node, a.details.moved, a.details.marked_down]).sort(),
    ).toEqual([
      ['ok', leader, 0, false],
      ['ok', leader, f.moved.length, true],
    ]);
  });
});
