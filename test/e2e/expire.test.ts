import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expire, type ExpireOptions } from '../../src/commands/expire.js';
import type { Context } from '../../src/commands/context.js';
import { NOT_AN_ID } from '../../src/core/expire.js';
import { OtlpctlError } from '../../src/core/errors.js';
import type { ExpireReport } from '../../src/render/expire.js';
import type { MetadataStore, Op } from '../../src/store/contract.js';
import { FileStore } from '../../src/store/file/store.js';
import { KeyLayout } from '../../src/store/layout.js';
import { acquireLock } from '../../src/store/lock.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { etcdTarget, fileTarget, type Target } from '../helpers/targets.js';

/**
 * `expire` on the file store and a real etcd: the exact set deleted from 2,882 partitions spread
 * over 40 days (three signals, Migrating, Rebalancing, unparsable values, stray keys), the guard,
 * the dry run, the lock, concurrent writers, Ctrl-C and bad input.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-11-27T12:00:00Z');
const CUTOFF = NOW - 30 * DAY; // the default retention
const H = NOW / HOUR; // the bucket of NOW
const SIGNALS = ['', 'metrics_', 'logs_'];
const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

interface Entry {
  id: string;
  value: string;
  /** What expire must do with it. */
  fate: 'delete' | 'keep' | RegExp;
  bytes: number;
  nodes: string[];
}

/** 40 days × 24 hours × 3 signals, with the oddities a real store collects. */
function dataset(): Entry[] {
  const out: Entry[] = [];
  let k = 0;
  for (let b = H - 960; b < H; b++) {
    for (let s = 0; s < 3; s++, k++) {
      const id = `${SIGNALS[s]}partition_${b}_${String((b * 7 + s) % 256).padStart(4, '0')}`;
      const nodes = [0, 1, 2].map((i) => NODES[(k + i) % 5]!);
      const t = new Date(b * HOUR).toISOString().replace('.000Z', '.123456789Z');
      const rec: Record<string, unknown> = {
        partition_id: id,
        nodes,
        leader: nodes[0],
        state: 'Active',
        size_bytes: 1_000_000 + k * 1009,
        record_count: 500 + k,
        created_at: t,
        updated_at: t,
      };
      const expired = (b + 1) * HOUR <= CUTOFF;
      let fate: Entry['fate'] = expired ? 'delete' : 'keep';
      let value: string | undefined;
      const at = (back: number, signal: number) => b === H - back && s === signal;
      if (at(800, 0)) [rec.state, fate] = ['Migrating', /^Migrating: a move is in flight/];
      if (at(801, 1)) [rec.state, fate] = ['Rebalancing', /^Rebalancing: a move is in flight/];
      if (at(100, 0)) rec.state = 'Migrating'; // not expired: kept, not reported
      if (at(802, 2)) [value, fate] = ['{"partition_id": broken', /^value is not JSON$/];
      if (at(50, 2)) value = 'garbage'; // not expired: kept, not reported
      if (at(803, 0)) [rec.partition_id, fate] = ['partition_1_0001', /^partition_id is 'partition_1_0001'/];
      if (at(805, 1)) [rec.size_bytes, fate] = [undefined, /^field size_bytes is missing/];
      if (at(804, 0)) rec.state = 'ReadOnly'; // deleted like Active
      if (at(806, 0)) rec.crc32 = 305419896; // an unknown field: deleted all the same
      out.push({ id, value: value ?? JSON.stringify(rec), fate, bytes: rec.size_bytes as number, nodes });
    }
  }
  const stray = (id: string) => ({
    id,
    value: JSON.stringify({ partition_id: id }),
    fate: /^not a partition id/,
  });
  out.push({ ...stray('README'), bytes: 0, nodes: [] });
  out.push({ ...stray(`partition_${H - 900}_00012`), bytes: 0, nodes: [] }); // over-padded: not an id
  return out;
}

const DATA = dataset();
const DELETED = DATA.filter((e) => e.fate === 'delete');
const SKIPPED = DATA.filter((e) => e.fate instanceof RegExp);

