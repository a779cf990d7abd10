import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdCluster } from '../harness/etcd.js';
import { runCli } from '../helpers/cli.js';
import { start, waitFor } from '../helpers/spawn.js';
import {
  etcdTarget,
  NOW,
  partitions,
  planned,
  seedCluster,
  type Target,
} from '../fixtures/rebalance/cluster.js';

/**
 * The built binary (`npx tsc -p tsconfig.build.json` first) applying a plan on a real etcd, killed
 * with SIGKILL at several points, interrupted with SIGINT, and with the etcd leader killed under it:
 * `resume` always ends exactly at the plan, `cancel` exactly at the previous placement.
 */

const TTL = 3;
// 1–5 GB partitions at 15 GB/s, one at a time: about a quarter of a second per move.
const SLOW = ['--max-bytes-per-sec', '15GB', '--max-concurrent', '1', '--lock-ttl', String(TTL)];

type Moves = { partition_id: string; kind: string; from: string; to: string }[];

async function records(t: Target): Promise<{ state: string }[]> {
  const out = [];
  for await (const page of t.store.range(`${t.prefix}/rebalance/moves/`))
    out.push(...page.map((kv) => JSON.parse(kv.value) as { state: string }));
  return out;
}

/** Every partition at the plan's placement (moved: state Active, updated_at new, all else kept). */
async function expectExactlyPlanned(t: Target, values: Map<string, string>, moves: Moves): Promise<void> {
  const want = planned(values, moves);
  for (const [id, p] of await partitions(t)) {
    const before = JSON.parse(values.get(id)!) as Record<string, unknown>;
    if (!moves.some((m) => m.partition_id === id)) expect(JSON.stringify(p)).toBe(values.get(id));
    else expect(p).toEqual({ ...before, ...want.get(id), updated_at: expect.any(String) });
  }
}

