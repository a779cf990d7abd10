import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli.js';
import { fileTarget, NOW, seedCluster, type Target } from '../fixtures/rebalance/cluster.js';

/**
 * Every validated input, corrupt, on the built binary as an operator meets it: a hand-edited plan
 * file, a corrupt node or partition record, journal or move record, config value or lock holder in
 * the file store. Each gives one line naming the input, the field and what was expected, the exit
 * code of PRODUCT.md §7, no stack trace, and no change to what is stored.
 */

const ID = '4bf92f3577b34da6a3ce929d0e0e4736';

let t: Target;
let planFile: string;

beforeEach(async () => {
  t = await fileTarget();
  await seedCluster(t);
  planFile = join(t.dir, 'plan.json');
});
afterEach(() => t.close());

/** Every key and value, read by a store of its own (another process's view). */
async function stored(): Promise<Map<string, string>> {
  const store = await t.open();
  const out = new Map<string, string>();
  for await (const page of store.range('/')) for (const kv of page) out.set(kv.key, kv.value);
  await store.close();
  return out;
}

const put = (key: string, value: unknown) =>
  t.store.txn([], [{ type: 'put', key, value: typeof value === 'string' ? value : JSON.stringify(value) }]);

/** Runs the binary and checks: this exit code, this one line on stderr, nothing stored changed. */
async function refused(args: string[], code: number, line: string): Promise<string> {
  const before = await stored();
  const r = await spawnCli([...t.args, ...args]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code, stderr: `otlpctl: ${line}\n` });
  expect(await stored()).toEqual(before);
  return r.stdout;
}

async function applied(): Promise<string> {
  const plan = await runCli([...t.args, 'rebalance', 'plan', '--out', planFile, '-o', 'json'], { now: NOW });
  expect(plan.code).toBe(0);
  const r = await runCli([...t.args, 'rebalance', 'apply', planFile, '--yes', '-o', 'json'], { now: NOW });
  expect(r.code).toBe(0);
  return (JSON.parse(plan.stdout) as { id: string }).id;
}

