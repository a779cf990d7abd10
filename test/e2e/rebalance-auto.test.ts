/**
 * `rebalance auto` on the built binary against a real etcd (issue 14): two instances with exactly
 * one active, the active one SIGKILLed mid-round and the standby taking over within the lease TTL
 * and finishing its plan; a skewed cluster (one overloaded node, two empty ones) brought within
 * the threshold in rounds and then left alone; a manual apply refused while it runs; SIGTERM
 * mid-round; etcd killed and restarted under it. Short intervals and a 2 s lease keep it quick.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import type { Op } from '../../src/store/contract.js';
import { startEtcd, type EtcdCluster } from '../harness/etcd.js';
import { spawnCli } from '../helpers/cli.js';
import { sleep, start, waitFor } from '../helpers/spawn.js';
import { etcdTarget, fileTarget, type Target } from '../helpers/targets.js';

const BIN = new URL('../../bin/otlpctl.js', import.meta.url).pathname;
const TTL = 2;
const GB = 1e9;
const THRESHOLD = DEFAULT_CONFIG.imbalance_threshold;

interface Line {
  time: string;
  instance: string;
  active: boolean;
  event: string;
  outcome?: string;
  plan_id?: string | null;
  resumed?: boolean;
  moves?: number;
  bytes?: number;
  skew_before?: number;
  skew_after?: number | null;
  message?: string;
  holder?: string;
}

/** An instance of `rebalance auto` whose stdout is read line by line as it comes. */
interface Instance {
  child: ChildProcess;
  lines: Line[];
  /** stdout lines that were not JSON objects (there must be none). */
  junk: string[];
  stderr: () => string;
  exit: Promise<number>;
  rounds: () => Line[];
}

function auto(t: Target, ...args: string[]): Instance {
  const child = spawn(
    process.execPath,
    [BIN, ...t.args, 'rebalance', 'auto', '--lock-ttl', String(TTL), ...args],
    { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Line[] = [];
  const junk: string[] = [];
  let rest = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    const parts = (rest + c.toString()).split('\n');
    rest = parts.pop()!;
    for (const p of parts) {
      try {
        const v = JSON.parse(p) as unknown;
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) lines.push(v as Line);
        else junk.push(p);
      } catch {
        junk.push(p);
      }
    }
  });
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : -1))),
  );
  live.add(child);
  return {
    child,
    lines,
    junk,
    stderr: () => err,
    exit,
    rounds: () => lines.filter((l) => l.event === 'round'),
  };
}

const live = new Set<ChildProcess>();
afterEach(() => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  live.clear();
});

const has = (i: Instance, event: string) => i.lines.some((l) => l.event === event);

/** Five nodes in three zones: n1 holds a replica of everything, n2/n3 the other, n4 and n5 are empty. */
async function seedSkewed(t: Target, count = 30): Promise<void> {
  const config = { ...DEFAULT_CONFIG, replication_factor: 2 };
  const ops: Op[] = [{ type: 'put', key: `${t.prefix}/config`, value: JSON.stringify(config) }];
  for (let i = 1; i <= 5; i++)
    ops.push({
      type: 'put',
      key: `${t.prefix}/nodes/n${i}`,
      value: JSON.stringify({
        node_id: `n${i}`,
        location: { region: 'eu', availability_zone: `z${((i - 1) % 3) + 1}`, data_center: '' },
        weight: 1,
        state: 'Up',
      }),
    });
  for (let i = 0; i < count; i++) {
    const id = `partition_498000_${String(i).padStart(4, '0')}`;
    ops.push({
      type: 'put',
      key: `${t.prefix}/partitions/${id}`,
      value: JSON.stringify({
        partition_id: id,
        nodes: ['n1', i % 2 ? 'n3' : 'n2'],
        leader: 'n1',
        state: 'Active',
        size_bytes: (1 + (i % 3)) * GB,
        record_count: 10,
        created_at: '2026-11-27T10:00:00Z',
        updated_at: '2026-11-27T10:59:59Z',
        x_seed_field: i,
      }),
    });
  }
  await t.store.txn([], ops);
}

async function partitionStates(t: Target): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const page of t.store.range(`${t.prefix}/partitions/`))
    for (const kv of page) out.set(kv.key, (JSON.parse(kv.value) as { state: string }).state);
  return out;
}

const migrating = async (t: Target) =>
  [...(await partitionStates(t)).values()].filter((s) => s === 'Migrating').length;

