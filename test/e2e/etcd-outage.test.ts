/**
 * The operator's bad night, on the built binary and a real single-member etcd of its own: the
 * member is killed (SIGKILL) or frozen (SIGSTOP) under a long-running command. Killed: the
 * command ends within dial + command timeout (plus the step in flight), prints its summary and
 * exits 1 or 6; once etcd is back, the next run ends exactly where the first was going. Frozen:
 * Ctrl-C twice ends it at once (130).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import type { Op } from '../../src/store/contract.js';
import { startEtcd, type EtcdCluster, type EtcdMember } from '../harness/etcd.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { sleep, start, waitFor, type Run } from '../helpers/spawn.js';
import {
  etcdTarget,
  NOW,
  partitions,
  planned,
  seedCluster,
  type Target,
} from '../fixtures/rebalance/cluster.js';

const TIMEOUTS = ['--dial-timeout', '1s', '--command-timeout', '3s'];
const HOUR = 3_600_000;
const MANY = 30_000;

let cluster: EtcdCluster;
let member: EtcdMember;
let t: Target;
beforeEach(async () => {
  cluster = await startEtcd();
  member = cluster.members[0]!;
  t = await etcdTarget(cluster.endpoints);
}, 60_000);
afterEach(async () => {
  member?.resume();
  await t?.close();
  await cluster?.stop();
});

const cli = (...args: string[]) => runCli([...t.args, ...args], { now: NOW });

/** Kills the member; resolves to how long the command then took to end, and what it said. */
async function killUnder(run: Run): Promise<CliResult & { ms: number }> {
  await member.kill();
  const killed = Date.now();
  const r = await run.done;
  return { ...r, ms: Date.now() - killed };
}

/** Freezes the member, then Ctrl-C twice; resolves to how long after the second it ended. */
async function freezeAndInterruptTwice(run: Run): Promise<CliResult & { ms: number }> {
  member.pause();
  await sleep(300);
  run.child.kill('SIGINT');
  await sleep(500);
  run.child.kill('SIGINT');
  const second = Date.now();
  const r = await run.done;
  return { ...r, ms: Date.now() - second };
}

/** Runs `args` until another run's lock has lapsed (exit 4), then resolves to its result. */
async function onceTheLockLapses(args: string[], now = NOW): Promise<CliResult> {
  for (const end = Date.now() + 40_000; ; await sleep(500)) {
    const r = await runCli([...t.args, ...args], { now });
    if (r.code !== 4 || Date.now() > end) return r;
  }
}

/** Config, nodes a and b, and `count` partitions led by a, each a day's hour at least 31 days old. */
async function seedMany(count: number): Promise<void> {
  const ops: Op[] = [
    {
      type: 'put',
      key: `${t.prefix}/config`,
      value: JSON.stringify({ ...DEFAULT_CONFIG, retention_days: 30 }),
    },
  ];
  for (const id of ['a', 'b'])
    ops.push({
      type: 'put',
      key: `${t.prefix}/nodes/${id}`,
      value: JSON.stringify({ node_id: id, location: { region: 'eu' }, weight: 1, state: 'Up' }),
    });
  const first = Math.floor(Date.now() / HOUR) - 24 * 31 - Math.ceil(count / 256);
  for (let i = 0; i < count; i++) {
    const id = `partition_${first + Math.floor(i / 256)}_${String(i % 256).padStart(4, '0')}`;
    const value = {
      partition_id: id,
      nodes: ['a', 'b'],
      leader: 'a',
      state: 'Active',
      size_bytes: 1000,
      record_count: 1,
      created_at: '2026-10-01T00:00:00Z',
      updated_at: '2026-10-01T00:00:00Z',
    };
    ops.push({ type: 'put', key: `${t.prefix}/partitions/${id}`, value: JSON.stringify(value) });
  }
  const batches: Op[][] = [];
  for (let i = 0; i < ops.length; i += 127) batches.push(ops.slice(i, i + 127));
  for (let i = 0; i < batches.length; i += 8)
    await Promise.all(batches.slice(i, i + 8).map((b) => t.store.txn([], b)));
}

const count = async (prefix: string) => {
  let n = 0;
  for await (const page of t.store.range(`${t.prefix}/${prefix}`)) n += page.length;
  return n;
};

