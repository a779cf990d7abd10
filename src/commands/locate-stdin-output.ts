import { digits, type RoutePlacement } from '../core/trace-router.js';
import type { Format } from '../render/formats.js';

/**
 * The output side of `locate --stdin`: results are written as bytes into a buffer that is handed
 * to stdout once per input chunk, so a line costs a few copies and no strings. Each format is a
 * layout: bytes before the trace id, between id and time, between time and partition id, and
 * the placement's own text after the id (built once per placement: a cluster has few), and
 * between records.
 */

export interface Layout {
  open: string;
  head: Uint8Array;
  mid: Uint8Array;
  /** Between the time and the partition id. */
  beforeId: Uint8Array;
  /** The partition id padded with spaces to this many characters (table), or 0. */
  idWidth: number;
  /** Separates records (after the first) — `,\n` in a JSON array. */
  between: Uint8Array;
  first: Uint8Array;
  /** What follows the partition id, to the end of the record. */
  placement(p: RoutePlacement): string;
  error(line: number, input: string, message: string): string;
  close(wroteAny: boolean): string;
}

/** Where the writer finds placements by number (the TraceRouter). */
export interface Placements {
  placement(n: number): RoutePlacement;
  readonly generation: number;
}

const b = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const NONE = new Uint8Array(0);

export function layoutFor(format: Format): Layout {
  const jsonError = (nl: string) => (line: number, input: string, message: string) =>
    `${JSON.stringify({ line, input, error: message })}${nl}`;
  const jsonPlacement = (nl: string) => (p: RoutePlacement) =>
    `","leader":${JSON.stringify(p.leader)},"replicas":${JSON.stringify(p.replicas)},"source":"${p.source}"}${nl}`;
  const textError = (line: number, input: string, message: string) =>
    `${input.replace(/[\t\r\n]/g, ' ')}\tERROR\tline ${line}: ${message}\n`;
  switch (format) {
    case 'tsv':
      return {
        open: '',
        head: NONE,
        mid: b('\t'),
        beforeId: b('\t'),
        idWidth: 0,
        between: NONE,
        first: NONE,
        placement: (p) => `\t${p.leader}\t${p.replicas.join(',')}\n`,
        error: textError,
        close: () => '',
      };
    case 'table':
      return {
        open: '',
        head: NONE,
        mid: b('  '),
        beforeId: b('  '),
        idWidth: 22,
        between: NONE,
        first: NONE,
        placement: (p) => `  ${p.leader.padEnd(10)}  ${p.replicas.join(',')}\n`,
        error: textError,
        close: () => '',
      };
    case 'ndjson':
      return {
        open: '',
        head: b('{"trace_id":"'),
        mid: b('","time":"'),
        beforeId: b('","partition_id":"'),
        idWidth: 0,
        between: NONE,
        first: NONE,
        placement: jsonPlacement('\n'),
        error: jsonError('\n'),
        close: () => '',
      };
    case 'json':
      return {
        open: '[',
        head: b('{"trace_id":"'),
        mid: b('","time":"'),
        beforeId: b('","partition_id":"'),
        idWidth: 0,
        between: b(',\n'),
        first: b('\n'),
        placement: jsonPlacement(''),
        error: jsonError(''),
        close: (any) => (any ? '\n]\n' : ']\n'),
      };
  }
}

const CHUNK = 256 * 1024;
// The longest line but its placement text: head + 32 + mid + 20 + between + a partition id,
// and the up to 3 bytes a word copy writes past its end.
const ROOM = 4096;
const SLOTS = 1024;
const STRIDE = 64;

/** A plain Uint8Array over a Buffer's memory (no copy). */
const bytesOf = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);
const viewOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length);

/**
 * Short texts by number (an hour, a bucket), direct-mapped by number mod 1024 into fixed slots
 * of one arena: input is rarely time-ordered, a Map lookup per line cost more than the slot
 * check, and one arena can be copied from in words. 1024 hours are 42 days.
 */
class SlotTexts {
  readonly bytes = new Uint8Array(SLOTS * STRIDE);
  readonly view = viewOf(this.bytes);
  readonly len = new Int32Array(SLOTS);
  private readonly key = new Float64Array(SLOTS).fill(Number.NaN);

  constructor(private readonly make: (k: number) => string) {}

