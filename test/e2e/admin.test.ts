import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { FileStore } from '../../src/store/file/store.js';
import { runCli, tempDir } from '../helpers/cli.js';

/** init, nodes, ring and completion on the file store, through the CLI. */

let t: ReturnType<typeof tempDir>;
const cli = (...args: string[]) => runCli(['--file', t.file, ...args]);
const json = async (...args: string[]) => {
  const r = await cli(...args, '-o', 'json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

describe('init', () => {
  it('writes the config with defaults, refuses to overwrite, --force keeps unknown fields', async () => {
    expect(await json('init', '--hash', 'rust-siphash13', '--retention-days', '7')).toMatchObject({
      hash: 'rust-siphash13',
      retention_days: 7,
      hash_partitions: 256,
      replication_factor: 3,
    });
    const again = await cli('init');
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/already exists.*--force/);
    // A newer writer added a field: a forced rewrite must keep it.
    const store = new FileStore(t.file);
    const kv = (await store.get('/otlp/config'))!;
    await store.txn(
      [],
      [
        {
          type: 'put',
          key: '/otlp/config',
          value: JSON.stringify({ ...JSON.parse(kv.value), zone_aware: true }),
        },
      ],
    );
    expect(await json('init', '--force', '--virtual-nodes', '100')).toMatchObject({
      virtual_nodes: 100,
      retention_days: 7,
      zone_aware: true,
    });
    await store.close();
  });

  it('--placement bounded and --zone-aware are written; --force keeps them unless changed', async () => {
    expect(await json('init', '--placement', 'bounded', '--zone-aware')).toMatchObject({
      placement: 'bounded',
      zone_aware: true,
    });
    expect(await json('init', '--force', '--retention-days', '3')).toMatchObject({
      placement: 'bounded',
      zone_aware: true,
    });
    expect(await json('init', '--force', '--no-zone-aware')).toMatchObject({ zone_aware: false });
  });

  it('every numeric init flag takes exactly the values the stored config accepts', async () => {
    const flags = {
      granularity_hours: '--granularity-hours',
      retention_days: '--retention-days',
      hash_partitions: '--hash-partitions',
      virtual_nodes: '--virtual-nodes',
      replication_factor: '--replication-factor',
      imbalance_threshold: '--imbalance-threshold',
      max_concurrent_migrations: '--max-concurrent-migrations',
    } as const;
    // Each field's bounds and their neighbours, for every field: one check defines them all.
    const values = [-1, 0, 0.5, 1, 9.99, 10, 100, 101, 1000, 1001, 8784, 8785, 36600, 36601, 100000, 100001];
    values.push(2 ** 20, 2 ** 20 + 1);
    for (const [field, flag] of Object.entries(flags)) {
      for (const value of values) {
        const stored = (() => {
          try {
            parseConfig({ [field]: value }, 'config');
            return true;
          } catch {
            return false;
          }
        })();
        const r = await cli('init', '--force', flag, String(value), '-o', 'json');
        expect([flag, value, r.code === 0]).toEqual([flag, value, stored]);
        if (!stored) expect(r.stderr).toMatch(new RegExp(`^otlpctl: ${flag} '${value}': expected an? `));
      }
    }
  });

  it.each([
    [['init', '--placement', 'sticky'], /--placement 'sticky': expected one of ring, bounded/],
    [['init', '--hash-partitions', '0'], /--hash-partitions '0': expected an integer from 1/],
    [['init', '--hash', 'md5'], /--hash 'md5': expected one of xxh64, rust-siphash13/],
    [['init', '--bogus'], /unknown option '--bogus'/],
  ])('%j is refused (exit 2) and writes nothing', async (args, msg) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(() => readFileSync(t.file)).toThrow();
  });
});