describe('SIGKILL during apply, on etcd', () => {
  let t: Target;
  let values: Map<string, string>;
  let moves: Moves;
  let planFile: string;
  const cli = (...args: string[]) => runCli([...t.args, ...args], { now: NOW });

  async function prepare(endpoints?: string[]) {
    t = await etcdTarget(endpoints);
    values = await seedCluster(t, 60);
    planFile = join(t.dir, 'plan.json');
    const r = await cli('rebalance', 'plan', '--out', planFile, '-o', 'json');
    expect(r.code).toBe(0);
    moves = (JSON.parse(r.stdout) as { moves: Moves }).moves;
    expect(new Set(moves.map((m) => m.partition_id)).size).toBeGreaterThan(12);
  }
  afterEach(() => t?.close());

  it.each([
    [
      'the plan is stored, before any move',
      async () => !!(await t.store.get(`${t.prefix}/rebalance/journals/${planId()}`)),
    ],
    ['a partition is Migrating', async () => (await records(t)).some((r) => r.state === 'migrating')],
    ['3 partitions are done', async () => (await records(t)).filter((r) => r.state === 'done').length >= 3],
    ['10 partitions are done', async () => (await records(t)).filter((r) => r.state === 'done').length >= 10],
  ])(
    'killed when %s: resume waits for the lease (exit 4), then ends exactly at the plan',
    async (_when, point) => {
      await prepare();
      const run = start([...t.args, 'rebalance', 'apply', planFile, '--yes', ...SLOW]);
      await waitFor('the kill point', point);
      run.child.kill('SIGKILL');
      expect((await run.done).code).toBe(137);

      const held = await cli('rebalance', 'resume', '--lock-ttl', String(TTL));
      expect(held.code).toBe(4);
      expect(held.stderr).toMatch(
        /lock 'rebalance' is held by \S+ \(pid \d+ on \S+, since \S+, running 'rebalance apply'\); its lease expires at \S+/,
      );
      const status = JSON.parse((await cli('rebalance', 'status', '-o', 'json')).stdout);
      expect(status).toMatchObject({
        plan_id: planId(),
        status: 'running',
        lock: { command: 'rebalance apply' },
      });

      await waitFor(
        'the lease to expire',
        async () => !(await t.store.get(`${t.prefix}/locks/rebalance`)),
        (TTL + 5) * 1000,
      );
      expect(JSON.parse((await cli('rebalance', 'status', '-o', 'json')).stdout).status).toBe('interrupted');
      const resumed = await cli('rebalance', 'resume', '-o', 'json');
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({
        plan_id: planId(),
        status: 'done',
        failed: [],
        skipped: [],
      });
      await expectExactlyPlanned(t, values, moves);
    },
  );

  it('killed mid-run, cancel returns the Migrating partitions exactly to where they were', async () => {
    await prepare();
    const run = start([...t.args, 'rebalance', 'apply', planFile, '--yes', ...SLOW]);
    await waitFor('a Migrating partition after 3 done', async () => {
      const r = await records(t);
      return r.filter((x) => x.state === 'done').length >= 3 && r.some((x) => x.state === 'migrating');
    });
    run.child.kill('SIGKILL');
    await run.done;
    await waitFor(
      'the lease to expire',
      async () => !(await t.store.get(`${t.prefix}/locks/rebalance`)),
      (TTL + 5) * 1000,
    );
    const r = await cli('rebalance', 'cancel', '-o', 'json', '--reason', 'changed my mind');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ plan_id: planId(), status: 'cancelled', conflicts: [] });
    expect(out.reverted.length).toBeGreaterThanOrEqual(1);
    const want = planned(values, moves);
    for (const [id, p] of await partitions(t)) {
      const before = JSON.parse(values.get(id)!) as Record<string, unknown>;
      expect(p.state).toBe('Active');
      if (out.reverted.includes(id)) expect(p).toEqual({ ...before, updated_at: expect.any(String) });
      else if (JSON.stringify(p) !== values.get(id))
        expect(p).toEqual({ ...before, ...want.get(id), updated_at: expect.any(String) });
    }
    expect((await cli('rebalance', 'resume', planId())).code).toBe(3);
    expect(JSON.parse((await cli('rebalance', 'status', '-o', 'json')).stdout).status).toBe('cancelled');
  });

  it('SIGINT finishes the move in flight, releases the lock, exits 130; resume finishes', async () => {
    await prepare();
    const run = start([...t.args, 'rebalance', 'apply', planFile, '--yes', ...SLOW]);
    await waitFor(
      '2 partitions done',
      async () => (await records(t)).filter((r) => r.state === 'done').length >= 2,
    );
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(
      /interrupted: 0 partition\(s\) left Migrating, \d+ not started; run 'otlpctl rebalance resume/,
    );
    expect(await t.store.get(`${t.prefix}/locks/rebalance`)).toBeUndefined();
    expect((await records(t)).some((x) => x.state === 'migrating')).toBe(false);
    expect(JSON.parse((await cli('rebalance', 'status', '-o', 'json')).stdout).status).toBe('interrupted');
    expect((await cli('rebalance', 'resume')).code).toBe(0);
    await expectExactlyPlanned(t, values, moves);
  });

  describe('on a three-member cluster', () => {
    let cluster: EtcdCluster;
    beforeAll(async () => {
      cluster = await startEtcd({ members: 3 });
    }, 60_000);
    afterAll(() => cluster?.stop());

    it('the leader killed during apply: the apply goes on and ends exactly at the plan', async () => {
      await prepare(cluster.endpoints);
      const run = start([
        ...t.args,
        'rebalance',
        'apply',
        planFile,
        '--yes',
        '--max-bytes-per-sec',
        '15GB',
        '--max-concurrent',
        '2',
        '--lock-ttl',
        '10',
      ]);
      await waitFor(
        '3 partitions done',
        async () => (await records(t)).filter((r) => r.state === 'done').length >= 3,
      );
      const leader = await cluster.leader();
      await leader?.kill();
      const r = await run.done;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      await expectExactlyPlanned(t, values, moves);
      await leader?.restart();
    }, 90_000);
  });

  const planId = () => (JSON.parse(readFileSync(planFile, 'utf8')) as { id: string }).id;
});
