import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

/**
 * `hash: rust-siphash13` places traces where the seed's own write path does, end to end: the
 * `locate`/`locate_16` vectors of test/golden/siphash13.json are `ShardManager::get_nodes_for_trace
 * (&trace, 3)` run by rustc (TimeRangePartitioner::new(1, 30), HashPartitioner::new(256, 100),
 * ConsistentHashRing::new(150) over node-1…node-N); see test/golden/README.md. The store holds no
 * partition metadata, so every answer is the ring's (PRODUCT.md §2.5).
 */

interface LocateCase {
  trace_id: string;
  timestamp: number;
  partition_id: string;
  nodes: string[];
}

const golden = JSON.parse(readFileSync(new URL('../golden/siphash13.json', import.meta.url), 'utf8')) as {
  locate: LocateCase[];
  locate_16: LocateCase[];
};

const SPAN_ID = '00f067aa0ba902b7';
const iso = (secs: number) => new Date(secs * 1000).toISOString().replace('.000Z', 'Z');

describe.each([
  { name: 'locate', nodeCount: 5, cases: golden.locate, size: 300 },
  { name: 'locate_16', nodeCount: 16, cases: golden.locate_16, size: 100 },
])('seed write path, $nodeCount nodes ($name)', ({ nodeCount, cases, size }) => {
  let store: ReturnType<typeof tempDir>;
  const cli = (args: string[], stdin?: string) => runCli(['--file', store.file, ...args], { stdin });

  beforeAll(async () => {
    store = tempDir();
    const init = await cli(['init', '--hash', 'rust-siphash13']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    for (let i = 1; i <= nodeCount; i++) {
      const r = await cli(['nodes', 'add', `node-${i}`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
  });
  afterAll(() => store.cleanup());

  it('has the vectors gen.rs is documented to write', () => {
    expect(cases).toHaveLength(size);
    for (const c of cases) {
      expect(c.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(c.nodes).toHaveLength(3);
    }
  });

  /** Feeds `lines` to `locate --stdin -o tsv` and checks each output row against its case. */
  const checkStdin = async (lines: string[], what: string) => {
    const r = await cli(['locate', '--stdin', '-o', 'tsv'], lines.join('\n') + '\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n');
    expect(rows.pop()).toBe('');
    expect(rows).toHaveLength(cases.length);
    const mismatches: string[] = [];
    rows.forEach((row, i) => {
      const c = cases[i]!;
      const cols = row.split('\t');
      const want = [c.trace_id, iso(c.timestamp), c.partition_id, c.nodes[0], c.nodes.join(',')];
      if (cols.length !== 5 || cols.some((v, k) => v !== want[k])) {
        mismatches.push(
          `${what} line ${i + 1} '${lines[i]}': got ${JSON.stringify(cols)}, Rust ${JSON.stringify(want)}`,
        );
      }
    });
    expect(mismatches).toEqual([]);
  };

  it('locate --stdin: every line is where the seed puts it (partition id, leader, replicas)', async () => {
    await checkStdin(
      cases.map((c) => `${c.trace_id} ${c.timestamp}`),
      'lowercase',
    );
  });

  it('locate --stdin: uppercase ids give the same placements', async () => {
    await checkStdin(
      cases.map((c) => `${c.trace_id.toUpperCase()} ${c.timestamp}`),
      'uppercase',
    );
  });

  it('locate --stdin: traceparents give the same placements', async () => {
    await checkStdin(
      cases.map((c) => `00-${c.trace_id}-${SPAN_ID}-01 ${c.timestamp}`),
      'traceparent',
    );
  });

  it('locate <id> --at <ts> -o json agrees on a sample of 20', async () => {
    const step = Math.floor(cases.length / 20);
    // The first cases are the fixed instants and hour boundaries; the stride covers the rest.
    const sample = cases.filter((_, i) => i % step === 0).slice(0, 20);
    expect(sample).toHaveLength(20);
    for (const c of sample) {
      const r = await cli(['locate', c.trace_id, '--at', String(c.timestamp), '-o', 'json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout) as {
        partition_id: string;
        source: string;
        leader: string;
        replicas: { node_id: string }[];
      };
      expect({
        at: c.timestamp,
        partition_id: j.partition_id,
        source: j.source,
        leader: j.leader,
        replicas: j.replicas.map((x) => x.node_id),
      }).toEqual({
        at: c.timestamp,
        partition_id: c.partition_id,
        source: 'ring',
        leader: c.nodes[0],
        replicas: c.nodes,
      });
    }
  });
});