describe('rebalance apply with etcd gone', () => {
  type Moves = { partition_id: string; kind: string; from: string; to: string }[];
  let planFile: string;
  let values: Map<string, string>;
  let moves: Moves;
  beforeEach(async () => {
    values = await seedCluster(t, 60);
    planFile = join(t.dir, 'plan.json');
    const r = await cli('rebalance', 'plan', '--out', planFile, '-o', 'json');
    moves = (JSON.parse(r.stdout) as { moves: Moves }).moves;
  });
  const apply = () =>
    start([
      ...t.args,
      ...TIMEOUTS,
      'rebalance',
      'apply',
      planFile,
      '--yes',
      '-o',
      'json',
      '--max-bytes-per-sec',
      '15GB',
      '--max-concurrent',
      '1',
      '--lock-ttl',
      '3',
    ]);
  const done = async () => {
    let n = 0;
    for await (const page of t.store.range(`${t.prefix}/rebalance/moves/`))
      n += page.filter((kv) => (JSON.parse(kv.value) as { state: string }).state === 'done').length;
    return n;
  };

  it('killed mid-apply: exits non-zero within 15 s with its summary; resume ends exactly at the plan', async () => {
    const run = apply();
    await waitFor('3 partitions done', async () => (await done()) >= 3);
    const r = await killUnder(run);
    expect(r.ms).toBeLessThan(15_000);
    expect([1, 6]).toContain(r.code);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'failed' });
    expect(JSON.parse(r.stdout).done).toBeGreaterThanOrEqual(3);
    expect(r.stderr).toMatch(/etcd at .* (did not answer|unreachable)/);
    expect(r.stderr).toMatch(
      /run 'otlpctl rebalance resume \S+' \(it reads each back; nothing is applied twice\)/,
    );

    await member.restart();
    const resumed = await onceTheLockLapses(['rebalance', 'resume', '-o', 'json']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'done', failed: [], skipped: [] });
    const want = planned(values, moves);
    for (const [id, p] of await partitions(t)) {
      const before = JSON.parse(values.get(id)!) as Record<string, unknown>;
      if (!moves.some((m) => m.partition_id === id)) expect(JSON.stringify(p)).toBe(values.get(id));
      else expect(p).toEqual({ ...before, ...want.get(id), updated_at: expect.any(String) });
    }
  }, 90_000);

  it('frozen mid-apply, Ctrl-C twice: exit 130 within 4 s of the second', async () => {
    const run = apply();
    await waitFor('2 partitions done', async () => (await done()) >= 2);
    const r = await freezeAndInterruptTwice(run);
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(4_000);
    expect(r.stderr).toMatch(/interrupted: starting nothing new[\s\S]*interrupted again: stopping at once/);
  }, 60_000);
});

describe('expire with etcd gone', () => {
  beforeEach(() => seedMany(MANY), 120_000);
  const expire = () => start([...t.args, ...TIMEOUTS, 'expire', '--max-delete', '100%', '-o', 'json']);
  const locked = async () => !!(await t.store.get(`${t.prefix}/locks/expire`));

  it('killed mid-run: exits non-zero within 15 s with its summary; the next run finishes', async () => {
    let first = '';
    for await (const page of t.store.range(`${t.prefix}/partitions/`)) {
      first = page[0]!.key;
      break;
    }
    const run = expire();
    await waitFor('the expire lock', locked);
    // Killed once the first deletes have landed: on a quiet machine the whole run takes less
    // than half a second, so a fixed wait let it finish before etcd was gone.
    await waitFor('the first deletes', async () => !(await t.store.get(first)));
    const r = await killUnder(run);
    expect(r.ms).toBeLessThan(15_000);
    expect([1, 6]).toContain(r.code);
    expect(JSON.parse(r.stdout)).toMatchObject({ stopped: 'store unavailable' });
    expect(r.stderr).toMatch(/etcd at .* (did not answer|unreachable)|the store stopped answering/);

    await member.restart();
    const again = await onceTheLockLapses(
      [...TIMEOUTS, 'expire', '--max-delete', '100%', '-o', 'json'],
      Date.now(),
    );
    expect(again.code).toBe(0);
    expect(await count('partitions/')).toBe(0);
  }, 120_000);

  it('frozen mid-run, Ctrl-C twice: exit 130 within 4 s of the second', async () => {
    const run = expire();
    await waitFor('the expire lock', locked);
    const r = await freezeAndInterruptTwice(run);
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(4_000);
  }, 60_000);
});

describe('failover with etcd gone', () => {
  beforeEach(() => seedMany(MANY), 120_000);
  const failover = () => start([...t.args, ...TIMEOUTS, 'failover', 'a', '-o', 'json']);
  const down = async () => (await t.store.get(`${t.prefix}/nodes/a`))?.value.includes('"Down"') ?? false;

  it('killed mid-run: exits non-zero within 15 s with its summary; the next run finishes', async () => {
    let first = '';
    for await (const page of t.store.range(`${t.prefix}/partitions/`)) {
      first = page[0]!.key;
      break;
    }
    const run = failover();
    await waitFor('node a marked Down', down);
    // Killed once the first leaderships have moved (a fixed wait can outlast the whole run).
    await waitFor('the first moves', async () => !(await t.store.get(first))?.value.includes('"leader":"a"'));
    const r = await killUnder(run);
    expect(r.ms).toBeLessThan(15_000);
    expect([1, 6]).toContain(r.code);
    expect(JSON.parse(r.stdout)).toMatchObject({ node: 'a', stopped: 'store unavailable' });

    await member.restart();
    const again = await cli(...TIMEOUTS, 'failover', 'a', '-o', 'json');
    expect(again.code).toBe(0);
    for (const p of (await partitions(t)).values()) expect(p.leader).toBe('b');
  }, 120_000);

  it('frozen mid-run, Ctrl-C twice: exit 130 within 4 s of the second', async () => {
    const run = failover();
    await waitFor('node a marked Down', down);
    const r = await freezeAndInterruptTwice(run);
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(4_000);
  }, 60_000);
});