describe('a hand-edited plan file', () => {
  const edit = async (
    change: (p: { moves: Record<string, unknown>[] } & Record<string, unknown>) => void,
  ) => {
    const r = await runCli([...t.args, 'rebalance', 'plan', '--out', planFile, '-q'], { now: NOW });
    expect(r.code).toBe(0);
    const plan = JSON.parse(readFileSync(planFile, 'utf8'));
    expect(plan.moves.length).toBeGreaterThan(3);
    change(plan);
    writeFileSync(planFile, JSON.stringify(plan, null, 2));
  };

  it.each<[string, (p: { moves: Record<string, unknown>[] } & Record<string, unknown>) => void, string]>([
    ['a negative size', (p) => (p.moves[3]!.bytes = -1), 'field moves[3].bytes is -1, expected a byte count'],
    ['a move to nowhere', (p) => delete p.moves[1]!.to, 'field moves[1].to is missing, expected a node id'],
    ['a move onto itself', (p) => (p.moves[2]!.to = p.moves[2]!.from), 'expected a node other than from'],
    [
      'a threshold the config refuses',
      (p) => (p.threshold = 0),
      'field threshold is 0, expected a number above 0 and below 10',
    ],
    [
      'a target --target refuses',
      (p) => (p.target = 11),
      'field target is 11, expected a number from 0 to 10',
    ],
    [
      'loads that are not numbers',
      (p) => (p.before = { a: 'lots' }),
      'field before.a is "lots", expected a number',
    ],
  ])('%s: exit 2, naming the field, nothing applied', async (_name, change, expected) => {
    await edit(change);
    const before = await stored();
    const r = await spawnCli([...t.args, 'rebalance', 'apply', planFile, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^otlpctl: plan file ${planFile}: .*\n$`));
    expect(r.stderr).toContain(expected);
    expect(await stored()).toEqual(before);
  });
});

describe('a corrupt node record', () => {
  it('nodes show names the field (exit 1); locate skips the node with a warning naming it', async () => {
    const bad = { node_id: 'b', location: { availability_zone: 'z1' }, weight: 'heavy', state: 'Up' };
    await put('/otlp/nodes/b', bad);
    const problem = '/otlp/nodes/b: field weight is "heavy", expected a number from 0 to 100';
    await refused(['nodes', 'show', 'b'], 1, problem);
    const before = await stored();
    const r = await spawnCli([...t.args, 'locate', ID, '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`otlpctl: skipped ${problem} (see 'otlpctl doctor')\n`);
    expect(JSON.parse(r.stdout).replicas.map((n: { node_id: string }) => n.node_id)).not.toContain('b');
    expect(await stored()).toEqual(before);
  });

  it.each([
    [
      { location: 'eu' },
      'field location is "eu", expected an object of region, availability_zone, data_center',
    ],
    [{ location: { region: 7 } }, 'field location.region is 7, expected a region name'],
    [{ state: 'Sleeping' }, 'field state is "Sleeping", expected Up|Down|Draining'],
    [{ node_id: undefined }, 'field node_id is missing, expected a node id'],
  ])('%j: one line naming the field, exit 1', async (change, expected) => {
    await put('/otlp/nodes/c', { node_id: 'c', weight: 1, state: 'Up', ...change });
    await refused(['nodes', 'show', 'c'], 1, `/otlp/nodes/c: ${expected}`);
  });
});

it('a corrupt partition record: partitions show names the field (exit 1)', async () => {
  const key = '/otlp/partitions/partition_498000_0001';
  const value = JSON.parse((await stored()).get(key)!) as Record<string, unknown>;
  // Past 2^53 JSON.parse rounds: refused, never read (and rewritten) as another number.
  await put(key, JSON.stringify({ ...value, size_bytes: 2 ** 53 }));
  await refused(
    ['partitions', 'show', 'partition_498000_0001'],
    1,
    `${key}: field size_bytes is 9007199254740992, expected a non-negative integer`,
  );
});

describe('a bad config value', () => {
  it.each([
    [{ hash_partitions: 0 }, 'field hash_partitions is 0, expected an integer from 1 to 1048576'],
    [{ hash: 'md5' }, 'field hash is "md5", expected xxh64 or rust-siphash13'],
    [{ zone_aware: 'yes' }, 'field zone_aware is "yes", expected true or false'],
    [{ imbalance_threshold: 10 }, 'field imbalance_threshold is 10, expected a number above 0 and below 10'],
  ])('%j: locate and rebalance plan name the field, exit 1', async (change, expected) => {
    const config = JSON.parse((await stored()).get('/otlp/config')!) as Record<string, unknown>;
    await put('/otlp/config', { ...config, ...change });
    await refused(['locate', ID], 1, `/otlp/config: ${expected}`);
    await refused(['rebalance', 'plan', '--out', planFile], 1, `/otlp/config: ${expected}`);
  });

  it('not an object: says what was expected', async () => {
    await put('/otlp/config', '[1, 2]');
    await refused(['locate', ID], 1, '/otlp/config: expected a JSON object with the cluster configuration');
  });
});

describe('a corrupt journal or move record', () => {
  it('resume and status name the journal field (exit 1), resuming nothing', async () => {
    const id = await applied();
    const key = `/otlp/rebalance/journals/${id}`;
    const journal = JSON.parse((await stored()).get(key)!) as Record<string, unknown>;
    await put(key, { ...journal, status: 'halfway' });
    const expected = `${key}: field status is "halfway", expected running|interrupted|done|partial|failed|cancelled`;
    await refused(['rebalance', 'resume'], 1, expected);
    await refused(['rebalance', 'resume', id], 1, expected);
    await refused(['rebalance', 'status'], 1, expected);
  });

  it('a journal whose chunk count is gone', async () => {
    const id = await applied();
    const key = `/otlp/rebalance/journals/${id}`;
    const { chunks: _gone, ...journal } = JSON.parse((await stored()).get(key)!) as Record<string, unknown>;
    await put(key, journal);
    await refused(['rebalance', 'status', id], 1, `${key}: field chunks is missing, expected a chunk count`);
  });

  it('a stored plan edited behind our back: resume names it and the field (exit 1)', async () => {
    const id = await applied();
    const key = `/otlp/rebalance/plans/${id}/0000`;
    const plan = JSON.parse((await stored()).get(key)!) as { moves: Record<string, unknown>[] };
    plan.moves[0]!.bytes = -1;
    await put(key, plan);
    await refused(
      ['rebalance', 'resume', id],
      1,
      `stored plan ${id}: field moves[0].bytes is -1, expected a byte count`,
    );
  });

  it("status names a move record's bad field (exit 1)", async () => {
    const id = await applied();
    const keys = [...(await stored()).keys()].filter((k) => k.startsWith(`/otlp/rebalance/moves/${id}/`));
    const key = keys[0]!;
    const record = JSON.parse((await stored()).get(key)!) as { moves: Record<string, unknown>[] };
    record.moves[0]!.kind = 'teleport';
    await put(key, record);
    await refused(
      ['rebalance', 'status', id],
      1,
      `${key}: field moves[0].kind is "teleport", expected replica|leader`,
    );
  });
});

it('a lock holder some other writer left: exit 4, held by "another process", nothing applied', async () => {
  const r = await runCli([...t.args, 'rebalance', 'plan', '--out', planFile, '-q'], { now: NOW });
  expect(r.code).toBe(0);
  await put('/otlp/locks/rebalance', { holder: 'ops@db-7', pid: 'many' });
  await refused(['rebalance', 'apply', planFile, '--yes'], 4, "lock 'rebalance' is held by another process");
});
