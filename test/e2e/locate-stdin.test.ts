import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { HASH_NAMES, type HashName } from '../../src/core/hash/index.js';
import { PartitionLocator } from '../../src/core/locator.js';
import type { NodeInfo, PartitionMetadata } from '../../src/core/model.js';
import { formatPartitionId } from '../../src/core/partition-id.js';
import { resolvePlacement } from '../../src/core/placement.js';
import type { Op } from '../../src/store/contract.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { etcdTarget, fileTarget, type Target } from '../helpers/targets.js';

/**
 * `locate --stdin` at month scale gives exactly the lines single `locate` calls give: the fast
 * path (32 hex digits and unix seconds) and the general one (traceparents, RFC 3339, odd
 * spacing), ring placements and stored metadata (PRODUCT.md §2.5), bad lines as `{ line, input,
 * error }` and exit 6 — in both hash modes, in-process and on the built binary, on the file store
 * and on etcd.
 */

const NOW = Date.parse('2026-11-27T12:00:00Z');
const MONTH = 30 * 86_400;
const NODES = ['node-1', 'node-2', 'node-3', 'node-4'];
const iso = (secs: number) => new Date(secs * 1000).toISOString().replace('.000Z', 'Z');
const node = (id: string): NodeInfo => ({
  node_id: id,
  weight: 1,
  state: 'Up',
  location: { region: '', availability_zone: '', data_center: '' },
});

/** Stored metadata, the seed's JSON: every 5th bucket of the month, two partitions in three. */
function storedPartitions(): PartitionMetadata[] {
  const out: PartitionMetadata[] = [];
  const last = Math.floor(NOW / 3_600_000);
  for (let b = last - 720; b <= last; b += 5) {
    for (let h = 0; h < 256; h++) {
      if (h % 3 === 2) continue;
      const moved = [`node-${(h % 4) + 1}`, `node-${((h + 2) % 4) + 1}`, 'node-9'];
      out.push({
        partition_id: formatPartitionId('traces', b, h),
        nodes: moved,
        leader: moved[h % 3]!,
        state: h % 7 === 0 ? 'Migrating' : 'Active',
        size_bytes: 2_000_000_000,
        record_count: 1000,
        created_at: '2026-11-01T00:00:00.123456789Z',
        updated_at: '2026-11-01T00:00:00.123456789Z',
      });
    }
  }
  return out;
}

async function setUp(t: Target, hash: HashName, stored: PartitionMetadata[]): Promise<void> {
  const init = await runCli([...t.args, 'init', '--hash', hash]);
  expect(init.code).toBe(0);
  for (const n of NODES) expect((await runCli([...t.args, 'nodes', 'add', n])).code).toBe(0);
  const ops: Op[] = stored.map((m) => ({
    type: 'put',
    key: `${t.prefix}/partitions/${m.partition_id}`,
    value: JSON.stringify(m),
  }));
  for (let i = 0; i < ops.length; i += 128) await t.store.txn([], ops.slice(i, i + 128));
}

/** The answer for (id, secs): the locator's partition and ring, overridden by stored metadata. */
function answerer(hash: HashName, stored: PartitionMetadata[]) {
  const locator = new PartitionLocator({ ...DEFAULT_CONFIG, hash }, NODES.map(node));
  const byId = new Map(stored.map((m) => [m.partition_id, m]));
  return (id: string, secs: number) => {
    const k = locator.locateTrace(id, secs * 1000);
    const p = resolvePlacement(k.partition_id, k.ring_replicas, byId.get(k.partition_id));
    return {
      trace_id: id.toLowerCase(),
      time: iso(secs),
      partition_id: k.partition_id,
      leader: p.leader,
      replicas: p.replicas,
      source: p.source,
    };
  };
}

const hexId = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .filter((b) => b.some((x) => x !== 0))
  .map((b) => Buffer.from(b).toString('hex'));
const monthSecs = fc.integer({ min: NOW / 1000 - MONTH, max: NOW / 1000 - 1 });

// One input line and what it must give: a valid line in one of the forms a user sends, or a bad one.
type Case = { line: string; id?: string; secs?: number; bad?: RegExp };
const validLine = fc.tuple(hexId, monthSecs, fc.integer({ min: 0, max: 6 })).map(([id, secs, form]): Case => {
  const line = [
    `${id} ${secs}`,
    `  ${id.toUpperCase()}\t \t${secs}\r`,
    `${id}`,
    `00-${id}-00f067aa0ba902b7-01 ${secs}`,
    `${id} ${iso(secs)}`,
    `${id}\t${secs}  `,
    `${id}  ${secs}`,
  ][form]!;
  return { line, id, secs: form === 2 ? NOW / 1000 : secs };
});
const badLine = fc.oneof(
  hexId.map((id): Case => ({ line: `${id}0 1764237600`, bad: /trace id/ })),
  hexId.map((id): Case => ({ line: `${id} 1 2`, bad: /fields/ })),
  fc.constant<Case>({ line: `${'0'.repeat(32)} 1764237600`, bad: /trace id/ }),
  hexId.map((id): Case => ({ line: `${id} yesterday-ish`, bad: /time/ })),
);
const blankLine = fc.constantFrom<Case>({ line: '' }, { line: ' \t' }, { line: '\r' });