function expectedTotals(entries: Entry[]) {
  const byNode: Record<string, { partitions: number; bytes: number }> = {};
  for (const e of entries)
    for (const n of e.nodes) {
      byNode[n] ??= { partitions: 0, bytes: 0 };
      byNode[n].partitions++;
      byNode[n].bytes += e.bytes;
    }
  return { bytes: entries.reduce((a, e) => a + e.bytes, 0), by_node: byNode };
}

describe.each([
  ['file store', fileTarget],
  ['etcd', etcdTarget],
])('expire on the %s', (_name, make) => {
  let t: Target;
  const cli = (...args: string[]) => runCli([...t.args, ...args], { now: NOW });
  const key = (id: string) => `${t.prefix}/partitions/${id}`;

  /** Every partition key with its mod revision: "nothing changed" is this, unchanged. */
  const partitions = async () => {
    const out = new Map<string, number>();
    for await (const page of t.store.range(`${t.prefix}/partitions/`))
      for (const kv of page) out.set(kv.key, kv.modRevision);
    return out;
  };
  /** expire's audit records (the cluster's `init` leaves one of its own). */
  const audits = async () => {
    const out: Record<string, unknown>[] = [];
    for await (const page of t.store.range(`${t.prefix}/audit/`))
      for (const kv of page) out.push(JSON.parse(kv.value));
    return out.filter((a) => a.command === 'expire');
  };
  const lockKey = () => `${t.prefix}/locks/expire`;

  beforeEach(async () => {
    t = await make();
    expect((await cli('init')).code).toBe(0);
    const ops: Op[] = DATA.map((e) => ({ type: 'put', key: key(e.id), value: e.value }));
    const batches = [];
    for (let i = 0; i < ops.length; i += 128) batches.push(t.store.txn([], ops.slice(i, i + 128)));
    await Promise.all(batches);
  });
  afterEach(() => t.close());

  it('deletes exactly the expired, settled partitions and reports the rest; a re-run is harmless', async () => {
    const r = await cli('expire', '--max-delete', '100%', '-o', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const { bytes, by_node } = expectedTotals(DELETED);
    expect(j).toMatchObject({
      now: '2026-11-27T12:00:00Z',
      cutoff: '2026-10-28T12:00:00Z',
      retention_days: 30,
      dry_run: false,
      partitions: DATA.length,
      selected: DELETED.length,
      deleted: DELETED.length,
      bytes,
      by_node,
      refused: false,
      failed: [],
      stopped: null,
    });
    expect(DELETED.length).toBe(715); // 240 expired hours × 3 signals, less 5 skipped
    expect(Object.keys(j.by_node)).toEqual(NODES);
    // The skipped, each with its reason.
    expect(j.skipped.map((s: { partition_id: string }) => s.partition_id).sort()).toEqual(
      SKIPPED.map((e) => e.id).sort(),
    );
    for (const s of j.skipped as { partition_id: string; reason: string }[]) {
      expect(s.reason).toMatch(SKIPPED.find((e) => e.id === s.partition_id)!.fate as RegExp);
    }
    expect(j.skipped.find((s: { partition_id: string }) => s.partition_id === 'README').reason).toBe(
      NOT_AN_ID,
    );
    // What remains is exactly everything else; the boundary hour (ends at the cutoff) went.
    const left = [...(await partitions()).keys()].sort();
    expect(left).toEqual(
      DATA.filter((e) => e.fate !== 'delete')
        .map((e) => key(e.id))
        .sort(),
    );
    expect(left).not.toContain(key(`partition_${H - 721}_${String(((H - 721) * 7) % 256).padStart(4, '0')}`));
    expect(left).toContain(key(`partition_${H - 720}_${String(((H - 720) * 7) % 256).padStart(4, '0')}`));
    // The lock is released; the audit says who ran what with what result.
    expect(await t.store.get(lockKey())).toBeUndefined();
    expect(await audits()).toMatchObject([
      {
        command: 'expire',
        result: 'ok',
        details: { deleted: 715, selected: 715, skipped: 5 + 2, failed: 0 },
      },
    ]);

    const again = await cli('expire', '-o', 'json');
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      selected: 0,
      deleted: 0,
      bytes: 0,
      by_node: {},
      refused: false,
    });
    expect(JSON.parse(again.stdout).skipped).toEqual(j.skipped);
    expect([...(await partitions()).keys()].sort()).toEqual(left);
  });

  it('a dry run changes nothing, takes no lock, and selects what the real run deletes', async () => {
    const before = await partitions();
    const r = await cli('expire', '--dry-run', '-o', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dry = JSON.parse(r.stdout);
    // 715 of 2,882 is over the default 10 %: the real run would refuse, and the dry run says so.
    expect(dry).toMatchObject({ dry_run: true, selected: 715, deleted: 0, refused: true, limit: 288 });
    expect(await partitions()).toEqual(before);
    expect(await audits()).toEqual([]);

    // Safe while another run holds the lock.
    const held = await acquireLock(t.store, lockKey(), holder('bob@cron-1'), 30);
    expect((await cli('expire', '--dry-run', '-o', 'json')).stdout).toBe(r.stdout);
    await held.release();

    const real = JSON.parse((await cli('expire', '--max-delete', '715', '-o', 'json')).stdout);
    for (const f of ['selected', 'bytes', 'by_node', 'skipped', 'now', 'cutoff'])
      expect(real[f], f).toEqual(dry[f]);
    expect(real.deleted).toBe(715);
  });

  it('--now and --retention-days move the cutoff', async () => {
    const dry = async (...args: string[]) =>
      JSON.parse((await cli('expire', '--dry-run', '-o', 'json', ...args)).stdout);
    // Half an hour later, the hour starting at the cutoff has still not ended before it.
    expect(await dry('--now', '2026-11-27T12:30:00Z')).toMatchObject({
      selected: 715,
      cutoff: '2026-10-28T12:30:00Z',
    });
    expect(await dry('--now', '2026-11-27T13:00:00Z')).toMatchObject({ selected: 718 });
    // 35 days: 120 hours × 3 signals (the oddities are all younger).
    expect(await dry('--retention-days', '35')).toMatchObject({ selected: 360, retention_days: 35 });
    expect(await dry('--now', 'now-10d', '--retention-days', '30')).toMatchObject({
      selected: 0,
      skipped: expect.any(Array),
    });
  });

  it('the guard refuses before deleting anything (exit 5) unless raised', async () => {
    const before = await partitions();
    for (const args of [[], ['--max-delete', '714'], ['--max-delete', '20%'], ['--max-delete', '0']]) {
      const r = await cli('expire', '-o', 'json', ...args);
      expect(r.code, args.join(' ')).toBe(5);
      const lines = r.stderr.trim().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(
        /refused to delete 715 of 2882 partitions .*nothing was deleted.*--max-delete 715/,
      );
      expect(JSON.parse(r.stdout)).toMatchObject({ refused: true, deleted: 0, selected: 715 });
      expect(await partitions()).toEqual(before);
    }
    expect(await audits()).toHaveLength(4);
    expect((await audits())[0]).toMatchObject({ result: 'refused' });
    const raised = await cli('expire', '--max-delete', '30%', '-o', 'json');
    expect(raised.code).toBe(0);
    expect(JSON.parse(raised.stdout)).toMatchObject({ deleted: 715, limit: 864 });
  });

  it('a lock held by another run: exit 4 naming the holder; --wait takes it once released', async () => {
    const before = await partitions();
    const held = await acquireLock(t.store, lockKey(), holder('alice@cron-2'), 30);
    const r = await cli('expire', '--max-delete', '100%');
    expect(r.code).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /lock 'expire' is held by alice@cron-2 \(pid 4242 on cron-2, since 2026-11-27T11:59:00Z, running 'expire'\)/,
    );
    const waited = await cli('expire', '--max-delete', '100%', '--wait', '300ms');
    expect(waited.code).toBe(4);
    expect(await partitions()).toEqual(before);

    const queued = cli('expire', '--max-delete', '100%', '--wait', '20s', '-o', 'json');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await held.release();
    const done = await queued;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout).deleted).toBe(715);
  });

  it('a partition rewritten between read and delete is decided again, never deleted unseen', async () => {
    let changed: string[] = [];
    const r = await direct({ dryRun: false, maxDelete: { percent: 100 } }, async (inner, ops) => {
      // Another writer, just before our first batch lands.
      changed = ops.slice(0, 3).map((o) => o.key);
      const [a, b, c] = await Promise.all(changed.map((k) => inner.get(k)));
      const rec = (kv: typeof a) => JSON.parse(kv!.value);
      await inner.txn(
        [],
        [
          { type: 'put', key: changed[0]!, value: JSON.stringify({ ...rec(a), state: 'Migrating' }) },
          { type: 'put', key: changed[1]!, value: JSON.stringify({ ...rec(b), size_bytes: 999 }) },
          { type: 'delete', key: changed[2]! },
        ],
      );
      return rec(c).size_bytes + rec(a).size_bytes + rec(b).size_bytes - 999; // bytes not deleted as read
    });
    expect(r.code).toBe(0);
    const [a, b, c] = changed.map((k) => k.slice(`${t.prefix}/partitions/`.length));
    expect(r.json.deleted).toBe(713);
    expect(r.json.bytes).toBe(expectedTotals(DELETED).bytes - r.hook);
    expect(r.json.skipped).toEqual(
      expect.arrayContaining([
        { partition_id: a, reason: expect.stringMatching(/^changed meanwhile: Migrating/) },
        { partition_id: c, reason: 'deleted by another writer meanwhile' },
      ]),
    );
    const left = await partitions();
    expect(left.has(key(a!))).toBe(true); // now Migrating: kept
    expect(left.has(key(b!))).toBe(false); // still expired and Active: deleted at its new revision
    expect(left.size).toBe(DATA.length - 715 + 1);
  });

  it('a run that lost its lock (lease lapsed) deletes nothing more: exit 6', async () => {
    const before = await partitions();
    const r = await direct({ dryRun: false, maxDelete: { percent: 100 } }, async (inner) => {
      await inner.txn([], [{ type: 'delete', key: lockKey() }]); // as if the lease had expired
      return 0;
    });
    expect(r.code).toBe(6);
    expect(r.error).toMatch(/lost the expire lock .* after deleting 0 of 715/);
    expect(r.json).toMatchObject({ deleted: 0, stopped: 'lock lost', not_attempted: 715 });
    expect(await partitions()).toEqual(before);
  });

  it('Ctrl-C finishes the transactions in flight, releases the lock, exits 130; a re-run finishes', async () => {
    const r = await direct(
      { dryRun: false, maxDelete: { percent: 100 } },
      async (_inner, _deletes, interrupt) => {
        interrupt.abort(); // what cli.ts does on the first SIGINT
        return 0;
      },
    );
    expect(r.code).toBe(130);
    expect(r.error).toMatch(/interrupted after deleting 127 of 715 partitions/);
    expect(r.json).toMatchObject({ deleted: 127, stopped: 'interrupted', not_attempted: 715 - 127 });
    expect(await t.store.get(lockKey())).toBeUndefined();
    expect((await audits())[0]).toMatchObject({ result: 'interrupted', details: { deleted: 127 } });
    const again = await cli('expire', '--max-delete', '100%', '-o', 'json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ selected: 715 - 127, deleted: 715 - 127 });
  });

  it.each([
    [['--now', 'yesterday'], /--now 'yesterday': expected RFC 3339/],
    [['--retention-days', '0'], /--retention-days '0': expected an integer from 1/],
    [['--max-delete', '10x'], /--max-delete '10x': expected a number of partitions/],
    [['--max-delete', '150%'], /--max-delete '150%': expected/],
    [['--wait', 'soon'], /--wait 'soon': expected a duration/],
    [['--now', 'now+1d'], /--now 'now\+1d': after the clock .* --dry-run/],
  ])('bad input %j: exit 2, one line, nothing changed', async (args, message) => {
    const before = await partitions();
    const r = await cli('expire', '--max-delete', '100%', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(await partitions()).toEqual(before);
    expect(await t.store.get(lockKey())).toBeUndefined();
    expect(await audits()).toEqual([]);
  });

  /**
   * Runs the command in-process on a store whose first delete transaction first calls `hook` (another
   * writer, a lapsed lease, a Ctrl-C), as the CLI would run it otherwise.
   */
  async function direct(
    opts: ExpireOptions,
    hook: (inner: MetadataStore, deletes: Op[], interrupt: AbortController) => Promise<number>,
  ): Promise<{
    code: number;
    json: ExpireReport;
    error: string;
    stderr: string;
    hook: number;
  }> {
    const inner = await t.open();
    const interrupt = new AbortController();
    let fired = false;
    let hooked = 0;
    let hookDone: Promise<void> = Promise.resolve();
    const store: MetadataStore = {
      description: inner.description,
      get: (k) => inner.get(k),
      range: (p, o) => inner.range(p, o),
      revision: () => inner.revision(),
      grantLease: (s) => inner.grantLease(s),
      leaseTimeToLive: (id) => inner.leaseTimeToLive(id),
      close: () => inner.close(),
      txn: async (compares, success, failure) => {
        const deletes = success.filter((o) => o.type === 'delete' && o.key.includes('/partitions/'));
        if (!fired && deletes.length > 0) {
          fired = true;
          hookDone = hook(inner, deletes, interrupt).then((n) => void (hooked = n));
        }
        await hookDone; // every write waits for the other writer: batches run several at a time
        return inner.txn(compares, success, failure);
      },
    };
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (c: Buffer) => (stdout += c.toString()));
    err.on('data', (c: Buffer) => (stderr += c.toString()));
    const ctx: Context = {
      openStore: async () => store,
      layout: new KeyLayout(t.prefix),
      clock: () => NOW,
      format: 'json',
      color: false,
      quiet: false,
      interactive: false,
      stdout: out,
      stderr: err,
      stdin: Readable.from([]),
      interrupt: interrupt.signal,
    };
    let code: number;
    let error = '';
    try {
      code = await expire(opts, ctx);
    } catch (e) {
      if (!(e instanceof OtlpctlError)) throw e;
      code = e.exitCode;
      error = e.message;
    } finally {
      await inner.close();
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(fired).toBe(true);
    return { code, json: JSON.parse(stdout || '{}') as ExpireReport, error, stderr, hook: hooked };
  }
});

