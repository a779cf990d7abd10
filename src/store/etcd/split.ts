/**
 * Splitting the rest of a large listing into sub-ranges of a few requests each, so that a
 * request's index walk (see range.ts) covers its sub-range instead of everything that remains.
 *
 * Only counts are asked for (count_only requests walk the index but read no values), at the
 * listing's revision. What remains after the first reply's last key `a` is a run of disjoint
 * ranges, one per byte of `a` past the prefix: the keys that share `a`'s first k bytes and have a
 * larger byte at k. A range holding too many keys is cut at its byte and its parts counted again,
 * until each holds at most `target` keys or the probe budget is spent; adjacent small ranges are
 * then merged. Cuts fall on the bytes the first reply's keys use (digits, say), each its own part
 * and the gaps between them one part each, so one round of counts usually finds a byte's spread;
 * bands of 16 values are the fallback. Each probe round walks at most what remains, and counts
 * only choose the cuts: the chunks tile the whole rest whatever they say.
 */
import { pool } from '../../core/pool.js';
import { after, prefixEnd, withByte } from './bytes.js';

/** Keys in [from, end) at the listing's revision. */
export type Count = (from: Buffer, end: Buffer) => Promise<number>;

export interface Chunk {
  from: Buffer;
  end: Buffer;
}

export interface SplitInput {
  /** The first reply's first and last keys; the rest starts right after the last. */
  first: Buffer;
  last: Buffer;
  prefixLength: number;
  end: Buffer;
  /** Keys per chunk at most, where the probe budget allows. */
  target: number;
  /** Byte values the keys are seen to use past the prefix (from the first reply), ascending. */
  alphabet: number[];
}

/** Keys that share `q` and whose next byte is in [b0, b1); `from`/`end` bound them exactly. */
interface Node {
  q: Buffer;
  b0: number;
  b1: number;
  from: Buffer;
  end: Buffer;
  count: number;
}

// Bounds on the planning itself: a few rounds of at most a few hundred cheap requests.
const MAX_ROUNDS = 6;
const MAX_PROBES = 400;
const PROBES_IN_FLIGHT = 32;

export async function planChunks(count: Count, s: SplitInput): Promise<Chunk[]> {
  let nodes = levels(s);
  // The keys after the first reply's that share its keys' common prefix but one byte are usually
  // most of the rest (partition_49828… after partition_498265…498284): that node is cut at once,
  // sparing a round of probes that would only find it too big.
  const shared = commonPrefix(s.first, s.last);
  nodes = nodes.flatMap((n) => (n.q.length === shared - 1 ? cutNode(n, s.alphabet) : [n]));
  await probe(count, nodes);
  let probes = nodes.length;
  for (let round = 1; round < MAX_ROUNDS; round++) {
    const big = nodes.filter((n) => n.count > s.target).sort((x, y) => y.count - x.count);
    const cut = new Map<Node, Node[]>();
    for (const n of big) {
      const children = cutNode(n, s.alphabet);
      if (probes + children.length > MAX_PROBES) break;
      probes += children.length;
      cut.set(n, children);
    }
    if (cut.size === 0) break;
    await probe(count, [...cut.values()].flat());
    nodes = nodes.flatMap((n) => cut.get(n)?.filter((c) => c.count > 0) ?? [n]);
  }
  return merge(nodes, s);
}

function commonPrefix(a: Buffer, b: Buffer): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** The rest after `last`, as one node per byte of `last` past the prefix, in key order. */
function levels(s: SplitInput): Node[] {
  const a = s.last;
  const nodes: Node[] = [{ q: a, b0: 0, b1: 256, from: after(a), end: prefixEnd(a), count: -1 }];
  for (let k = a.length - 1; k >= s.prefixLength; k--) {
    const b = a[k] as number;
    if (b === 0xff) continue; // nothing sorts above it at this position
    const q = a.subarray(0, k);
    nodes.push({ q, b0: b + 1, b1: 256, from: withByte(q, b + 1), end: prefixEnd(q), count: -1 });
  }
  return nodes;
}

/** Cuts a node at its byte (one byte deeper if it is down to one value) into counted parts. */
function cutNode(n: Node, alphabet: number[]): Node[] {
  let { q, b0, b1 } = n;
  if (b1 - b0 === 1) {
    q = withByte(q, b0);
    [b0, b1] = [0, 256];
  }
  let cuts = [b0];
  for (const x of alphabet) {
    if (x > b0 && x < b1) cuts.push(x);
    if (x + 1 > b0 && x + 1 < b1 && x + 1 !== cuts.at(-1)) cuts.push(x + 1);
  }
  if (cuts.length === 1) {
    // Bytes the first reply never used: bands of 16, then single values.
    const step = b1 - b0 > 16 ? 16 : 1;
    for (let x = (Math.floor(b0 / step) + 1) * step; x < b1; x += step) cuts.push(x);
  }
  cuts = [...new Set(cuts)].sort((x, y) => x - y);
  cuts.push(b1);
  return cuts.slice(0, -1).map((lo, i) => {
    const hi = cuts[i + 1] as number;
    const last = i === cuts.length - 2;
    return {
      q,
      b0: lo,
      b1: hi,
      // The first and last keep the node's own bounds: they include a key equal to q itself.
      from: i === 0 ? n.from : withByte(q, lo),
      end: last ? n.end : withByte(q, hi),
      count: -1,
    };
  });
}

async function probe(count: Count, nodes: Node[]): Promise<void> {
  await pool(nodes, PROBES_IN_FLIGHT, async (n) => {
    n.count = await count(n.from, n.end);
  });
}

/** Adjacent nodes merged up to `target` keys; the chunks tile [after(last), end) without gaps. */
function merge(nodes: Node[], s: SplitInput): Chunk[] {
  const chunks: Chunk[] = [];
  let sum = 0;
  for (const n of nodes) {
    if (n.count <= 0) continue;
    const open = chunks.at(-1);
    if (open && sum + n.count <= s.target) {
      open.end = n.end;
      sum += n.count;
    } else {
      chunks.push({ from: open ? open.end : after(s.last), end: n.end });
      sum = n.count;
    }
  }
  const lastChunk = chunks.at(-1);
  if (lastChunk) lastChunk.end = s.end;
  else chunks.push({ from: after(s.last), end: s.end });
  return chunks;
}