describe('nodes', () => {
  beforeEach(async () => {
    await json('init');
  });

  it('add, list, show, set-state, set-location, remove', async () => {
    expect(
      await json(
        'nodes',
        'add',
        'n1',
        '--region',
        'eu',
        '--zone',
        'eu-a',
        '--dc',
        'dc1',
        '--weight',
        '2',
        '--address',
        '10.0.0.1:4317',
      ),
    ).toEqual({
      node_id: 'n1',
      address: '10.0.0.1:4317',
      location: { region: 'eu', availability_zone: 'eu-a', data_center: 'dc1' },
      weight: 2,
      state: 'Up',
    });
    await json('nodes', 'add', 'n2');
    expect((await json('nodes', 'list')).map((n: { node_id: string }) => n.node_id)).toEqual(['n1', 'n2']);
    const show = await json('nodes', 'show', 'n1');
    expect(show.points).toBe(300);
    expect(show.share).toBeGreaterThan(0.5);
    expect((await json('nodes', 'set-state', 'n2', 'Draining')).state).toBe('Draining');
    expect((await json('nodes', 'set-location', 'n1', '--dc', 'dc9')).location).toEqual({
      region: 'eu',
      availability_zone: 'eu-a',
      data_center: 'dc9',
    });
    expect((await cli('nodes', 'add', 'n1')).code).toBe(3);
    await json('nodes', 'remove', 'n2');
    expect((await json('nodes', 'list')).map((n: { node_id: string }) => n.node_id)).toEqual(['n1']);
  });

  it('rewrites keep fields they do not change, including unknown ones', async () => {
    const store = new FileStore(t.file);
    const node = {
      node_id: 'n3',
      location: { region: 'r', availability_zone: 'z', data_center: 'd', rack: 'r7' },
      weight: 1,
      state: 'Up',
      owner: 'team-a',
    };
    await store.txn([], [{ type: 'put', key: '/otlp/nodes/n3', value: JSON.stringify(node) }]);
    await json('nodes', 'set-state', 'n3', 'Down');
    await json('nodes', 'set-location', 'n3', '--zone', 'z2');
    const stored = JSON.parse((await store.get('/otlp/nodes/n3'))!.value);
    expect(stored).toEqual({
      ...node,
      state: 'Down',
      location: { ...node.location, availability_zone: 'z2' },
    });
    await store.close();
  });

  it('refuses to remove a node that partitions still name, unless --force', async () => {
    await json('nodes', 'add', 'n1');
    const store = new FileStore(t.file);
    const meta = {
      partition_id: 'partition_1_0001',
      nodes: ['n1'],
      leader: 'n1',
      state: 'Active',
      size_bytes: 1,
      record_count: 1,
      created_at: '2025-10-10T14:00:00.123456789Z',
      updated_at: '2025-10-10T14:00:00Z',
    };
    await store.txn(
      [],
      [{ type: 'put', key: '/otlp/partitions/partition_1_0001', value: JSON.stringify(meta) }],
    );
    await store.close();
    const r = await cli('nodes', 'remove', 'n1');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/still named by 1 partition/);
    expect((await cli('nodes', 'remove', 'n1', '--force')).code).toBe(0);
  });

  it.each([
    [['nodes', 'add', 'bad/id'], /node id 'bad\/id'/],
    [['nodes', 'add', 'a:b'], /node id 'a:b'/],
    [['nodes', 'add', 'n1', '--weight', '-1'], /--weight '-1'/],
    [['nodes', 'set-state', 'n1', 'Sleeping'], /state 'Sleeping': expected one of Up, Down, Draining/],
    [['nodes', 'show', 'nope'], /node 'nope': not found/],
    [['nodes', 'set-location', 'nope'], /give at least one of/],
  ])('%j → exit 2', async (args, msg) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
  });
});

describe('ring', () => {
  it('reports points, shares, placements and a simulated join against the ideal', async () => {
    await json('init', '--retention-days', '1');
    for (const n of ['a', 'b', 'c', 'd']) await json('nodes', 'add', n);
    const r = await json('ring', '--simulate-add', 'e', '--at', '2026-01-01T00:00:00Z');
    expect(r).toMatchObject({ placement: 'ring', hours: 24, partitions: 24 * 256 * 3 });
    expect(r.nodes.map((n: { node_id: string }) => n.node_id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    const sum = r.nodes.reduce((a: number, n: { partitions: number }) => a + n.partitions, 0);
    expect(sum).toBe(r.partitions);
    expect(r.simulate.ideal_share).toBeCloseTo(0.2);
    // Only the new node receives: moved equals what e holds afterwards.
    expect(r.simulate.moved).toBe(r.nodes[4].partitions_after);
    expect(r.simulate.moved_share).toBeCloseTo(r.simulate.moved / r.partitions);
    expect(r.skew).toBeGreaterThanOrEqual(0);
    const bad = await cli('ring', '--simulate-remove', 'zz');
    expect(bad.code).toBe(2);
  });
});

describe('completion', () => {
  it('covers every command of the tree, parses in bash, and matches completions/', async () => {
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const r = await runCli(['completion', shell]);
      expect(r.code).toBe(0);
      for (const word of [
        'init',
        'nodes',
        'set-location',
        'locate',
        'metric',
        'range',
        'otlp',
        'ring',
        'demo',
        'simulate-add',
        'output',
      ]) {
        expect(r.stdout, `${shell} completes ${word}`).toContain(word);
      }
      const committed = readFileSync(new URL(`../../completions/otlpctl.${shell}`, import.meta.url), 'utf8');
      expect(committed, `completions/otlpctl.${shell} is stale: run npm run completions`).toBe(r.stdout);
    }
    const bash = (await runCli(['completion', 'bash'])).stdout;
    writeFileSync(`${t.dir}/c.bash`, bash);
    execFileSync('bash', ['-n', `${t.dir}/c.bash`]);
    // Complete `otlpctl nodes set-state n1 <TAB>` for real.
    const out = execFileSync('bash', [
      '-c',
      `source ${t.dir}/c.bash; COMP_WORDS=(otlpctl nodes set-st); COMP_CWORD=2; _otlpctl; echo "\${COMPREPLY[@]}"; COMP_WORDS=(otlpctl -o ''); COMP_CWORD=2; _otlpctl; echo "\${COMPREPLY[@]}"`,
    ]).toString();
    expect(out.split('\n')[0]).toBe('set-state');
    expect(out.split('\n')[1]).toBe('table json ndjson tsv');
  });
});
