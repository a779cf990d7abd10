/**
 * `partitions stats` over good and bad stored values, on both stores: it reads each value its own
 * lighter way (src/store/metadata.ts `readPartition`), and must count as unreadable exactly the
 * values that `partitions list` skips (with the same one-line reasons), and add up the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { etcdTarget, fileTarget, type Target } from '../helpers/targets.js';

const good = (id: string, nodes: string[], size: number) => ({
  partition_id: id,
  nodes,
  leader: nodes[0] ?? '',
  state: 'Active',
  size_bytes: size,
  record_count: Math.floor(size / 1000),
  created_at: '2026-11-27T11:00:00.123456789Z',
  updated_at: '2026-11-27T11:59:59.987654321Z',
});

/** Stored values by partition id: what stats must add up, and what it must count as unreadable. */
const GOOD: Record<string, string> = {
  partition_498827_0001: JSON.stringify(good('partition_498827_0001', ['n1', 'n2', 'n3'], 3000)),
  // Not the seed's own layout, still a good value: other field order, spaces, an unknown field.
  partition_498827_0002: JSON.stringify(
    { crc32: 1, ...good('partition_498827_0002', ['n2', 'n3'], 5000) },
    null,
    1,
  ),
  partition_498827_0003: JSON.stringify(good('partition_498827_0003', [], 7000)),
};
const BAD: Record<string, string> = {
  partition_498827_0004: '{"partition_id":"partition_498827_0004"',
  partition_498827_0005: JSON.stringify({ ...good('partition_498827_0005', ['n1'], 1), size_bytes: -1 }),
  partition_498827_0006: JSON.stringify(good('partition_498827_0007', ['n1'], 1)),
  partition_498827_0008: JSON.stringify({ ...good('partition_498827_0008', ['n1'], 1), created_at: 'today' }),
  partition_498827_0009: '[]',
};

describe.each([
  ['file store', fileTarget],
  ['etcd', etcdTarget],
])('partitions stats on the %s', (_name, make) => {
  let t: Target;
  const cli = (...args: string[]) => runCli([...t.args, ...args]);

  beforeAll(async () => {
    t = await make();
    expect((await cli('init')).code).toBe(0);
    for (const n of ['n1', 'n2', 'n3', 'n4'])
      expect((await cli('nodes', 'add', n, '--region', 'eu', '--zone', 'a', '--dc', 'd')).code).toBe(0);
    const puts = Object.entries({ ...GOOD, ...BAD }).map(([id, value]) => ({
      type: 'put' as const,
      key: `${t.prefix}/partitions/${id}`,
      value,
    }));
    await t.store.txn([], puts);
  });
  afterAll(() => t.close());

  it('adds up the good values and counts the bad ones as unreadable (exit 6)', async () => {
    const r = await cli('partitions', 'stats', '-o', 'json');
    expect(r.code).toBe(6);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ partitions: 3, unreadable: 5, bytes: 15_000, records: 15 });
    expect(s.nodes).toEqual({
      n1: {
        partitions: 1,
        leaders: 1,
        bytes: 3000,
        leader_bytes: 3000,
        records: 3,
        vs_fair: 3000 / 4750 - 1,
      },
      n2: {
        partitions: 2,
        leaders: 1,
        bytes: 8000,
        leader_bytes: 5000,
        records: 8,
        vs_fair: 8000 / 4750 - 1,
      },
      n3: { partitions: 2, leaders: 0, bytes: 8000, leader_bytes: 0, records: 8, vs_fair: 8000 / 4750 - 1 },
      n4: { partitions: 0, leaders: 0, bytes: 0, leader_bytes: 0, records: 0, vs_fair: -1 },
    });
  });

  it('finds unreadable exactly the values that partitions list skips, for the same reasons', async () => {
    const r = await cli('partitions', 'list', '-o', 'json');
    expect(r.code).toBe(6);
    const skipped = r.stderr.trim().split('\n');
    expect(skipped.map((l) => /^otlpctl: skipped (\S+): /.exec(l)?.[1])).toEqual(
      Object.keys(BAD).map((id) => `${t.prefix}/partitions/${id}`),
    );
    const k = (id: string) => `${t.prefix}/partitions/${id}`;
    expect(skipped).toEqual([
      `otlpctl: skipped ${k('partition_498827_0004')}: ${k('partition_498827_0004')}: value is not JSON`,
      `otlpctl: skipped ${k('partition_498827_0005')}: ${k('partition_498827_0005')}: field size_bytes is -1, expected a non-negative integer`,
      `otlpctl: skipped ${k('partition_498827_0006')}: partition_id is 'partition_498827_0007', the key names 'partition_498827_0006'`,
      `otlpctl: skipped ${k('partition_498827_0008')}: ${k('partition_498827_0008')}: field created_at is "today", expected an RFC 3339 time`,
      `otlpctl: skipped ${k('partition_498827_0009')}: ${k('partition_498827_0009')}: expected a JSON object`,
    ]);
  });
});