/** A move record in state migrating: a round is between its two steps right now. */
async function midRound(t: Target): Promise<boolean> {
  for await (const page of t.store.range(`${t.prefix}/rebalance/moves/`))
    if (page.some((kv) => (JSON.parse(kv.value) as { state: string }).state === 'migrating')) return true;
  return false;
}

async function vsFair(t: Target): Promise<number[]> {
  const r = await spawnCli([...t.args, 'partitions', 'stats', '-o', 'json']);
  const s = JSON.parse(r.stdout) as { nodes: Record<string, { vs_fair: number }> };
  return Object.values(s.nodes).map((n) => n.vs_fair);
}

async function journals(t: Target): Promise<{ plan_id: string; status: string; reason?: string }[]> {
  const out: { plan_id: string; status: string; reason?: string }[] = [];
  for await (const page of t.store.range(`${t.prefix}/rebalance/journals/`))
    for (const kv of page) out.push(JSON.parse(kv.value) as (typeof out)[number]);
  return out;
}

/** Keys under the test's prefix and their latest change: the shared etcd's revision moves with other tests. */
async function lastWrite(t: Target): Promise<string> {
  let keys = 0;
  let latest = 0;
  for await (const page of t.store.range(`${t.prefix}/`))
    for (const kv of page) {
      keys++;
      latest = Math.max(latest, kv.modRevision);
    }
  return `${keys} keys, last changed at revision ${latest}`;
}

const lockHolder = async (t: Target) => {
  const kv = await t.store.get(`${t.prefix}/locks/rebalance`);
  return kv && (JSON.parse(kv.value) as { pid: number; command: string });
};

