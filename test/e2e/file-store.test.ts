import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file/store.js';
import { spawnCli, tempDir } from '../helpers/cli.js';

/**
 * The operator's day on the demo file store, each step on the built binary (`npm run build`): the
 * long commands that write thousands of times finish in one run, and a mistyped path is an error.
 */

const BIN = new URL('../../bin/otlpctl.js', import.meta.url).pathname;
/** About 4 moves a second: a SIGKILL after 1.5 s lands mid-plan. */
const SLOW = ['--yes', '--max-bytes-per-sec', '16GB', '--max-concurrent', '1', '--lock-ttl', '2'];

interface Moves {
  moves: { partition_id: string; from: string; to: string }[];
}

describe('the demo file store, end to end', () => {
  let t: ReturnType<typeof tempDir>;
  let cli: (...args: string[]) => ReturnType<typeof spawnCli>;
  beforeEach(async () => {
    t = tempDir();
    cli = (...args) => spawnCli(['--file', t.file, ...args]);
    expect((await spawnCli(['demo', '--file', t.file, '-q'])).code).toBe(0);
  });
  afterEach(() => t.cleanup());

  it('failover of the Down node moves every leadership it held in one run', async () => {
    const first = await cli('failover', 'node-05', '-o', 'json');
    expect(first.stderr).not.toMatch(/internal error/);
    const report = JSON.parse(first.stdout) as { moved: unknown[]; skipped: { reason: string }[] };
    expect(report.moved.length).toBeGreaterThan(500);
    // The demo's one Migrating partition is left alone (exit 6, partly done); nothing else remains.
    expect(report.skipped.every((s) => /Migrating/.test(s.reason))).toBe(true);
    expect(first.code).toBe(report.skipped.length > 0 ? 6 : 0);
    const again = JSON.parse((await cli('failover', 'node-05', '-o', 'json')).stdout) as { moved: unknown[] };
    expect(again.moved).toEqual([]);
    const partitions = JSON.parse((await cli('partitions', 'list', '-o', 'json')).stdout) as {
      leader: string;
      state: string;
    }[];
    expect(partitions.filter((p) => p.leader === 'node-05' && p.state === 'Active')).toEqual([]);
  });

  it('rebalance apply of a drain plan finishes in one run, and the file is one JSON document after', async () => {
    expect((await cli('nodes', 'set-state', 'node-06', 'Draining')).code).toBe(0);
    const plan = `${t.dir}/plan.json`;
    expect((await cli('rebalance', 'plan', '--max-moves', '400', '--out', plan, '-q')).code).toBe(0);
    const applied = await cli('rebalance', 'apply', plan, '--yes', '-o', 'json');
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ status: 'done', done: 400, failed: [] });
    const partitions = JSON.parse((await cli('partitions', 'list', '-o', 'json')).stdout) as {
      partition_id: string;
      nodes: string[];
    }[];
    const { moves } = JSON.parse(readFileSync(plan, 'utf8')) as Moves;
    const byId = new Map(partitions.map((p) => [p.partition_id, p.nodes]));
    for (const m of moves) {
      expect(byId.get(m.partition_id)).toContain(m.to);
      expect(byId.get(m.partition_id)).not.toContain(m.from);
    }
    expect(() => JSON.parse(readFileSync(t.file, 'utf8'))).not.toThrow(); // compacted when the command ended
  });

  it('after a SIGKILL mid-apply, resume finishes the plan in one run; after another, cancel undoes it in one run', async () => {
    expect((await cli('nodes', 'set-state', 'node-06', 'Draining')).code).toBe(0);
    const plan = `${t.dir}/plan.json`;
    expect((await cli('rebalance', 'plan', '--max-moves', '300', '--out', plan, '-q')).code).toBe(0);
    const { moves } = JSON.parse(readFileSync(plan, 'utf8')) as Moves;
    for (const next of ['resume', 'cancel'] as const) {
      if (next === 'cancel') {
        const other = `${t.dir}/plan2.json`;
        expect((await cli('rebalance', 'plan', '--max-moves', '300', '--out', other, '-q')).code).toBe(0);
        await killedDuring(['--file', t.file, 'rebalance', 'apply', other, ...SLOW]);
      } else {
        await killedDuring(['--file', t.file, 'rebalance', 'apply', plan, ...SLOW]);
      }
      const status = JSON.parse((await cli('rebalance', 'status', '-o', 'json')).stdout) as {
        status: string;
      };
      expect(status.status).not.toBe('done'); // killed part-way
      let after = await cli('rebalance', next, '-o', 'json');
      // The killed run's lock lives on for its ttl (2 s); until then the next command is refused (exit 4).
      for (let i = 0; after.code === 4 && i < 20; i++) {
        await new Promise((r) => setTimeout(r, 500));
        after = await cli('rebalance', next, '-o', 'json');
      }
      expect(after.stderr).not.toMatch(/internal error/);
      expect(after.code).toBe(0);
      const final = JSON.parse((await cli('rebalance', 'status', '-o', 'json')).stdout) as { status: string };
      expect(final.status).toMatch(next === 'resume' ? /^done$/ : /^cancel/);
    }
    const migrating = JSON.parse((await cli('partitions', 'list', '-o', 'json')).stdout) as {
      partition_id: string;
      state: string;
    }[];
    const moved = new Set(moves.map((m) => m.partition_id));
    expect(migrating.filter((p) => moved.has(p.partition_id) && p.state === 'Migrating')).toEqual([]);
  });

  it('expire deletes a day of old partitions in one run', async () => {
    const store = new FileStore(t.file);
    const pages: { key: string; value: string }[] = [];
    for await (const page of store.range('/otlp/partitions/')) pages.push(...page);
    // The demo's day, moved 40 days back: every partition id's bucket (hour) shifted.
    const old = (id: string) => id.replace(/_(\d+)_/, (_, h: string) => `_${Number(h) - 40 * 24}_`);
    await store.txn(
      [],
      pages.flatMap((kv) => {
        const id = kv.key.slice('/otlp/partitions/'.length);
        const value = kv.value.replace(id, old(id));
        return [
          { type: 'delete' as const, key: kv.key },
          { type: 'put' as const, key: `/otlp/partitions/${old(id)}`, value },
        ];
      }),
    );
    await store.close();
    const run = await cli('expire', '--max-delete', '100%', '-o', 'json');
    expect(run.stderr).not.toMatch(/internal error/);
    const report = JSON.parse(run.stdout) as { selected: number; deleted: number };
    expect(report.deleted).toBe(report.selected);
    expect(report.deleted).toBeGreaterThan(6000);
    expect(JSON.parse((await cli('partitions', 'list', '-o', 'json')).stdout)).toHaveLength(
      pages.length - report.deleted,
    );
  });
});