  /** The slot holding k's text (at `slot · STRIDE`, `len[slot]` bytes). */
  slot(k: number): number {
    const slot = k & (SLOTS - 1);
    if (this.key[slot] !== k) {
      const text = Buffer.from(this.make(k), 'latin1');
      this.bytes.set(text.subarray(0, STRIDE - 4), slot * STRIDE);
      this.len[slot] = Math.min(text.length, STRIDE - 4);
      this.key[slot] = k;
    }
    return slot;
  }
}

/**
 * Indexed stores into a Buffer (a Uint8Array subclass) measured ~1000× slower than into a plain
 * Uint8Array on Node 20 here, so bytes go through `buf` and strings through a Buffer view of the
 * same memory. Fixed pieces are copied 4 bytes at a time through DataViews (which measured ~45%
 * off a line), writing up to 3 bytes past a piece that the next one overwrites.
 */
export class LineWriter {
  private text = Buffer.allocUnsafe(CHUNK);
  private buf = bytesOf(this.text);
  private words = viewOf(this.buf);
  private pos = 0;
  private wrote = false;
  // Each placement's text, by placement number, in one arena: [start, end) at tailAt[2n]. It
  // starts small so that it grows within the first placements, before `tailOf` is optimised: a
  // first growth in optimised code deoptimised it and the line loop it is inlined in (at 16 nodes
  // `bounded` has 2,536 placements, 89 kB, where 64 kB held `ring`'s 1,644).
  private arena = new Uint8Array(1 << 10);
  private arenaWords = viewOf(this.arena);
  private arenaEnd = 0;
  private readonly tailAt: number[] = [];
  private gen: number;
  // `mid` + "YYYY-MM-DDTHH:" by hour; `beforeId` + "partition_<bucket>_" by bucket.
  private readonly hours: SlotTexts;
  private readonly buckets: SlotTexts;
  // "MM:SSZ" by second of the hour, and "0000"… for the hash partitions below 10,000, 8 and 4
  // bytes apart.
  private readonly clock = new Uint8Array(3600 * 8);
  private readonly clockWords = viewOf(this.clock);
  private readonly hash4 = new Uint8Array(4 * 10_000);
  private readonly hash4Words = viewOf(this.hash4);

  constructor(
    private readonly layout: Layout,
    private readonly placements: Placements,
    hashPartitions: number,
  ) {
    this.gen = placements.generation;
    const mid = Buffer.from(layout.mid).toString('latin1');
    const beforeId = Buffer.from(layout.beforeId).toString('latin1');
    this.hours = new SlotTexts((h) => mid + new Date(h * 3_600_000).toISOString().slice(0, 14));
    this.buckets = new SlotTexts((bucket) => `${beforeId}partition_${bucket}_`);
    // Digit by digit: a string and a Buffer per entry cost ~40 ms of start-up.
    for (let r = 0; r < 3600; r++) {
      const at = digits(this.clock, digits(this.clock, 8 * r, Math.floor(r / 60), 2) + 1, r % 60, 2);
      this.clock[at - 3] = 58; // ':'
      this.clock[at] = 90; // 'Z'
    }
    for (let h = 0; h < Math.min(hashPartitions, 10_000); h++) digits(this.hash4, 4 * h, h, 4);
  }

  /**
   * A fast-path result: the id's 32 hex digits at `src` at byte `s` (lowercased), a time in unix
   * seconds ≥ 0, and the partition (bucket, hash partition) with its placement number.
   */
  fastResult(src: DataView, s: number, secs: number, bucket: number, hash: number, placement: number): void {
    const tail = this.tailOf(placement);
    this.room(ROOM + this.tailAt[tail + 1]! - this.tailAt[tail]!);
    this.separator();
    const words = this.words;
    let p = this.copy(this.layout.head, this.pos);
    // The 32 digits were checked to be hex: `| 0x20` lowercases A-F and leaves digits and a-f alone.
    for (let i = 0; i < 32; i += 4) words.setUint32(p + i, src.getUint32(s + i) | 0x20202020);
    p += 32;
    const h = Math.floor(secs / 3600);
    const slot = this.hours.slot(h);
    p = this.put(this.hours.view, slot * STRIDE, this.hours.len[slot]!, p);
    const r = 8 * (secs - h * 3600);
    words.setUint32(p, this.clockWords.getUint32(r));
    words.setUint32(p + 4, this.clockWords.getUint32(r + 4));
    this.pos = this.route(p + 6, bucket, hash, tail);
  }

