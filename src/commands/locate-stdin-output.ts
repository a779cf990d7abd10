import type { Format } from '../render/formats.js';
import type { Route } from '../core/trace-router.js';

/**
 * The output side of `locate --stdin`: results are written as bytes into a buffer that is handed
 * to stdout once per input chunk, so a line costs a few copies and no strings. Each format is a
 * layout: bytes before the trace id, between id and time, after the time (the route's own tail,
 * built once per route), and between records.
 */

export interface Layout {
  open: string;
  head: Uint8Array;
  mid: Uint8Array;
  /** Separates records (after the first) — `,\n` in a JSON array. */
  between: Uint8Array;
  first: Uint8Array;
  tail(r: Route): string;
  error(line: number, input: string, message: string): string;
  close(wroteAny: boolean): string;
}

const b = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const NONE = new Uint8Array(0);

export function layoutFor(format: Format): Layout {
  const jsonError = (nl: string) => (line: number, input: string, message: string) =>
    `${JSON.stringify({ line, input, error: message })}${nl}`;
  const jsonTail = (nl: string) => (r: Route) =>
    `","partition_id":${JSON.stringify(r.partition_id)},"leader":${JSON.stringify(r.leader)},"replicas":${JSON.stringify(r.replicas)},"source":"${r.source}"}${nl}`;
  const textError = (line: number, input: string, message: string) =>
    `${input.replace(/[\t\r\n]/g, ' ')}\tERROR\tline ${line}: ${message}\n`;
  switch (format) {
    case 'tsv':
      return {
        open: '',
        head: NONE,
        mid: b('\t'),
        between: NONE,
        first: NONE,
        tail: (r) => `\t${r.partition_id}\t${r.leader}\t${r.replicas.join(',')}\n`,
        error: textError,
        close: () => '',
      };
    case 'table':
      return {
        open: '',
        head: NONE,
        mid: b('  '),
        between: NONE,
        first: NONE,
        tail: (r) => `  ${r.partition_id.padEnd(22)}  ${r.leader.padEnd(10)}  ${r.replicas.join(',')}\n`,
        error: textError,
        close: () => '',
      };
    case 'ndjson':
      return {
        open: '',
        head: b('{"trace_id":"'),
        mid: b('","time":"'),
        between: NONE,
        first: NONE,
        tail: jsonTail('\n'),
        error: jsonError('\n'),
        close: () => '',
      };
    case 'json':
      return {
        open: '[',
        head: b('{"trace_id":"'),
        mid: b('","time":"'),
        between: b(',\n'),
        first: b('\n'),
        tail: jsonTail(''),
        error: jsonError(''),
        close: (any) => (any ? '\n]\n' : ']\n'),
      };
  }
}

const CHUNK = 256 * 1024;
const HOUR_SLOTS = 1024;

/** A plain Uint8Array over a Buffer's memory (no copy). */
const bytesOf = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);
const viewOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length);
// The longest fast-path line: head + 32 + mid + 20 + between + a route tail (bounded by node ids).
const ROOM = 4096;

/**
 * Indexed stores into a Buffer (a Uint8Array subclass) measured ~1000× slower than into a plain
 * Uint8Array on Node 20 here, so bytes go through `buf` and strings through a Buffer view of the
 * same memory.
 */
export class LineWriter {
  private text = Buffer.allocUnsafe(CHUNK);
  private buf = bytesOf(this.text);
  // The same memory as 32-bit words: the id and the route's tail are copied 4 bytes at a time,
  // which measured ~45% off this method (bench/stdin.js).
  private words = viewOf(this.buf);
  private pos = 0;
  private wrote = false;
  // By Route.index: a WeakMap lookup cost more than the rest of the line.
  private readonly tails: (DataView | undefined)[] = [];
  // "YYYY-MM-DDTHH:" per hour, direct-mapped by hour mod 1024 (42 days): input is rarely
  // time-ordered, and a Map lookup per line cost more than the slot check.
  private readonly hourOf = new Float64Array(HOUR_SLOTS).fill(-1);
  private readonly hourText: Uint8Array[] = [];

  constructor(private readonly layout: Layout) {}

  /** A fast-path result: the id's 32 hex digits at `src` at byte `s` (lowercased), a time in unix seconds. */
  fastResult(src: DataView, s: number, secs: number, route: Route): void {
    const tail = this.tailOf(route);
    this.room(ROOM + tail.byteLength);
    this.separator();
    const buf = this.buf;
    let p = this.copy(this.layout.head, this.pos);
    // The 32 digits were checked to be hex: `| 0x20` lowercases A-F and leaves digits and a-f alone.
    for (let i = 0; i < 32; i += 4) this.words.setUint32(p + i, src.getUint32(s + i) | 0x20202020);
    p += 32;
    p = this.copy(this.layout.mid, p);
    const h = Math.floor(secs / 3600);
    const slot = h % HOUR_SLOTS;
    if (this.hourOf[slot] !== h) {
      this.hourText[slot] = new Uint8Array(
        Buffer.from(new Date(h * 3_600_000).toISOString().slice(0, 14), 'latin1'),
      );
      this.hourOf[slot] = h;
    }
    p = this.copy(this.hourText[slot]!, p);
    const r = secs - h * 3600;
    const m = Math.floor(r / 60);
    const sec = r - m * 60;
    buf[p++] = 48 + Math.floor(m / 10);
    buf[p++] = 48 + (m % 10);
    buf[p++] = 58; // ':'
    buf[p++] = 48 + Math.floor(sec / 10);
    buf[p++] = 48 + (sec % 10);
    buf[p++] = 90; // 'Z'
    this.pos = this.copyWords(tail, p);
  }

  /** A result from the general path, with the id and time already as text. */
  result(traceId: string, time: string, route: Route): void {
    const tail = this.tailOf(route);
    this.room(ROOM + tail.byteLength + time.length);
    this.separator();
    let p = this.copy(this.layout.head, this.pos);
    p += this.text.write(traceId, p, 'latin1');
    p = this.copy(this.layout.mid, p);
    p += this.text.write(time, p, 'latin1');
    this.pos = this.copyWords(tail, p);
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

  private tailOf(route: Route): DataView {
    return (this.tails[route.index] ??= viewOf(Buffer.from(this.layout.tail(route), 'utf8')));
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(CHUNK, (this.pos + n) * 2));
    this.text.copy(bigger, 0, 0, this.pos);
    this.text = bigger;
    this.buf = bytesOf(bigger);
    this.words = viewOf(this.buf);
  }

  private copyWords(from: DataView, p: number): number {
    const n = from.byteLength;
    const words = this.words;
    let i = 0;
    for (; i + 4 <= n; i += 4) words.setUint32(p + i, from.getUint32(i));
    for (; i < n; i++) words.setUint8(p + i, from.getUint8(i));
    return p + n;
  }

  private copy(bytes: Uint8Array, p: number): number {
    // A loop: TypedArray#set measured ~280 ns a call here for these short copies.
    const n = bytes.length;
    const buf = this.buf;
    for (let i = 0; i < n; i++) buf[p + i] = bytes[i]!;
    return p + n;
  }
}
