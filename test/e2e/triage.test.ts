import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli.js';
import { SEED_TARGETS, type SeedTarget } from '../helpers/seed-targets.js';

/**
 * The 3 a.m. pass (issue 12) on both stores: a corrupt node record written behind our back, a node
 * Down that leads hundreds of partitions, ids this cluster never makes — and what `nodes list`,
 * `ring`, `locate` and `doctor` tell the person on call.
 */

const NOW = Date.parse('2026-11-27T12:00:00Z');
const HOUR = Math.floor(NOW / 3_600_000) - 1;
const ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const DOWN_LED = 250; // more than the 200 the old doctor listed

const partition = (id: string, nodes: string[], leader: string) =>
  JSON.stringify({
    partition_id: id,
    nodes,
    leader,
    state: 'Active',
    size_bytes: 2_000_000_000,
    record_count: 1000,
    created_at: '2026-11-27T10:00:00Z',
    updated_at: '2026-11-27T11:00:00Z',
  });

describe.each(SEED_TARGETS)('on the %s', (_name, make) => {
  let t: SeedTarget;
  const cli = (...args: string[]) => runCli([...t.args, ...args], { now: NOW });
  let located: { partition_id: string; ring_replicas: string[] };

  beforeAll(async () => {
    t = await make();
    expect((await cli('init', '--hash-partitions', '256')).code).toBe(0);
    for (const n of ['n1', 'n2', 'n3', 'n4', 'n5'])
      expect((await cli('nodes', 'add', n, '--zone', `z-${n}`)).code).toBe(0);
    located = JSON.parse((await cli('locate', ID, '--at', '2026-11-27T11:30:00Z', '-o', 'json')).stdout);
    // n4 leads DOWN_LED partitions of the hour before, and the located one; then it goes Down.
    const others = ['n1', 'n2', 'n3', 'n5'].filter((n) => n !== 'n4');
    const puts = [];
    for (let h = 0; h < DOWN_LED; h++) {
      const id = `partition_${HOUR - 1}_${String(h).padStart(4, '0')}`;
      puts.push({
        type: 'put' as const,
        key: `${t.prefix}/partitions/${id}`,
        value: partition(id, ['n4', 'n1', 'n2'], 'n4'),
      });
    }
    for (let i = 0; i < puts.length; i += 100) await t.store.txn([], puts.slice(i, i + 100));
    const pid = located.partition_id;
    await t.put(`${t.prefix}/partitions/${pid}`, partition(pid, ['n4', others[1]!, others[2]!], 'n4'));
    expect((await cli('nodes', 'set-state', 'n4', 'Down')).code).toBe(0);
    // An id well formed but beyond hash_partitions 256: no partition of this cluster.
    const stray = `partition_${HOUR}_0300`;
    await t.put(`${t.prefix}/partitions/${stray}`, partition(stray, ['n1', 'n2', 'n3'], 'n1'));
    // The corrupt record, as `etcdctl put /otlp/nodes/node-98 junk` leaves it.
    await t.put(`${t.prefix}/nodes/node-98`, 'junk');
  }, 60_000);
  afterAll(() => t.close());

  const warning = (stderr: string) => {
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      `otlpctl: skipped ${t.prefix}/nodes/node-98: value is not JSON (see 'otlpctl doctor')`,
    ]);
  };

  it('a corrupt node record: nodes list, ring and locate still answer, each with one warning naming the key', async () => {
    const list = await cli('nodes', 'list', '-o', 'json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((n: { node_id: string }) => n.node_id)).toEqual([
      'n1',
      'n2',
      'n3',
      'n4',
      'n5',
    ]);
    warning(list.stderr);
    const ring = await cli('ring', '-o', 'json');
    expect(ring.code).toBe(0);
    expect(JSON.parse(ring.stdout).nodes).toHaveLength(5);
    warning(ring.stderr);
    // The built binary, as the on-call engineer runs it.
    const loc = await spawnCli([...t.args, 'locate', ID, '--at', '2026-11-27T11:30:00Z', '-o', 'json']);
    expect(loc.code).toBe(0);
    expect(JSON.parse(loc.stdout).partition_id).toBe(located.partition_id);
    warning(loc.stderr);
  });

  it('doctor reports the corrupt record and exits 1', async () => {
    const r = await cli('doctor', '--check', 'unparsable', '-o', 'json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings).toEqual([
      {
        check: 'unparsable',
        subject: `${t.prefix}/nodes/node-98`,
        detail: `${t.prefix}/nodes/node-98: value is not JSON`,
      },
    ]);
  });

  it('locate on a Down leader says the leader is Down and which replica to read', async () => {
    const r = await cli('locate', ID, '--at', '2026-11-27T11:30:00Z', '-o', 'json');
    const j = JSON.parse(r.stdout);
    expect(j.leader).toBe('n4');
    const read = j.preferred.node_id as string;
    expect(read).not.toBe('n4');
    expect(j.warnings).toContain(
      `leader n4 is Down: read from replica ${read} instead; 'otlpctl failover n4' moves the leadership`,
    );
    expect(j.warnings.join('\n')).not.toMatch(/^replica n4 is Down/m);
    // A window renders a table: the WARNINGS column carries the text, not a count.
    const table = await cli(
      'locate',
      ID,
      '--from-time',
      '2026-11-27T10:00:00Z',
      '--to-time',
      '2026-11-27T12:00:00Z',
      '-o',
      'table',
    );
    expect(table.code).toBe(0);
    const row = table.stdout.split('\n').find((l) => l.includes(located.partition_id))!;
    expect(row).toContain(`leader n4 is Down: read from replica ${read} instead`);
  });

  it('doctor -o json lists every finding it counts; --check filters', async () => {
    const r = await cli('doctor', '-o', 'json');
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout);
    const total = Object.values(d.counts as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(d.findings).toHaveLength(total);
    expect(d.counts['node-down']).toBe(DOWN_LED + 1);
    const down = await cli('doctor', '--check', 'node-down', '-o', 'tsv');
    expect(down.code).toBe(1);
    const rows = down.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(DOWN_LED + 1);
    expect(rows.every((l) => l.startsWith('node-down\tpartition_') && l.split('\t')[2] === 'n4')).toBe(true);
    const none = await cli('doctor', '--check', 'stuck-migrating', '-o', 'json');
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout)).toMatchObject({ ok: true, findings: [], only: ['stuck-migrating'] });
    const bad = await cli('doctor', '--check', 'everything');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^otlpctl: --check 'everything': expected one of unparsable, bad-id,/);
  });

  it('doctor table: grouped by cause and node, shortened lists say so, Down nodes name their fix', async () => {
    const r = await cli('doctor', '-o', 'table');
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`n4 Down: ${DOWN_LED + 1} partitions, ${DOWN_LED + 1} of them led`);
    expect(lines[1]).toBe('  move its replicas: otlpctl rebalance plan --replace-down n4');
    expect(lines[2]).toBe('  move leadership:   otlpctl failover n4');
    expect(lines.filter((l) => /^ {2}partition_\d+_\d{4} +replica 'n4' is Down/.test(l))).toHaveLength(10);
    expect(r.stdout).toContain(
      `  … ${DOWN_LED + 1 - 10} more not shown; all: otlpctl doctor --check node-down -o tsv`,
    );
    expect(r.stdout).toMatch(/^bad-id: 1 partition$/m);
    expect(r.stdout).toMatch(/^unparsable: 1 stored value$/m);
    expect(lines.at(-2)).toMatch(/^problems in 25\d partitions checked: /);
  });

  it('ids beyond hash_partitions: a doctor finding, refused by partitions show|register|set-state (exit 2)', async () => {
    const stray = `partition_${HOUR}_0300`;
    const d = JSON.parse((await cli('doctor', '--check', 'bad-id', '-o', 'json')).stdout);
    expect(d.findings).toEqual([
      { check: 'bad-id', subject: stray, detail: 'hash bucket 300 is not below hash_partitions 256' },
    ]);
    const before = await t.get(`${t.prefix}/partitions/${stray}`);
    for (const args of [
      ['partitions', 'show', stray],
      ['partitions', 'register', stray, '--nodes', 'n1,n2,n3'],
      ['partitions', 'set-state', stray, 'ReadOnly'],
      ['partitions', 'register', `partition_${HOUR}_0256`],
    ]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(
        /^otlpctl: partition id 'partition_\d+_0(300|256)': hash bucket \d+ is not below hash_partitions 256$/m,
      );
    }
    expect(await t.get(`${t.prefix}/partitions/${stray}`)).toBe(before);
    expect(await t.get(`${t.prefix}/partitions/partition_${HOUR}_0256`)).toBeUndefined();
  });
});
