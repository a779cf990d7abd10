import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, tempDir } from '../helpers/cli.js';

/** The locate family on the file store, through the CLI as a user runs it (in-process). */

const NOW = Date.parse('2026-11-27T12:00:00Z');
const ID = '4bf92f3577b34da6a3ce929d0e0e4736';
let store: ReturnType<typeof tempDir>;
const cli = (args: string[], stdin?: string) => runCli(['--file', store.file, ...args], { now: NOW, stdin });

beforeAll(async () => {
  store = tempDir();
  expect((await runCli(['--file', store.file, 'demo'], { now: NOW })).code).toBe(0);
});
afterAll(() => store.cleanup());

describe('locate <trace-id>', () => {
  it('prints the JSON of PRODUCT §9', async () => {
    const r = await cli(['locate', ID, '--at', '2026-11-27T11:30:00Z', '--from', 'node-03', '-o', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(
      expect.arrayContaining([
        'trace_id',
        'time_partition',
        'hash_partition',
        'partition_id',
        'source',
        'state',
        'leader',
        'replicas',
        'preferred',
      ]),
    );
    expect(j.trace_id).toBe(ID);
    expect(j.time_partition).toEqual({
      bucket_id: 498_827,
      start: '2026-11-27T11:00:00Z',
      end: '2026-11-27T12:00:00Z',
    });
    expect(j.partition_id).toBe(`partition_498827_${String(j.hash_partition).padStart(4, '0')}`);
    expect(j.source).toBe('metadata');
    expect(j.state).toBe('Active');
    expect(j.replicas).toHaveLength(3);
    expect(j.replicas[0]).toEqual({
      node_id: expect.any(String),
      state: expect.any(String),
      location: expect.any(Object),
    });
    expect(j.preferred === null || typeof j.preferred.reason === 'string').toBe(true);
  });

  it('a traceparent gives the same answer as its trace id', async () => {
    const a = await cli(['locate', ID, '--at', 'now-1h', '-o', 'json']);
    const b = await cli(['locate', `00-${ID}-00f067aa0ba902b7-01`, '--at', 'now-1h', '-o', 'json']);
    expect(JSON.parse(b.stdout)).toEqual(JSON.parse(a.stdout));
  });

  it('falls back to the ring where no metadata is stored', async () => {
    const r = await cli(['locate', ID, '--at', '2020-01-01T00:00:00Z', '-o', 'json']);
    const j = JSON.parse(r.stdout);
    expect(j.source).toBe('ring');
    expect(j.state).toBeNull();
    expect(j.leader).toBe(j.replicas[0].node_id);
  });

  it('a window gives one row per time partition', async () => {
    const r = await cli([
      'locate',
      ID,
      '--from-time',
      '2026-11-27T08:30:00Z',
      '--to-time',
      '2026-11-27T11:10:00Z',
      '-o',
      'json',
    ]);
    const rows = JSON.parse(r.stdout);
    expect(rows.map((x: { time_partition: { start: string } }) => x.time_partition.start)).toEqual([
      '2026-11-27T08:00:00Z',
      '2026-11-27T09:00:00Z',
      '2026-11-27T10:00:00Z',
      '2026-11-27T11:00:00Z',
    ]);
    const around = JSON.parse(
      (await cli(['locate', ID, '--around', '2026-11-27T10:00:00Z', '--window', '2h', '-o', 'json'])).stdout,
    );
    expect(around).toHaveLength(2);
  });

  it('a table for people, naming the preferred replica and why', async () => {
    const r = await runCli(['--file', store.file, 'locate', ID, '--at', 'now-1h', '--region', 'us-east-1'], {
      now: NOW,
      tty: true,
      env: { NO_COLOR: '1' },
    });
    expect(r.stdout).toMatch(/partition\s+partition_498827_\d{4}/);
    expect(r.stdout).toMatch(/preferred/);
  });

  it.each([
    [['locate', 'xyz'], /trace id 'xyz': expected 32 hex digits/],
    [['locate', '00000000000000000000000000000000'], /all-zero/],
    [['locate', ID, '--at', 'yesterday'], /--at 'yesterday'/],
    [['locate', ID, '--at', '1767268800000'], /milliseconds/],
    [['locate', ID, '--from', 'node-99'], /--from 'node-99': no such node/],
    [['locate', ID, '--at', 'now', '--around', 'now'], /give one of/],
    [['locate', ID, '-o', 'yaml'], /--output 'yaml': expected one of table, json, ndjson, tsv/],
    [['locate'], /give a trace id/],
  ])('%j → exit 2, one line, no stack', async (args, msg) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('with no store configured, says how to configure one', async () => {
    const r = await runCli(['locate', ID]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no metadata store configured: use --file PATH/);
  });
});

describe('locate metric / log / range', () => {
  it('metric: decimal-string label hash and the metrics partition id', async () => {
    const r = await cli([
      'locate',
      'metric',
      '--name',
      'http.server.duration',
      '--service',
      'checkout',
      '--labels',
      'method=GET,code=200',
      '--at',
      'now-2h',
      '-o',
      'json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      signal: 'metrics',
      name: 'http.server.duration',
      service_name: 'checkout',
      time_bucket: '2026-11-27-10',
      source: 'ring',
    });
    expect(j.label_hash).toMatch(/^\d+$/);
    expect(j.partition_id).toMatch(/^metrics_partition_498826_\d{4}$/);
    // Label order does not matter: the seed sorts by key.
    const again = JSON.parse(
      (
        await cli([
          'locate',
          'metric',
          '--name',
          'http.server.duration',
          '--service',
          'checkout',
          '--labels',
          'code=200,method=GET',
          '--at',
          'now-2h',
          '-o',
          'json',
        ])
      ).stdout,
    );
    expect(again.label_hash).toBe(j.label_hash);
  });

  it('log: severity by name or OTLP number maps to the seed level', async () => {
    const a = JSON.parse(
      (
        await cli([
          'locate',
          'log',
          '--service',
          'checkout',
          '--severity',
          'ERROR',
          '--body',
          'payment declined',
          '--at',
          'now',
          '-o',
          'json',
        ])
      ).stdout,
    );
    const b = JSON.parse(
      (
        await cli([
          'locate',
          'log',
          '--service',
          'checkout',
          '--severity',
          '19',
          '--body',
          'payment declined',
          '--at',
          'now',
          '-o',
          'json',
        ])
      ).stdout,
    );
    expect(a).toMatchObject({ signal: 'logs', severity_level: 17 });
    expect(b.partition_id).toBe(a.partition_id);
    expect(a.content_hash).toMatch(/^\d+$/);
    const bad = await cli(['locate', 'log', '--service', 's', '--severity', 'LOUD', '--body', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--severity 'LOUD'/);
  });

  it('range: every partition of the range, one preferred replica each', async () => {
    const r = await cli([
      'locate',
      'range',
      '--from-time',
      '2026-11-27T09:30:00Z',
      '--to-time',
      '2026-11-27T11:00:00Z',
      '--dc',
      'dc-3',
      '-o',
      'json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.time_partitions).toBe(2);
    expect(j.partitions).toHaveLength(512);
    const counted = Object.values(j.nodes as Record<string, { partitions: number }>).reduce(
      (a, n) => a + n.partitions,
      0,
    );
    expect(counted + j.unavailable.length).toBe(512);
    // The Down node (node-05) is never preferred.
    expect(j.nodes['node-05']).toBeUndefined();
  });
});

describe('locate --stdin', () => {
  it('agrees with single locates, reports bad lines in the stream, and exits 6', async () => {
    const ids = ['0af7651916cd43dd8448eb211c80319c', 'AAF7651916CD43DD8448EB211C80319C', ID];
    const t = 1_764_237_600; // 2025-11-27T10:00:00Z
    const input = [
      `${ids[0]} ${t}`,
      'not-an-id',
      `${ids[1]}\t${t + 5}`,
      '',
      `00-${ID}-00f067aa0ba902b7-01 2026-11-27T11:30:00Z`,
      `${ID} 1 2`,
    ].join('\n');
    const r = await cli(['locate', '--stdin', '-o', 'ndjson'], input);
    expect(r.code).toBe(6);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(5);
    expect(rows[1]).toMatchObject({ line: 2, input: 'not-an-id', error: expect.stringMatching(/trace id/) });
    expect(rows[4]).toMatchObject({ line: 6, error: expect.stringMatching(/fields/) });
    expect(rows[2].trace_id).toBe(ids[1]!.toLowerCase());
    expect(rows[0].time).toBe('2025-11-27T10:00:00Z');
    for (const [row, at] of [
      [rows[0], `${t}`],
      [rows[3], '2026-11-27T11:30:00Z'],
    ] as const) {
      const single = JSON.parse((await cli(['locate', row.trace_id, '--at', at, '-o', 'json'])).stdout);
      expect(row).toMatchObject({
        partition_id: single.partition_id,
        leader: single.leader,
        source: single.source,
      });
      expect(row.replicas).toEqual(single.replicas.map((x: { node_id: string }) => x.node_id));
    }
  });

  it('tsv columns: trace id, time, partition id, leader, replicas; a last line without newline counts', async () => {
    const r = await cli(['locate', '--stdin', '-o', 'tsv'], `${ID} 1764237600`);
    expect(r.code).toBe(0);
    const cols = r.stdout.trim().split('\t');
    expect(cols).toHaveLength(5);
    expect(cols[0]).toBe(ID);
    expect(cols[1]).toBe('2025-11-27T10:00:00Z');
    expect(cols[4]!.split(',')).toHaveLength(3);
  });

  it('the binary reading fd 0 agrees with single locates, across buckets with and without metadata', async () => {
    // Metadata that disagrees with the ring, in a bucket met before and after others: a route
    // cached from the ring (or from another bucket) would show here.
    const at = '2026-11-27T09:10:00Z';
    const one = JSON.parse((await cli(['locate', ID, '--at', at, '-o', 'json'])).stdout);
    const moved = ['node-12', 'node-11', 'node-10'];
    const reg = await cli([
      'partitions',
      'register',
      one.partition_id,
      '--nodes',
      moved.join(','),
      '--leader',
      'node-11',
    ]);
    expect(reg.code).toBe(0);
    const t = (iso: string) => String(Date.parse(iso) / 1000);
    const lines = [
      [ID, t('2020-01-01T00:00:00Z')],
      [ID, t(at)],
      [ID.toUpperCase(), t('2026-11-27T10:59:59Z')],
      ['0af7651916cd43dd8448eb211c80319c', t(at)],
      [ID, t('2020-01-01T00:00:00Z')],
      [ID.toUpperCase(), t(at)],
    ];
    const r = await spawnCli(['--file', store.file, 'locate', '--stdin', '-o', 'tsv'], {
      stdin: lines.map((l) => l.join(' ')).join('\n'),
    });
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows).toHaveLength(lines.length);
    for (const [i, [id, secs]] of lines.entries()) {
      const time = new Date(Number(secs) * 1000).toISOString().replace('.000', '');
      const single = JSON.parse((await cli(['locate', id!, '--at', time, '-o', 'json'])).stdout);
      expect(rows[i]).toEqual([
        id!.toLowerCase(),
        time,
        single.partition_id,
        single.leader,
        single.replicas.map((x: { node_id: string }) => x.node_id).join(','),
      ]);
    }
    expect(rows[1]!.slice(3)).toEqual(['node-11', moved.join(',')]);
  });

  it('-o json is one valid array', async () => {
    const r = await cli(['locate', '--stdin', '-o', 'json'], `${ID} 1764237600\nbad\n`);
    expect(JSON.parse(r.stdout)).toHaveLength(2);
    expect(JSON.parse((await cli(['locate', '--stdin', '-o', 'json'], '')).stdout)).toEqual([]);
  });
});

describe('locate otlp', () => {
  const fixture = (name: string) => new URL(`../fixtures/otlp/${name}`, import.meta.url).pathname;

  it('places each trace of an OTLP/JSON request, as a single locate would', async () => {
    const r = await cli(['locate', 'otlp', fixture('traces.json'), '-o', 'ndjson']);
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) {
      expect(row).toMatchObject({
        signal: 'traces',
        trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        service_name: expect.any(String),
      });
      const single = JSON.parse((await cli(['locate', row.trace_id, '--at', row.time, '-o', 'json'])).stdout);
      expect(row.partition_id).toBe(single.partition_id);
      expect(row.replicas).toEqual(single.replicas.map((x: { node_id: string }) => x.node_id));
    }
  });

  it('reads stdin, reports broken lines and exits 6', async () => {
    const text = (await import('node:fs')).readFileSync(fixture('broken.jsonl'), 'utf8');
    const r = await cli(['locate', 'otlp', '-', '-o', 'json'], text);
    expect(r.code).toBe(6);
    const rows = JSON.parse(r.stdout);
    expect(rows.some((x: { error?: string }) => typeof x.error === 'string')).toBe(true);
  });

  it('a missing file is one line, exit 2', async () => {
    const r = await cli(['locate', 'otlp', '/nonexistent/x.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/nonexistent\/x.json: cannot read \(ENOENT\)/);
  });
});
