import type { TraceRouter } from '../core/trace-router.js';
import type { LineWriter } from './locate-stdin-output.js';

/**
 * The line loop of `locate --stdin`, the measured hot path with `TraceRouter` and `LineWriter`:
 * the common line (32 hex digits, then nothing or blanks and unix seconds) is checked, hashed,
 * parsed, routed and written in one pass over its bytes, without making a string. The loop is
 * synchronous: it stops at what needs the caller (a line for the general parsers, a bucket whose
 * metadata is to be read, a full output buffer) and is called again. An `await` inside the loop
 * had V8 throw away its optimised code on every path first taken late (deopts at each new kind of
 * stop), and a generator frame per chunk.
 */

export const STOP_END = 0; // every complete line answered
export const STOP_SLOW = 1; // line `[from, to)` is for the general path; it is counted
export const STOP_LOAD = 2; // read `bucket`'s metadata, then run again: the line is not consumed
export const STOP_FULL = 3; // hand the output to stdout, then run again

const NL = 10;
const CR = 13;
const SP = 32;
const TAB = 9;

const isBlank = (c: number | undefined) => c === SP || c === TAB;

export class LineScanner {
  /** Lines read so far (blank ones included), for error messages. */
  lineNo = 0;
  /** Where the next line starts. */
  pos = 0;
  from = 0;
  to = 0;
  bucket = 0;

  constructor(
    private readonly router: TraceRouter,
    private readonly out: LineWriter,
    private readonly nowSecs: number,
  ) {}

  /** Answers lines from `pos` on, up to the newline at `end` (the chunk's last one). */
  run(buf: Uint8Array, words: DataView, end: number): number {
    const { router, out } = this;
    let pos = this.pos;
    // One exit, taken by the first line already (a bucket to load): an exit first taken after
    // V8 optimised the loop cost a deopt and a recompile each.
    let stop = STOP_END;
    while (pos <= end) {
      let s = pos;
      while (isBlank(buf[s])) s++;
      // The hex scan stops at the newline at the latest, so it never reads past `end`.
      const hash = router.hashPartitionOfHex(buf, s);
      if (hash >= 0) {
        let t = s + 32;
        let c = buf[t];
        const blank = isBlank(c);
        while (isBlank(c)) c = buf[++t];
        let secs = -1;
        if (c === NL || (c === CR && buf[t + 1] === NL)) secs = this.nowSecs;
        else if (blank) {
          const from = t;
          let v = 0;
          while (c !== undefined && c >= 48 && c <= 57) {
            v = v * 10 + c - 48;
            c = buf[++t];
          }
          if (t - from <= 11 && (c === NL || (c === CR && buf[t + 1] === NL))) secs = v;
        }
        if (secs >= 0) {
          const bucket = router.bucketOf(secs * 1000);
          const p = router.placementIfReady(bucket, hash);
          if (p < 0) {
            this.bucket = bucket;
            stop = STOP_LOAD;
            break;
          }
          this.lineNo++;
          out.fastResult(words, s, secs, bucket, hash, p);
          pos = c === NL ? t + 1 : t + 2;
          if (out.full) {
            stop = STOP_FULL;
            break;
          }
          continue;
        }
      }
      let eol = s;
      while (buf[eol] !== NL) eol++;
      pos = eol + 1;
      this.lineNo++;
      if (eol > s && buf[eol - 1] === CR) eol--;
      if (s === eol) continue;
      this.from = s;
      this.to = eol;
      stop = STOP_SLOW;
      break;
    }
    this.pos = pos;
    return stop;
  }
}