  /** A result from the general path, with the id and time already as text. */
  result(traceId: string, time: string, bucket: number, hash: number, placement: number): void {
    const tail = this.tailOf(placement);
    this.room(ROOM + this.tailAt[tail + 1]! - this.tailAt[tail]! + time.length);
    this.separator();
    let p = this.copy(this.layout.head, this.pos);
    p += this.text.write(traceId, p, 'latin1');
    p = this.copy(this.layout.mid, p);
    p += this.text.write(time, p, 'latin1');
    this.pos = this.route(p, bucket, hash, tail);
  }

  error(line: number, input: string, message: string): void {
    const text = this.layout.error(line, input, message);
    this.room(Buffer.byteLength(text) + ROOM);
    this.separator();
    this.pos += this.text.write(text, this.pos, 'utf8');
  }

  /** Time to hand the buffer to stdout: another line might not fit. */
  get full(): boolean {
    return this.pos > CHUNK - 2 * ROOM; // so the next line never has to grow the buffer
  }

  /** The bytes written since the last reset, valid until the next write (for a synchronous sink). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }

  /** What has been written since the last take, as its own buffer (safe to hand to a stream). */
  take(): Buffer | undefined {
    if (this.pos === 0) return undefined;
    const out = this.text.subarray(0, this.pos);
    // A fresh buffer: the stream may still hold the last one.
    this.text = Buffer.allocUnsafe(CHUNK);
    this.buf = bytesOf(this.text);
    this.words = viewOf(this.buf);
    this.pos = 0;
    return out;
  }

  close(): string {
    return this.layout.close(this.wrote);
  }

  private separator(): void {
    this.pos = this.copy(this.wrote ? this.layout.between : this.layout.first, this.pos);
    this.wrote = true;
  }

  /** `beforeId`, `partition_<bucket>_<hash:04>` (padded to `idWidth`), the placement's text. */
  private route(p: number, bucket: number, hash: number, tail: number): number {
    const slot = this.buckets.slot(bucket);
    const idStart = p + this.layout.beforeId.length;
    p = this.put(this.buckets.view, slot * STRIDE, this.buckets.len[slot]!, p);
    if (hash < 10_000) {
      this.words.setUint32(p, this.hash4Words.getUint32(4 * hash));
      p += 4;
    } else p = digits(this.buf, p, hash, 4);
    while (p - idStart < this.layout.idWidth) this.buf[p++] = 32;
    const start = this.tailAt[tail]!;
    return this.put(this.arenaWords, start, this.tailAt[tail + 1]! - start, p);
  }

  /** Copies `n` bytes from `from` at `at` to `p` in words (and up to 3 bytes more); returns p + n. */
  private put(from: DataView, at: number, n: number, p: number): number {
    const words = this.words;
    for (let i = 0; i < n; i += 4) words.setUint32(p + i, from.getUint32(at + i));
    return p + n;
  }

  /** Where placement `n`'s text is in the arena (its index in `tailAt`), made on first use. */
  private tailOf(n: number): number {
    if (this.placements.generation !== this.gen) {
      // The router numbered its placements afresh.
      this.gen = this.placements.generation;
      this.tailAt.length = 0;
      this.arenaEnd = 0;
    }
    const at = 2 * n;
    while (this.tailAt.length <= at) this.tailAt.push(-1, -1);
    if (this.tailAt[at] !== -1) return at;
    const text = Buffer.from(this.layout.placement(this.placements.placement(n)), 'utf8');
    // 4 bytes to spare: `put` reads whole words.
    if (this.arenaEnd + text.length + 4 > this.arena.length) {
      const bigger = new Uint8Array(Math.max(2 * this.arena.length, this.arenaEnd + text.length + 4));
      bigger.set(this.arena.subarray(0, this.arenaEnd));
      this.arena = bigger;
      this.arenaWords = viewOf(bigger);
    }
    this.arena.set(text, this.arenaEnd);
    this.tailAt[at] = this.arenaEnd;
    this.tailAt[at + 1] = this.arenaEnd += text.length;
    return at;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(CHUNK, (this.pos + n) * 2));
    this.text.copy(bigger, 0, 0, this.pos);
    this.text = bigger;
    this.buf = bytesOf(bigger);
    this.words = viewOf(this.buf);
  }

  private copy(bytes: Uint8Array, p: number): number {
    // A loop: TypedArray#set measured ~280 ns a call here for these short copies.
    const n = bytes.length;
    const buf = this.buf;
    for (let i = 0; i < n; i++) buf[p + i] = bytes[i]!;
    return p + n;
  }
}
