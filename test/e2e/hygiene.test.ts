import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, tempDir } from '../helpers/cli.js';

/**
 * Issue 12, items 5 and 6 on the demo cluster: what the output looks like (progress line, times,
 * one-line errors, tsv) and what an SRE reaches for next (filters, nodes show, audit list,
 * completion of ids, the demo's hint, an example in every --help).
 */

// A clock reading with milliseconds, as Date.now() gives: it must print in whole seconds.
const NOW = Date.parse('2026-11-27T12:00:00.250Z');
const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = `${ROOT}bin/otlpctl.js`;
const fixture = (name: string) => `${ROOT}test/fixtures/otlp/${name}`;

let t: ReturnType<typeof tempDir>;
const cli = (...args: string[]) => runCli(['--file', t.file, ...args], { now: NOW });
const ok = async (...args: string[]) => {
  const r = await cli(...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};
const json = async (...args: string[]) => JSON.parse((await ok(...args, '-o', 'json')).stdout);
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

beforeAll(async () => {
  t = tempDir();
  await ok('demo');
}, 60_000);
afterAll(() => t.cleanup());

describe('output hygiene', () => {
  it('the progress line erases what a longer previous line left', async () => {
    await ok('nodes', 'add', 'node-13', '--zone', 'eu-west-1a');
    // A Draining node holding data always makes a plan.
    await ok('nodes', 'set-state', 'node-12', 'Draining');
    await ok('rebalance', 'plan', '--max-moves', '40', '--out', `${t.dir}/plan.json`, '-o', 'json');
    const r = await runCli(['--file', t.file, 'rebalance', 'apply', `${t.dir}/plan.json`, '--yes'], {
      now: NOW,
      tty: true,
    });
    expect(r.code).toBe(0);
    await ok('nodes', 'set-state', 'node-12', 'Up');
    const redraws = r.stderr.split('\r').slice(1);
    expect(redraws.length).toBeGreaterThan(0);
    const erase = '\u001b[K'; // ESC [ K: erase to the end of the line
    for (const d of redraws) {
      expect(d).toMatch(/^rebalance \S+: \d+\/\d+ partitions /);
      expect(d.replace(/\n$/, '').endsWith(erase), JSON.stringify(d)).toBe(true);
    }
  }, 60_000);

  it('times print in whole seconds: an implicit now and now-2h alike', async () => {
    const r = await json('locate', 'range', '--from-time', 'now-2h');
    expect(r.from).toBe('2026-11-27T10:00:00Z');
    expect(r.to).toBe('2026-11-27T12:00:00Z');
    const e = await json('expire', '--dry-run');
    expect([e.now, e.cutoff]).toEqual(['2026-11-27T12:00:00Z', '2026-10-28T12:00:00Z']);
    const p = await json('partitions', 'register', 'partition_498828_0001');
    expect(p.updated_at).toBe('2026-11-27T12:00:00Z');
    // Data whose fraction means something keeps it: a span's start in OTLP.
    const spans = lines((await ok('locate', 'otlp', fixture('traces.json'), '-o', 'ndjson')).stdout);
    for (const l of spans) expect(JSON.parse(l).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);
  });

  it('an error quoting a file is one line ("garbage\\n" escaped, the rest of the message kept)', async () => {
    writeFileSync(`${t.dir}/garbage.json`, 'garbage\n');
    const r = await spawnCli(['--file', `${t.dir}/garbage.json`, 'nodes', 'list']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/"garbage\\n" is not valid JSON.*expected a JSON object/);
  });

  it('locate otlp -o tsv carries the trace id / metric name / log key, in the table column order', async () => {
    for (const [file, key] of [
      ['traces.json', (x: Record<string, string>) => x.trace_id],
      ['metrics.json', (x: Record<string, string>) => x.name],
      ['logs.json', (x: Record<string, string>) => `${x.severity_level}:${x.content_hash}`],
    ] as const) {
      const nd = lines((await ok('locate', 'otlp', fixture(file), '-o', 'ndjson')).stdout).map((l) =>
        JSON.parse(l),
      );
      const rows = lines((await ok('locate', 'otlp', fixture(file), '-o', 'tsv')).stdout).map((l) =>
        l.split('\t'),
      );
      expect(rows.map((r) => r[2])).toEqual(nd.map(key));
      expect(rows.map((r) => r[4])).toEqual(nd.map((x) => x.partition_id));
      expect(new Set(rows.map((r) => r.length))).toEqual(new Set([7]));
    }
  });

  it('every listing follows one tsv rule: the ndjson items, one line each, no header, same field count', async () => {
    await ok('expire', '-o', 'json'); // nothing is past retention; an audit record to list
    for (const args of [
      ['nodes', 'list'],
      ['partitions', 'list', '--limit', '50'],
      ['partitions', 'stats'],
      ['ring', '--hours', '24'],
      ['doctor'],
      ['locate', '4bf92f3577b34da6a3ce929d0e0e4736', '--from-time', 'now-6h'],
      ['locate', 'otlp', fixture('traces.json')],
      ['audit', 'list'],
    ]) {
      const nd = lines((await cli(...args, '-o', 'ndjson')).stdout);
      const rows = lines((await cli(...args, '-o', 'tsv')).stdout);
      expect(rows.length, args.join(' ')).toBe(nd.length);
      expect(rows.length, args.join(' ')).toBeGreaterThan(0);
      expect(rows[0], `${args.join(' ')}: no header line`).not.toMatch(/^[A-Z_ ]+\t/);
      expect(new Set(rows.map((r) => r.split('\t').length)).size, args.join(' ')).toBe(1);
    }
  });
});

describe('what an SRE reaches for next', () => {
  it('nodes list --state/--zone filter', async () => {
    const down = await json('nodes', 'list', '--state', 'Down');
    expect(down.map((n: { node_id: string }) => n.node_id)).toEqual(['node-05']);
    const zone = await json('nodes', 'list', '--zone', 'eu-west-1a');
    expect(zone.length).toBeGreaterThan(0);
    expect(
      zone.every(
        (n: { location: { availability_zone: string } }) => n.location.availability_zone === 'eu-west-1a',
      ),
    ).toBe(true);
    expect(await json('nodes', 'list', '--state', 'Draining', '--zone', 'eu-west-1a')).toEqual([]);
    expect((await cli('nodes', 'list', '--state', 'Sleeping')).code).toBe(2);
  });

  it("nodes show counts the node's partitions, leaderships and bytes from the stored metadata", async () => {
    const all = lines((await ok('partitions', 'list', '-o', 'ndjson')).stdout).map((l) => JSON.parse(l));
    const on = all.filter((p) => p.nodes.includes('node-05'));
    const led = all.filter((p) => p.leader === 'node-05');
    const sum = (xs: { size_bytes: number }[]) => xs.reduce((a, p) => a + p.size_bytes, 0);
    expect(await json('nodes', 'show', 'node-05')).toMatchObject({
      node_id: 'node-05',
      state: 'Down',
      partitions: on.length,
      leaders: led.length,
      bytes: sum(on),
      leader_bytes: sum(led),
    });
    expect(on.length).toBeGreaterThan(0);
    const table = (await ok('nodes', 'show', 'node-05', '-o', 'table')).stdout;
    expect(table).toMatch(new RegExp(`^partitions +${on.length} \\(`, 'm'));
    expect(table).toMatch(new RegExp(`^leader of +${led.length} \\(`, 'm'));
  });

  it('partitions list --sort and --limit', async () => {
    const all = lines((await ok('partitions', 'list', '-o', 'ndjson')).stdout).map((l) => JSON.parse(l));
    const ids = (xs: { partition_id: string }[]) => xs.map((p) => p.partition_id);
    const bySize = [...all].sort(
      (a, b) => b.size_bytes - a.size_bytes || (a.partition_id < b.partition_id ? -1 : 1),
    );
    expect(ids(await json('partitions', 'list', '--sort', 'size', '--limit', '5'))).toEqual(
      ids(bySize.slice(0, 5)),
    );
    expect(ids(await json('partitions', 'list', '--limit', '3'))).toEqual(ids(all.slice(0, 3)));
    const newest = await json('partitions', 'list', '--sort', 'updated', '--limit', '10');
    const updated = newest.map((p: { updated_at: string }) => p.updated_at);
    expect(updated).toEqual([...updated].sort().reverse());
    expect(updated[0]).toBe([...all.map((p) => p.updated_at)].sort().at(-1));
    const table = (await ok('partitions', 'list', '--node', 'node-05', '--limit', '2', '-o', 'table')).stdout;
    expect(table).toMatch(/\n2 partition\(s\)\n$/);
    for (const bad of [
      ['--limit', '0'],
      ['--sort', 'colour'],
    ]) {
      const r = await cli('partitions', 'list', ...bad);
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
    }
  });

  it('audit list reads <prefix>/audit/, filtered by --since, --command and --result', async () => {
    const all = await json('audit', 'list');
    const commands = new Set(all.map((r: { command: string }) => r.command));
    expect(commands).toContain('expire');
    expect(commands).toContain('rebalance apply');
    const rb = await json('audit', 'list', '--command', 'rebalance');
    expect(rb.length).toBeGreaterThan(0);
    expect(rb.every((r: { command: string }) => r.command.startsWith('rebalance '))).toBe(true);
    expect((await json('audit', 'list', '--result', 'ok')).length).toBe(all.length);
    expect(await json('audit', 'list', '--result', 'failed')).toEqual([]);
    for (const r of all) expect(r.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // --since counts back from the clock: records written by this test's runs are at NOW.
    expect((await json('audit', 'list', '--since', '1h')).length).toBe(all.length);
    const later = await runCli(['--file', t.file, 'audit', 'list', '--since', '1h', '-o', 'json'], {
      now: NOW + 2 * 3_600_000,
    });
    expect(JSON.parse(later.stdout)).toEqual([]);
    const table = (await ok('audit', 'list', '-o', 'table')).stdout;
    expect(table).toMatch(/TIME +│ COMMAND/);
    expect(table).toContain('rebalance apply');
    expect((await cli('audit', 'list', '--since', 'yesterday')).code).toBe(2);
  });

  it('bash completes node and partition ids from the store; silent and quick with no store', () => {
    const bin = `${t.dir}/bin`;
    mkdirSync(bin, { recursive: true });
    symlinkSync(BIN, `${bin}/otlpctl`);
    const script = `${t.dir}/c.bash`;
    writeFileSync(script, execFileSync(process.execPath, [BIN, 'completion', 'bash']));
    const complete = (words: string[], env: Record<string, string> = {}) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _otlpctl; echo "\${COMPREPLY[@]}"`,
        ],
        {
          env: { PATH: `${bin}:${process.env.PATH}`, ...env },
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    expect(complete(['otlpctl', '--file', t.file, 'nodes', 'show', 'node-1']).trim().split(' ')).toEqual([
      'node-10',
      'node-11',
      'node-12',
      'node-13',
    ]);
    expect(
      complete(['otlpctl', 'partitions', 'list', '--node', 'node-0'], { OTLPCTL_FILE: t.file })
        .trim()
        .split(' '),
    ).toHaveLength(9);
    const parts = complete(['otlpctl', '--file', t.file, 'partitions', 'show', 'partition_49882'])
      .trim()
      .split(' ');
    expect(parts.length).toBeGreaterThan(10);
    expect(parts.every((p) => p.startsWith('partition_49882'))).toBe(true);
    const started = Date.now();
    expect(complete(['otlpctl', 'nodes', 'show', ''])).toBe('\n');
    expect(complete(['otlpctl', 'failover', 'n'], { OTLPCTL_ENDPOINTS: '127.0.0.1:1' })).toBe('\n');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("the demo's try: hint works as printed, right after npm ci", async () => {
    const d = tempDir();
    const r = await runCli(['--file', d.file, 'demo'], { tty: true });
    expect(r.code).toBe(0);
    const hint = /^try: {2}(npx otlpctl .*)$/m.exec(r.stdout)?.[1];
    expect(hint).toBe(
      `npx otlpctl --file ${d.file} locate 4bf92f3577b34da6a3ce929d0e0e4736 --at now-1h --from node-01`,
    );
    const out = execFileSync('npx', ['--offline', ...hint!.split(' ').slice(1), '-o', 'json'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(JSON.parse(out).trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    d.cleanup();
  }, 60_000);

  it('every command has an example in its --help', async () => {
    const missing: string[] = [];
    const walk = async (path: string[]) => {
      const r = await runCli([...path, '--help']);
      if (!/\nExamples?:\n {2}\$ otlpctl /.test(r.stdout)) missing.push(path.join(' ') || 'otlpctl');
      const section = r.stdout.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
      for (const line of section.split('\n')) {
        const name = /^ {2}([a-z][\w-]*)/.exec(line)?.[1];
        if (name && name !== 'help') await walk([...path, name]);
      }
    };
    await walk([]);
    expect(missing).toEqual([]);
  });
});