describe('a file store path that does not exist', () => {
  it('is an error for a command that reads, naming the path and how to create one; nothing is created', async () => {
    const t = tempDir();
    try {
      const missing = `${t.dir}/typo.json`;
      for (const args of [
        ['nodes', 'list'],
        ['locate', '4bf92f3577b34da6a3ce929d0e0e4736', '--at', 'now-1h'],
        ['partitions', 'list'],
        ['rebalance', 'status'],
      ]) {
        const r = await spawnCli(['--file', missing, ...args]);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toContain(`file store ${missing} does not exist`);
        expect(r.stderr).toMatch(/otlpctl --file .*typo\.json init' or 'otlpctl demo --file .*typo\.json'/);
      }
      expect(existsSync(missing)).toBe(false);
      expect((await spawnCli(['--file', missing, 'init', '-q'])).code).toBe(0); // init makes it
      expect((await spawnCli(['--file', missing, 'nodes', 'list', '-o', 'json'])).stdout.trim()).toBe('[]');
    } finally {
      t.cleanup();
    }
  });
});

/** Starts the binary and SIGKILLs it once it has been running a while (mid-plan at the pace given). */
async function killedDuring(args: string[]): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1_500));
  const exited = new Promise((done) => child.on('exit', (_, signal) => done(signal)));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}
