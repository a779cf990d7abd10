import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file/store.js';
import { spawnCli, tempDir } from '../helpers/cli.js';

/** `ring` on the built binary: bounded skew per hour, zone failures, simulated joins side by side. */

let t: ReturnType<typeof tempDir>;
const cli = (...args: string[]) => spawnCli(['--file', t.file, ...args]);
const json = async (...args: string[]) => {
  const r = await cli(...args, '-o', 'json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};
const AT = '2026-11-27T12:34:56Z';

/** Writes the node records straight into the store: a hundred `nodes add` processes are slow. */
async function addNodes(count: number, zones = 0): Promise<void> {
  const store = new FileStore(t.file);
  const ops = Array.from({ length: count }, (_, i) => {
    const id = `node-${String(i + 1).padStart(3, '0')}`;
    const zone = zones ? `zone-${i % zones}` : '';
    const node = {
      node_id: id,
      location: { region: 'r1', availability_zone: zone, data_center: '' },
      weight: 1,
      state: 'Up',
    };
    return { type: 'put' as const, key: `/otlp/nodes/${id}`, value: JSON.stringify(node) };
  });
  await store.txn([], ops);
  await store.close();
}

beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

describe('ring on the built binary', () => {
  it.each([4, 16, 100])(
    'bounded keeps the hour within ten percent at %i nodes; the seed ring does not',
    async (n) => {
      await json('init', '--placement', 'bounded');
      await addNodes(n);
      const bounded = await json('ring', '--hours', '1', '--at', AT);
      expect(bounded).toMatchObject({ placement: 'bounded', hours: 1, buckets: 1, partitions: 768 });
      expect(bounded.skew).toBeLessThanOrEqual(0.1);
      const sum = bounded.nodes.reduce((a: number, x: { partitions: number }) => a + x.partitions, 0);
      expect(sum).toBe(768);
      await json('init', '--force', '--placement', 'ring');
      const ring = await json('ring', '--hours', '1', '--at', AT);
      if (n >= 16) expect(ring.skew).toBeGreaterThan(0.1);
    },
  );

  it('zone_aware on 12 nodes in 4 zones: no replica set shares a zone, a zone failure loses nothing', async () => {
    await json('init', '--retention-days', '1');
    await addNodes(12, 4);
    const plain = await json('ring', '--at', AT, '--simulate-fail-zone', 'zone-1');
    expect(plain.failure).toMatchObject({ zone: 'zone-1', partitions: 24 * 256 * 3 });
    expect(plain.failure.nodes).toEqual(['node-002', 'node-006', 'node-010']);
    expect(plain.failure.unavailable).toBeGreaterThan(0);
    expect(plain.failure.under_quorum).toBeGreaterThan(plain.failure.unavailable);
    for (const placement of ['ring', 'bounded']) {
      await json('init', '--force', '--zone-aware', '--placement', placement);
      for (const zone of ['zone-0', 'zone-1', 'zone-2', 'zone-3']) {
        const r = await json('ring', '--at', AT, '--simulate-fail-zone', zone);
        expect(r.zone_aware).toBe(true);
        // Three zones left hold two replicas of every partition: a majority of 3.
        expect(r.failure).toMatchObject({ partitions: 24 * 256 * 3, unavailable: 0, under_quorum: 0 });
        expect(r.failure.signals.logs).toEqual({ partitions: 24 * 256, unavailable: 0, under_quorum: 0 });
      }
    }
    // Two nodes of different zones: some partitions lose two of three replicas, none all three.
    const two = await json('ring', '--at', AT, '--simulate-fail-node', 'node-001', 'node-002');
    expect(two.failure.unavailable).toBe(0);
    expect(two.failure.under_quorum).toBeGreaterThan(0);
  });

  it('stored metadata wins in a failure: a partition registered inside one zone is lost with it', async () => {
    await json('init', '--retention-days', '1', '--zone-aware');
    await addNodes(12, 4);
    const r = await cli(
      'partitions',
      'register',
      'partition_498828_0007',
      '--nodes',
      'node-002,node-006,node-010',
      '--leader',
      'node-002',
    );
    expect(r.stderr).toBe('');
    const f = await json('ring', '--at', AT, '--simulate-fail-zone', 'zone-1');
    expect(f.failure).toMatchObject({ unavailable: 1, stored: 1 });
    expect(f.failure.signals.traces.unavailable).toBe(1);
  });

  it('--simulate-add NODE:WEIGHT@ZONE: its own columns after, weight and zone honoured', async () => {
    await json('init', '--retention-days', '1', '--zone-aware', '--placement', 'bounded');
    await addNodes(6, 3);
    const r = await json('ring', '--at', AT, '--simulate-add', 'node-new:2@zone-0');
    const added = r.nodes.find((x: { node_id: string }) => x.node_id === 'node-new');
    expect(added).toMatchObject({ points: 0, partitions: 0, points_after: 300, zone: 'zone-0', weight: 2 });
    expect(added.share_after).toBeGreaterThan(0.15);
    // The current columns are untouched by the simulation.
    const alone = await json('ring', '--at', AT);
    for (const [i, n] of alone.nodes.entries())
      expect(r.nodes[i]).toMatchObject({
        node_id: n.node_id,
        share: n.share,
        partitions: n.partitions,
        deviation: n.deviation,
      });
    expect(r.simulate.ideal_share).toBeCloseTo(2 / 8);
    expect(r.simulate.moved).toBeGreaterThanOrEqual(added.partitions_after);
    const table = await cli(
      'ring',
      '--at',
      AT,
      '--simulate-add',
      'node-new:2@zone-0',
      '-o',
      'table',
      '--no-color',
    );
    expect(table.stdout).toMatch(/SHARE AFTER.*PARTITIONS AFTER.*DEVIATION AFTER/);
    expect(table.stdout).toMatch(/simulated \+node-new: \d+ placements move/);
  });

  it('the window and the count agree: 720 h are 720 time partitions, however --at falls', async () => {
    await json('init');
    await addNodes(3);
    const r = await json('ring', '--at', AT);
    expect(r).toMatchObject({ hours: 720, buckets: 720, partitions: 720 * 256 * 3 });
    expect(r.from).toBe('2026-10-28T13:00:00Z');
    expect(r.to).toBe('2026-11-27T13:00:00Z');
    const table = await cli('ring', '--at', AT, '-o', 'table', '--no-color');
    expect(table.stdout).toMatch(/552960 replica placements over 720 h \(720 time partitions/);
  });

  it('a Down node holding placements leaves every Up node under its share: the skew keeps its sign', async () => {
    await json('init');
    await addNodes(4);
    expect((await cli('nodes', 'set-state', 'node-004', 'Down')).code).toBe(0);
    const r = await json('ring', '--at', AT, '--hours', '24');
    // The Down node's placements count in the total but not in the Up nodes' weights.
    expect(r.skew).toBeLessThan(0);
    const table = await cli('ring', '--at', AT, '--hours', '24', '-o', 'table', '--no-color');
    const pct = (x: number) => `${(Math.abs(x) * 100).toFixed(2)} %`;
    expect(table.stdout).toContain(`skew −${pct(r.skew)} / −${pct(r.under)} (threshold`);
    expect(table.stdout).not.toMatch(/\+-/);
  });

  it.each([
    [['--simulate-add', 'node-9:heavy'], /--simulate-add 'node-9:heavy': expected NODE\[:WEIGHT\]\[@ZONE\]/],
    [['--simulate-add', 'node-9@'], /expected NODE\[:WEIGHT\]\[@ZONE\]/],
    [
      ['--simulate-fail-zone', 'mars'],
      /--simulate-fail-zone 'mars': no node in that zone \(zones: zone-0, zone-1\)/,
    ],
    [['--simulate-fail-node', 'ghost'], /--simulate-fail-node 'ghost': no such node/],
  ])('%j → one line, exit 2', async (args, msg) => {
    await json('init');
    await addNodes(4, 2);
    const r = await cli('ring', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