function check(stdout: string, code: number, cases: Case[], answer: ReturnType<typeof answerer>): void {
  const rows = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
  type Want = ReturnType<typeof answer> | { line: number; input: string; error: RegExp };
  const want = cases.flatMap((c, i): Want[] =>
    c.bad
      ? [{ line: i + 1, input: c.line.trim(), error: c.bad }]
      : c.id === undefined
        ? []
        : [answer(c.id, c.secs!)],
  );
  expect(rows).toHaveLength(want.length);
  for (const [i, w] of want.entries()) {
    if ('error' in w)
      expect(rows[i]).toEqual({ line: w.line, input: w.input, error: expect.stringMatching(w.error) });
    else expect(rows[i]).toEqual(w);
  }
  expect(code).toBe(cases.some((c) => c.bad) ? 6 : 0);
}

describe.each(HASH_NAMES)('locate --stdin over a month (%s)', (hash) => {
  const stored = storedPartitions();
  const answer = answerer(hash, stored);
  let t: Target;
  beforeAll(async () => {
    t = await fileTarget();
    await setUp(t, hash, stored);
  });
  afterAll(() => t.close());

  it('every line as the single-locate logic answers it, whatever its form, in-process', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ weight: 8, arbitrary: validLine }, badLine, blankLine), { maxLength: 60 }),
        async (cases) => {
          const input = cases.map((c) => c.line).join('\n');
          const r = await runCli([...t.args, 'locate', '--stdin', '-o', 'ndjson'], {
            stdin: input,
            now: NOW,
          });
          check(r.stdout, r.code, cases, answer);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('the built binary: 3,000 lines, the same as the library and as single locate calls', async () => {
    // Lines without a time are placed at the binary's own clock: those are the in-process test's.
    const cases = fc.sample(validLine, { numRuns: 3000, seed: hash.length }).filter((c) => c.line !== c.id);
    const r = await spawnCli([...t.args, 'locate', '--stdin', '-o', 'ndjson'], {
      stdin: cases.map((c) => c.line).join('\n') + '\n',
    });
    expect(r.stderr).toBe('');
    check(r.stdout, r.code, cases, answer);
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const sources = new Set(rows.map((x) => x.source));
    expect(sources).toEqual(new Set(['ring', 'metadata']));
    for (const row of rows.slice(0, 6)) {
      const one = await spawnCli([...t.args, 'locate', row.trace_id, '--at', row.time, '-o', 'json']);
      const single = JSON.parse(one.stdout);
      expect(row).toEqual({
        trace_id: single.trace_id,
        time: row.time,
        partition_id: single.partition_id,
        leader: single.leader,
        replicas: single.replicas.map((x: { node_id: string }) => x.node_id),
        source: single.source,
      });
    }
  });
});

describe('locate --stdin on etcd with stored metadata for some buckets', () => {
  const stored = storedPartitions();
  let t: Target;
  beforeAll(async () => {
    t = await etcdTarget();
    await setUp(t, 'xxh64', stored);
  });
  afterAll(() => t.close());

  it('the built binary gives the same tsv lines as single locate calls', async () => {
    const answer = answerer('xxh64', stored);
    const cases = fc.sample(fc.tuple(hexId, monthSecs), { numRuns: 2000, seed: 15 });
    const r = await spawnCli([...t.args, 'locate', '--stdin', '-o', 'tsv'], {
      stdin: cases.map(([id, secs]) => `${id} ${secs}`).join('\n'),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows).toEqual(
      cases.map(([id, secs]) => {
        const a = answer(id, secs);
        return [a.trace_id, a.time, a.partition_id, a.leader, a.replicas.join(',')].join('\t');
      }),
    );
    expect(rows.some((l) => l.endsWith(',node-9'))).toBe(true); // metadata was read
    for (const [id, secs] of cases.slice(0, 4)) {
      const one = JSON.parse(
        (await spawnCli([...t.args, 'locate', id, '--at', String(secs), '-o', 'json'])).stdout,
      );
      const row = rows[cases.findIndex((c) => c[0] === id)]!.split('\t');
      expect(row.slice(2)).toEqual([
        one.partition_id,
        one.leader,
        one.replicas.map((x: { node_id: string }) => x.node_id).join(','),
      ]);
    }
  });
});