describe('rebalance auto on etcd', () => {
  let t: Target;
  beforeEach(async () => {
    t = await etcdTarget();
    await seedSkewed(t);
  });
  afterEach(() => t.close());

  it('two instances: one active; SIGKILL it mid-round and the standby takes over within the TTL and finishes', async () => {
    // Paced so that a round is in flight long enough to be killed in the middle of it.
    const flags = ['--interval', '300ms', '--max-moves-per-round', '4', '--max-bytes-per-sec', '4GB'];
    const a = auto(t, ...flags);
    await waitFor('a active', async () => has(a, 'active'));
    const b = auto(t, ...flags);
    await waitFor('b standby', async () => has(b, 'standby'));
    expect(b.lines.find((l) => l.event === 'standby')).toMatchObject({
      active: false,
      holder: expect.stringMatching(new RegExp(`:${a.child.pid}$`)),
    });
    expect((await lockHolder(t))?.pid).toBe(a.child.pid);

    await waitFor('a round in flight', () => midRound(t));
    await waitFor('a second round in flight', async () => a.rounds().length >= 1 && (await midRound(t)));
    const killedPlan = (await journals(t)).find((j) => j.status === 'running')!.plan_id;
    a.child.kill('SIGKILL');
    const killed = Date.now();
    await waitFor('b active', async () => has(b, 'active'), 10_000);
    const tookOver = Date.now() - killed;
    expect(tookOver).toBeLessThan(TTL * 1000 + 1500);
    expect(a.lines.some((l) => l.event === 'standby')).toBe(false);
    expect(b.lines.filter((l) => l.event === 'active')).toHaveLength(1);

    // Its first round finishes the dead instance's plan, then it plans anew until balanced.
    await waitFor('b balanced', async () => b.rounds().some((r) => r.outcome === 'balanced'), 30_000);
    expect(b.rounds()[0]).toMatchObject({ resumed: true, plan_id: killedPlan, outcome: 'done' });
    expect(await migrating(t)).toBe(0);
    expect((await journals(t)).every((j) => j.status === 'done')).toBe(true);
    for (const v of await vsFair(t)) expect(Math.abs(v)).toBeLessThanOrEqual(THRESHOLD + 1e-9);
    // While standing by, b wrote nothing and never claimed to be active.
    expect(
      b.lines.filter((l) => l.event === 'round' && l.time < b.lines.find((x) => x.event === 'active')!.time),
    ).toEqual([]);
    b.child.kill('SIGTERM');
    expect(await b.exit).toBe(0);
    expect(a.junk.concat(b.junk)).toEqual([]);
  }, 60_000);

  it('converges in rounds, then idles without writing; a manual apply meanwhile exits 4 naming it', async () => {
    const a = auto(t, '--interval', '200ms', '--max-moves-per-round', '3');
    await waitFor('balanced', async () => a.rounds().some((r) => r.outcome === 'balanced'), 30_000);
    const rounds = a.rounds();
    const moving = rounds.filter((r) => (r.moves ?? 0) > 0);
    expect(moving.length).toBeGreaterThanOrEqual(3); // bounded per round: it took several
    expect(moving.every((r) => r.outcome === 'done' && r.moves! <= 3)).toBe(true);
    // Each round starts from where the last one ended, and skew only goes down.
    for (let i = 1; i < moving.length; i++)
      expect(moving[i]!.skew_before).toBeLessThanOrEqual(moving[i - 1]!.skew_before!);
    for (const v of await vsFair(t)) expect(Math.abs(v)).toBeLessThanOrEqual(THRESHOLD + 1e-9);

    const revision = await lastWrite(t);
    const idleFrom = a.rounds().length;
    await waitFor('3 idle rounds', async () => a.rounds().length >= idleFrom + 3);
    expect(
      a
        .rounds()
        .slice(idleFrom)
        .every((r) => r.outcome === 'balanced' && r.moves === 0),
    ).toBe(true);
    expect(await lastWrite(t)).toBe(revision);

    // Unbalance it by hand: a new node; the manual route is refused while auto holds the lock.
    expect((await spawnCli([...t.args, 'nodes', 'add', 'n6', '--zone', 'z3'])).code).toBe(0);
    const planFile = join(t.dir, 'plan.json');
    await spawnCli([...t.args, 'rebalance', 'plan', '--out', planFile]);
    const apply = await spawnCli([...t.args, 'rebalance', 'apply', planFile, '--yes']);
    expect(apply.code).toBe(4);
    expect(apply.stderr).toMatch(
      new RegExp(
        `^otlpctl: lock 'rebalance' is held by \\S+ \\(pid ${a.child.pid} on \\S+, since \\S+, running 'rebalance auto'\\)`,
      ),
    );
    expect(apply.stderr.trim().split('\n')).toHaveLength(1);
    // … and auto itself takes care of the new node.
    await waitFor(
      'n6 filled',
      async () => (await vsFair(t)).every((v) => Math.abs(v) <= THRESHOLD + 1e-9),
      30_000,
    );
    // --wait queues behind auto until it is stopped; its plan is stale by then (auto moved some of
    // those partitions): those moves are skipped, nothing forced (exit 3).
    const waiting = start([
      ...t.args,
      'rebalance',
      'apply',
      planFile,
      '--yes',
      '--wait',
      '20s',
      '-o',
      'json',
    ]);
    await sleep(1000);
    expect(waiting.child.exitCode).toBeNull();
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    const stoppedAt = Date.now();
    const queued = await waiting.done;
    expect(Date.now()).toBeGreaterThanOrEqual(stoppedAt);
    expect(queued.code, queued.stderr).toBe(3);
    const report = JSON.parse(queued.stdout) as { status: string; skipped: { stale: boolean }[] };
    expect(report.status).toBe('partial');
    expect(report.skipped.length).toBeGreaterThan(0);
    expect(report.skipped.every((x) => x.stale)).toBe(true);
    expect(a.junk).toEqual([]);
  }, 60_000);

  it('SIGTERM mid-round: finishes the steps in flight, journals, releases the lock, exits 0', async () => {
    const a = auto(t, '--interval', '5m', '--max-concurrent', '1', '--max-bytes-per-sec', '4GB');
    await waitFor('a round in flight', () => midRound(t));
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    expect(await migrating(t)).toBe(0);
    expect(await lockHolder(t)).toBeUndefined();
    const last = a.lines.at(-1)!;
    expect(last).toMatchObject({ event: 'stopped', active: false });
    const round = a.rounds().at(-1)!;
    expect(round).toMatchObject({ outcome: 'interrupted', plan_id: expect.any(String) });
    expect(round.moves).toBeGreaterThanOrEqual(1);
    const status = await spawnCli([...t.args, 'rebalance', 'status', round.plan_id!, '-o', 'json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'interrupted', lock: null });
    // The next instance finishes that plan first, as `rebalance resume` would.
    const b = auto(t, '--interval', '5m');
    await waitFor('b round', async () => b.rounds().length >= 1);
    expect(b.rounds()[0]).toMatchObject({ resumed: true, plan_id: round.plan_id, outcome: 'done' });
    b.child.kill('SIGINT');
    expect(await b.exit).toBe(0);
  }, 40_000);

  it('--replace-down-after: a node Down that long has its replicas replaced, not before', async () => {
    const a = auto(t, '--interval', '200ms', '--replace-down-after', '2s');
    await waitFor('balanced', async () => a.rounds().some((r) => r.outcome === 'balanced'), 30_000);
    const held = async (node: string) => {
      let n = 0;
      for await (const page of t.store.range(`${t.prefix}/partitions/`))
        for (const kv of page) if ((JSON.parse(kv.value) as { nodes: string[] }).nodes.includes(node)) n++;
      return n;
    };
    expect(await held('n4')).toBeGreaterThan(0);
    const before = Date.now(); // the Down write comes after this
    expect((await spawnCli([...t.args, 'nodes', 'set-state', 'n4', 'Down'])).code).toBe(0);
    const replacing = () => a.rounds().find((r) => (r as { replace_down?: string[] }).replace_down);
    await waitFor('the replacing round', async () => replacing() !== undefined, 20_000);
    expect(Date.now() - before).toBeGreaterThanOrEqual(2000);
    expect(replacing()).toMatchObject({ replace_down: ['n4'], outcome: 'done' });
    expect(await held('n4')).toBe(0);
    // The sighting is in the store, for a standby that takes over to keep counting; the round that
    // replaced came 2 s after it at the earliest (its plan id has whole seconds, rounded down).
    const since = await t.store.get(`${t.prefix}/rebalance/auto/down-since`);
    const n4 = (JSON.parse(since!.value) as { nodes: Record<string, { since: string }> }).nodes;
    expect(Object.keys(n4)).toEqual(['n4']);
    const planned = replacing()!.plan_id!.replace(
      /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z.*/,
      '$1-$2-$3T$4:$5:$6Z',
    );
    expect(Date.parse(planned) - Math.floor(Date.parse(n4.n4!.since) / 1000) * 1000).toBeGreaterThanOrEqual(
      2000,
    );
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    expect(await migrating(t)).toBe(0);
  }, 40_000);

  it('SIGSTOP the active past its TTL: the standby takes over; the old one sees its lease lost and stands by', async () => {
    const flags = ['--interval', '300ms', '--max-moves-per-round', '2', '--max-bytes-per-sec', '4GB'];
    const a = auto(t, ...flags);
    await waitFor('a round in flight', () => midRound(t));
    const b = auto(t, ...flags);
    await waitFor('b standby', async () => has(b, 'standby'));
    a.child.kill('SIGSTOP');
    await waitFor('b active', async () => has(b, 'active'), 10_000);
    a.child.kill('SIGCONT');
    await waitFor('a lost', async () => has(a, 'lost'), 5000);
    const lostAt = a.lines.findIndex((l) => l.event === 'lost');
    // After noticing, a only waits: no more rounds, and its next word is standby (b holds the lock).
    await waitFor('a standby again', async () => a.lines.slice(lostAt).some((l) => l.event === 'standby'));
    await waitFor('b balanced', async () => b.rounds().some((r) => r.outcome === 'balanced'), 30_000);
    expect(a.lines.slice(lostAt).filter((l) => l.event === 'round')).toEqual([]);
    expect((await lockHolder(t))?.pid).toBe(b.child.pid);
    expect(await migrating(t)).toBe(0);
    expect((await journals(t)).every((j) => j.status === 'done' || j.status === 'partial')).toBe(true);
    for (const v of await vsFair(t)) expect(Math.abs(v)).toBeLessThanOrEqual(THRESHOLD + 1e-9);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect([await a.exit, await b.exit]).toEqual([0, 0]);
  }, 60_000);

  it('--dry-run: reports what a round would apply, takes no lock and writes nothing', async () => {
    const revision = await lastWrite(t);
    const a = auto(t, '--dry-run', '--interval', '200ms');
    await waitFor('2 rounds', async () => a.rounds().length >= 2);
    const holder = await lockHolder(t);
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    expect(holder).toBeUndefined();
    expect(a.rounds()[0]).toMatchObject({ active: false, outcome: 'would-apply', skew_before: 1.5 });
    expect(a.rounds()[0]!.moves).toBeGreaterThan(0);
    expect(await lastWrite(t)).toBe(revision);
  });

  it('bad flags: one line naming the flag, exit 2, nothing written', async () => {
    for (const [flag, value] of [
      ['--interval', '5x'],
      ['--lock-ttl', '1'],
      ['--threshold', '-1'],
    ] as const) {
      const r = await spawnCli([...t.args, 'rebalance', 'auto', flag, value]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^otlpctl: ${flag} '${value}': expected .+\\n$`));
    }
    expect(await lockHolder(t)).toBeUndefined();
  });
});

describe('rebalance auto with etcd killed under it', () => {
  let cluster: EtcdCluster;
  let t: Target;
  beforeEach(async () => {
    cluster = await startEtcd();
    t = await etcdTarget(cluster.endpoints);
    await seedSkewed(t);
  }, 60_000);
  afterEach(async () => {
    await t?.close();
    await cluster?.stop();
  });

  it('logs errors while etcd is gone, never exits, and carries on once it is back', async () => {
    const a = auto(
      t,
      '--dial-timeout',
      '500ms',
      '--command-timeout',
      '1s',
      '--interval',
      '300ms',
      '--max-moves-per-round',
      '3',
    );
    await waitFor('a round', async () => a.rounds().length >= 1);
    const member = cluster.members[0]!;
    await member.kill();
    await waitFor(
      '2 error lines',
      async () => a.lines.filter((l) => l.event === 'error').length >= 2,
      15_000,
    );
    expect(a.child.exitCode).toBeNull();
    const errors = a.lines.filter((l) => l.event === 'error');
    expect(errors[0]).toMatchObject({
      outcome: 'error',
      message: expect.stringMatching(/etcd at \S+ (unreachable|did not answer)/),
    });
    // Backoff: the second error comes a while after the first, not in a tight loop.
    expect(Date.parse(errors[1]!.time) - Date.parse(errors[0]!.time)).toBeGreaterThanOrEqual(900);
    await sleep(500);
    const before = a.lines.length;
    await member.restart();
    await waitFor(
      'balanced after the restart',
      async () => a.lines.slice(before).some((l) => l.event === 'round' && l.outcome === 'balanced'),
      45_000,
    );
    expect(await migrating(t)).toBe(0);
    for (const v of await vsFair(t)) expect(Math.abs(v)).toBeLessThanOrEqual(THRESHOLD + 1e-9);
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    expect(a.junk).toEqual([]);
  }, 90_000);
});

/** A TCP relay to etcd that can go silent (connections stay open, nothing gets through): a partition. */
async function relay(target: string): Promise<{ endpoint: string; silence: () => void; close: () => void }> {
  const [host, port] = target.replace(/^https?:\/\//, '').split(':');
  let silent = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(Number(port), host);
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('error', () => undefined);
    }
    down.on('data', (c) => silent || up.write(c));
    up.on('data', (c) => silent || down.write(c));
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    silence: () => (silent = true),
    close: () => {
      server.close();
      sockets.forEach((s) => s.destroy());
    },
  };
}

describe('rebalance auto cut off from etcd', () => {
  let t: Target;
  beforeEach(async () => {
    t = await etcdTarget();
    await seedSkewed(t);
  });
  afterEach(() => t.close());

  it('the active one says its lease is lost within the TTL, without a word from etcd; the standby takes over', async () => {
    const r = await relay(t.args[t.args.indexOf('--endpoints') + 1]!);
    try {
      const viaRelay = { ...t, args: ['--endpoints', r.endpoint, '--prefix', t.prefix] };
      const a = auto(viaRelay, '--interval', '5m', '--command-timeout', '20s');
      await waitFor('a round', async () => a.rounds().length >= 1, 30_000);
      const b = auto(t, '--interval', '5m');
      await waitFor('b standby', async () => has(b, 'standby'));
      r.silence();
      const cut = Date.now();
      await waitFor('a lost', async () => has(a, 'lost'), 10_000);
      // Counted from the last answered keep-alive, so never after etcd's own expiry.
      expect(Date.now() - cut).toBeLessThan(TTL * 1000 + 500);
      await waitFor('b active', async () => has(b, 'active'), 10_000);
      b.child.kill('SIGTERM');
      expect(await b.exit).toBe(0);
    } finally {
      r.close();
    }
  }, 40_000);
});

describe('rebalance auto on the file store', () => {
  let t: Target;
  beforeEach(async () => {
    t = await fileTarget();
    await seedSkewed(t);
  });
  afterEach(() => t.close());

  it('one instance converges and stops on SIGTERM; a second one stands by', async () => {
    const a = auto(t, '--interval', '200ms', '--max-moves-per-round', '4');
    await waitFor('balanced', async () => a.rounds().some((r) => r.outcome === 'balanced'), 30_000);
    const b = auto(t, '--interval', '200ms');
    await waitFor('b standby', async () => has(b, 'standby'));
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    await waitFor('b active', async () => has(b, 'active'), 10_000);
    b.child.kill('SIGTERM');
    expect(await b.exit).toBe(0);
    expect(await migrating(t)).toBe(0);
  }, 40_000);
});