describe('expire for people and for cron', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir();
  });
  afterEach(() => t.cleanup());

  it('a table on a terminal; JSON, nothing on stderr, exit 0 when there is nothing to do', async () => {
    const cli = (args: string[], tty = false) =>
      runCli(['--file', t.file, '--no-color', ...args], { now: NOW, tty });
    await cli(['init']);
    const store = new FileStore(t.file);
    const old = (h: number) => `partition_${H - 24 * 31 - h}_0001`;
    await store.txn(
      [],
      [0, 1, 2].map((h) => ({
        type: 'put' as const,
        key: `/otlp/partitions/${old(h)}`,
        value: JSON.stringify({
          partition_id: old(h),
          nodes: ['n1', 'n2'],
          leader: 'n1',
          state: h === 2 ? 'Migrating' : 'Active',
          size_bytes: 1_500_000_000,
          record_count: 1,
          created_at: '2026-10-01T00:00:00Z',
          updated_at: '2026-10-01T00:00:00Z',
        }),
      })),
    );
    await store.close();
    const dry = await cli(['expire', '--dry-run'], true);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toMatch(/dry run: would delete 2 partition\(s\), 3\.00 GB/);
    expect(dry.stdout).toMatch(/the guard would refuse this: raise --max-delete to at least 2/);
    expect(dry.stdout).toMatch(/n1 +│ +2 +│ +3\.00 GB/);
    expect(dry.stdout).toMatch(/skipped partition_\d+_0001: Migrating/);
    const real = await cli(['expire', '--max-delete', '2'], true);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/deleted 2 of 2 partition\(s\), 3\.00 GB/);
    const cron = await cli(['expire', '-q']);
    expect(cron).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(cron.stdout)).toMatchObject({ selected: 0, deleted: 0 });
    expect((await cli(['expire', '-o', 'ndjson'])).stdout.trim().split('\n')).toHaveLength(1);
    expect((await cli(['expire'], true)).stdout).toMatch(/nothing to expire/);
  });
});

function holder(who: string) {
  return {
    holder: who,
    host: who.split('@')[1]!,
    pid: 4242,
    command: 'expire',
    acquired_at: '2026-11-27T11:59:00Z',
  };
}
