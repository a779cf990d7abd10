import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import {
  etcdTarget,
  fileTarget,
  NOW,
  partitions,
  planned,
  seedCluster,
  type Target,
} from '../fixtures/rebalance/cluster.js';

/** `rebalance plan|apply|status|resume|cancel` through the CLI, on the file store and on a real etcd. */

describe.each([
  ['file store', fileTarget],
  ['etcd', () => etcdTarget()],
])('rebalance on the %s', (_name, make) => {
  let t: Target;
  let values: Map<string, string>;
  let planFile: string;
  const cli = (args: string[], opts: { stdin?: string; tty?: boolean } = {}) =>
    runCli([...t.args, ...args], { now: NOW, ...opts });
  const json = async (...args: string[]) => {
    const r = await cli([...args, '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown> & {
      moves: { partition_id: string; kind: string; from: string; to: string }[];
    };
  };

  beforeEach(async () => {
    t = await make();
    values = await seedCluster(t);
    planFile = join(t.dir, 'plan.json');
  });
  afterEach(() => t.close());

  it('plan: the plan JSON of §9, the same in the file, and a table for people', async () => {
    const plan = await json('rebalance', 'plan', '--out', planFile);
    expect(plan).toMatchObject({ version: 1, by: 'bytes', target: 0.05, prefix: t.prefix });
    expect(plan.moves.length).toBeGreaterThan(0);
    expect(plan.moves.every((m) => m.to === 'e')).toBe(true);
    expect(plan.skew_after as number).toBeLessThanOrEqual(0.05);
    expect(JSON.parse(readFileSync(planFile, 'utf8'))).toEqual(plan);
    const table = await cli(['rebalance', 'plan', '-o', 'table']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/rebalance plan \S+ +by bytes/);
    expect(table.stdout).toMatch(/NODE +│ BEFORE +│ AFTER/);
    expect(table.stdout).toMatch(
      /skew \d+\.\d % → \d\.\d % · emptiest −\d+\.\d % → −\d\.\d % · \d+ move\(s\) · [\d.]+ GB moved · lower bound [\d.]+ GB/,
    );
    // Nothing changed by planning.
    for (const [id, p] of await partitions(t)) expect(JSON.stringify(p)).toBe(values.get(id));
  });

  it('--by leader-bytes|partitions: the per-node column and the lower bound use the chosen measure', async () => {
    const stats = (await json('partitions', 'stats', '--by', 'leader-bytes')) as unknown as {
      nodes: Record<string, { leader_bytes: number; bytes: number; vs_fair: number }>;
    };
    const up = Object.values(stats.nodes);
    const fair = up.reduce((a, n) => a + n.leader_bytes, 0) / up.length;
    for (const n of up) expect(n.vs_fair).toBeCloseTo(n.leader_bytes / fair - 1, 9);
    const table = await cli(['partitions', 'stats', '--by', 'partitions', '-o', 'table']);
    expect(table.stdout).toMatch(/VS FAIR \(partitions\)/);
    expect(table.stdout).toMatch(/by partitions against each Up node's weighted fair share: skew \+\d/);
    const leader = await cli(['rebalance', 'plan', '--by', 'leader-bytes', '-o', 'table']);
    expect(leader.stdout).not.toMatch(/lower bound 0 B/);
    expect(leader.stdout).toMatch(/[\d.]+ GB of leadership moved · lower bound [\d.]+ GB \([\d.]+×\)/);
    const capped = await cli(['rebalance', 'plan', '--max-moves', '1', '-o', 'table']);
    expect(capped.stdout).toMatch(/stopped at the --max-moves\/--max-bytes limit/);
    expect(capped.stdout).not.toMatch(/too large/);
  });

  it('apply: verified, journaled, every other field kept; then balanced, status done, audited', async () => {
    const plan = await json('rebalance', 'plan', '--out', planFile);
    const r = await cli(['rebalance', 'apply', planFile, '--yes', '--reason', 'node e added', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ plan_id: plan.id, status: 'done', skipped: [], failed: [] });
    const want = planned(values, plan.moves);
    for (const [id, p] of await partitions(t)) {
      const before = JSON.parse(values.get(id)!) as Record<string, unknown>;
      const moved = plan.moves.some((m) => m.partition_id === id);
      expect(p).toEqual(moved ? { ...before, ...want.get(id), updated_at: '2026-11-27T12:00:00Z' } : before);
    }
    expect(await json('rebalance', 'status')).toMatchObject({
      plan_id: plan.id,
      status: 'done',
      lock: null,
      reason: 'node e added',
      partitions: { pending: 0, migrating: 0, skipped: 0 },
    });
    expect((await json('rebalance', 'plan')).moves).toEqual([]);
    const audit = [];
    for await (const page of t.store.range(`${t.prefix}/audit/`))
      audit.push(...page.map((kv) => JSON.parse(kv.value)));
    expect(audit).toContainEqual(
      expect.objectContaining({ command: 'rebalance apply', reason: 'node e added', result: 'ok' }),
    );
    expect(await t.store.get(`${t.prefix}/locks/rebalance`)).toBeUndefined();
    // Applying it again changes nothing and says it is done.
    expect((await cli(['rebalance', 'apply', planFile, '--yes'])).code).toBe(0);
  });

  it('a stale plan: the changed partition is skipped and left exactly as found (exit 3)', async () => {
    const plan = await json('rebalance', 'plan', '--out', planFile);
    const victim = plan.moves[0]!.partition_id;
    const changed = JSON.stringify({ ...JSON.parse(values.get(victim)!), record_count: 5 });
    await t.store.txn([], [{ type: 'put', key: `${t.prefix}/partitions/${victim}`, value: changed }]);
    const r = await cli(['rebalance', 'apply', planFile, '--yes', '-o', 'json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/1 move\(s\) skipped: their partitions changed since the plan was made/);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('partial');
    expect(out.skipped).toEqual([
      { partition_id: victim, reason: expect.stringMatching(/^changed since the plan/), stale: true },
    ]);
    expect((await t.store.get(`${t.prefix}/partitions/${victim}`))!.value).toBe(changed);
    expect(out.done).toBe(new Set(plan.moves.map((m) => m.partition_id)).size - 1);
  });

  it.each<[string, (plan: Record<string, unknown>) => void, string[], number, RegExp]>([
    ['an edited plan', (p) => ((p.moves as { bytes: number }[])[0]!.bytes += 1), [], 3, /checksum mismatch/],
    ['another prefix', () => undefined, ['--prefix', '/elsewhere'], 3, /was made for prefix/],
    ['no --yes off a terminal', () => undefined, ['--no-yes'], 2, /not a terminal; pass --yes/],
  ])('apply refuses %s and changes nothing', async (_n, edit, extra, code, msg) => {
    await json('rebalance', 'plan', '--out', planFile);
    const p = JSON.parse(readFileSync(planFile, 'utf8')) as Record<string, unknown>;
    edit(p);
    writeFileSync(planFile, JSON.stringify(p));
    const yes = extra.includes('--no-yes') ? [] : ['--yes'];
    const r = await cli(['rebalance', 'apply', planFile, ...yes, ...extra.filter((x) => x !== '--no-yes')]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(msg);
    for (const [id, v] of await partitions(t)) expect(JSON.stringify(v)).toBe(values.get(id));
  });

  it('apply refuses a plan made under another configuration (exit 3), and a file that is not a plan (exit 2)', async () => {
    await json('rebalance', 'plan', '--out', planFile);
    await json('init', '--force', '--retention-days', '7');
    const r = await cli(['rebalance', 'apply', planFile, '--yes']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/configuration changed since the plan was made/);
    writeFileSync(planFile, '{"version": 1');
    const bad = await cli(['rebalance', 'apply', planFile, '--yes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^otlpctl: plan file .*plan\.json: not JSON/);
  });

  it('on a terminal without --yes it shows the plan and asks; anything but y applies nothing', async () => {
    const plan = await json('rebalance', 'plan', '--out', planFile);
    const no = await cli(['rebalance', 'apply', planFile], { tty: true, stdin: 'n\n' });
    expect(no.code).toBe(1);
    expect(no.stderr).toMatch(/lower bound[\s\S]*apply plan \S+ \(\d+ moves\) to the cluster\? \(y\/N\)/);
    for (const [id, v] of await partitions(t)) expect(JSON.stringify(v)).toBe(values.get(id));
    const yes = await cli(['rebalance', 'apply', planFile, '-o', 'json'], { tty: true, stdin: 'y\n' });
    expect(yes.code).toBe(0);
    expect(JSON.parse(yes.stdout).done).toBe(new Set(plan.moves.map((m) => m.partition_id)).size);
  });

  it('two applies at once: one proceeds, the other exits 4 naming the holder', async () => {
    await json('rebalance', 'plan', '--out', planFile);
    const slow = [
      'rebalance',
      'apply',
      planFile,
      '--yes',
      '--max-bytes-per-sec',
      '20GB',
      '--max-concurrent',
      '1',
    ];
    const first = cli(slow);
    // Start the second once the first holds the lock.
    for (let i = 0; i < 200 && !(await t.store.get(`${t.prefix}/locks/rebalance`)); i++) await sleep(20);
    const second = await cli(slow);
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(
      /^otlpctl: lock 'rebalance' is held by \S+@\S+ \(pid \d+ on \S+, since \S+, running 'rebalance apply'\); its lease expires at \S+ unless renewed\n$/,
    );
    expect((await first).code).toBe(0);
  });

  it('status, resume and cancel with nothing to do exit 0', async () => {
    for (const cmd of ['status', 'resume', 'cancel']) {
      const r = await cli(['rebalance', cmd, '-o', 'json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ plan_id: null });
    }
    expect((await cli(['rebalance', 'status', 'nope/x'])).code).toBe(2);
    expect((await cli(['rebalance', 'resume', '20261127T120000Z-00000000'])).stderr).toMatch(
      /not found .* never applied/,
    );
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
