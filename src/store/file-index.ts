import { closeSync, readSync } from 'node:fs';
import { StoreError } from '../core/errors.js';
import type { KeyValue, RangeOptions } from './contract.js';
import { addLeases, checkRecord, HEADER, isObject, notReadable } from './file-format.js';
import { compareKeys } from './keys.js';
import {
  checkPinned,
  DEFAULT_PAGE_SIZE,
  toKeyValue,
  visibleAt,
  type KvRecord,
  type LeaseRecord,
} from './memory.js';

/**
 * A file store file read in place, for commands that only read. `serialize` writes the file's own
 * length into its header; when the length still matches, the file is as we wrote it (keys one per
 * line, in key order), so a key is found by binary search with positional reads, and a `locate`
 * touches a few pages of a 2 MB file instead of reading and indexing all of it (the demo's ~25 ms of
 * a 115 ms budget). Anything else (an older file, a hand edit) goes through `readLines`.
 *
 * The descriptor stays open: writers rename a new file over the path, so this is a snapshot.
 */

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const KVS = '"kvs": {\n';
const LEASES = '\n},\n"leases": {\n';
const END = '\n}}\n';
const BLOCK = 64 * 1024;

/** A store dropped without close() still gives its descriptor back. */
const unclosed = new FinalizationRegistry<number>((fd) => closeSync(fd));

interface Line {
  key: string;
  /** The record's `{` … `}`. */
  recStart: number;
  recEnd: number;
  /** The next line's start (or the end of the keys). */
  next: number;
}

export class IndexedFile {
  private block = Buffer.alloc(0);
  private blockAt = 0;
  private blockLen = 0;
  private closed = false;

  private constructor(
    private readonly path: string,
    private readonly fd: number,
    readonly revision: number,
    readonly leases: ReadonlyMap<string, LeaseRecord>,
    /** The first key line, and the end of the last one. */
    private readonly start: number,
    private readonly end: number,
  ) {}

  /** The file behind `fd` read in place, or undefined if its header does not vouch for it. */
  static open(path: string, fd: number, size: number): IndexedFile | undefined {
    const head = Buffer.alloc(Math.min(size, 256));
    readSync(fd, head, 0, head.length, 0);
    const eol = head.indexOf(NEWLINE);
    const m = eol > 0 ? HEADER.exec(head.toString('latin1', 0, eol)) : null;
    if (
      !m ||
      m[2] === undefined ||
      Number(m[2]) !== size ||
      head.toString('latin1', eol + 1, eol + 1 + KVS.length) !== KVS
    )
      return undefined;
    const tail = Buffer.alloc(Math.min(size, BLOCK));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const leasesAt = tail.lastIndexOf(LEASES);
    if (leasesAt < 0 || tail.toString('latin1', tail.length - END.length) !== END) return undefined;
    let leases: unknown;
    try {
      const text = tail.toString('utf8', leasesAt + LEASES.length, tail.length - END.length);
      leases = JSON.parse(`{${text}}`);
    } catch {
      return undefined;
    }
    const leaseRecords = new Map<string, LeaseRecord>();
    if (!isObject(leases) || addLeases(leaseRecords, leases) !== undefined) return undefined;
    const start = eol + 1 + KVS.length;
    const end = Math.max(start, size - tail.length + leasesAt); // an empty kvs has no line at all
    const file = new IndexedFile(path, fd, Number(m[1]), leaseRecords, start, end);
    unclosed.register(file, fd, file);
    return file;
  }

  /** Gives the descriptor back (once: the registry must never close a number reused since). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    unclosed.unregister(this);
    closeSync(this.fd);
  }

  get(key: string, now: number): KeyValue | undefined {
    const at = this.lowerBound(key);
    if (at >= this.end) return undefined;
    const line = this.line(at);
    if (line.key !== key) return undefined;
    const rec = this.record(line);
    return visibleAt(this.leases, rec, now) ? toKeyValue(key, rec) : undefined;
  }

  /** As KvState's: every key under `prefix` at this revision, in pages. */
  *pages(prefix: string, options: RangeOptions, now: number): Generator<KeyValue[]> {
    checkPinned(options.revision, this.revision);
    const lines: Line[] = [];
    for (let at = this.lowerBound(prefix); at < this.end;) {
      const line = this.line(at);
      if (!line.key.startsWith(prefix)) break;
      lines.push(line);
      at = line.next;
    }
    const size = Math.max(1, Math.floor(options.pageSize ?? DEFAULT_PAGE_SIZE));
    let page: KeyValue[] = [];
    for (const line of lines) {
      const rec = this.record(line);
      if (!visibleAt(this.leases, rec, now)) continue;
      page.push(toKeyValue(line.key, rec));
      if (page.length === size) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  /** The first line whose key is ≥ `target` (or `end`). */
  private lowerBound(target: string): number {
    let lo = this.start; // a line start; every line before it is < target
    let hi = this.end; // `end`, or a line start whose key is ≥ target
    while (hi - lo > 4096) {
      const s = this.lineAfter(lo + ((hi - lo) >> 1), hi);
      if (s >= hi) break;
      if (compareKeys(this.line(s).key, target) < 0) lo = s;
      else hi = s;
    }
    for (let at = lo; at < hi;) {
      const line = this.line(at);
      if (compareKeys(line.key, target) >= 0) return at;
      at = line.next;
    }
    return hi;
  }

  /** The start of the first line beginning after `pos`, or `limit`. */
  private lineAfter(pos: number, limit: number): number {
    for (let at = pos; at < limit; at += BLOCK) {
      const { buf, off } = this.bytes(at, Math.min(BLOCK, limit - at));
      const nl = buf.subarray(0, this.blockLen).indexOf(NEWLINE, off);
      if (nl >= 0 && nl - off < limit - at) return at + (nl - off) + 1;
    }
    return limit;
  }

  /** `"key": {record}` (and a comma unless last) starting at `at`. */
  private line(at: number): Line {
    for (let want = 1024; ; want *= 4) {
      const len = Math.min(want, this.end - at);
      const { buf, off } = this.bytes(at, len);
      let nl = buf.subarray(0, this.blockLen).indexOf(NEWLINE, off);
      if (nl < 0 || nl - off >= len) {
        if (len < this.end - at) continue; // a long line: read more of it
        nl = off + len;
      }
      const lineEnd = at + (nl - off);
      if (buf[off] !== QUOTE) throw this.broken(at);
      let q = off + 1;
      let escaped = false;
      while (q < nl && buf[q] !== QUOTE) {
        if (buf[q] === BACKSLASH) {
          escaped = true;
          q++;
        }
        q++;
      }
      if (q >= nl || buf.toString('latin1', q, q + 4) !== '": {') throw this.broken(at);
      let key: string;
      try {
        key = escaped
          ? (JSON.parse(buf.toString('utf8', off, q + 1)) as string)
          : buf.toString('utf8', off + 1, q);
      } catch {
        throw this.broken(at);
      }
      const comma = buf[nl - 1] === 0x2c;
      return { key, recStart: at + (q - off) + 3, recEnd: lineEnd - (comma ? 1 : 0), next: lineEnd + 1 };
    }
  }

  private record(line: Line): KvRecord {
    const { buf, off } = this.bytes(line.recStart, line.recEnd - line.recStart);
    let v: unknown;
    try {
      v = JSON.parse(buf.toString('utf8', off, off + line.recEnd - line.recStart));
    } catch (e) {
      throw notReadable(this.path, `key '${line.key}' is not JSON (${(e as Error).message})`);
    }
    return checkRecord(this.path, line.key, v);
  }

  /** `len` bytes of the file from `pos`, from the block read last or a new one. */
  private bytes(pos: number, len: number): { buf: Buffer; off: number } {
    if (pos < this.blockAt || pos + len > this.blockAt + this.blockLen) {
      const size = Math.max(len, BLOCK);
      if (this.block.length < size) this.block = Buffer.allocUnsafe(size);
      this.blockLen = readSync(this.fd, this.block, 0, size, pos);
      this.blockAt = pos;
      if (this.blockLen < len)
        throw new StoreError(`file store ${this.path}: the file ended at byte ${pos + this.blockLen}`);
    }
    return { buf: this.block, off: pos - this.blockAt };
  }

  private broken(at: number): StoreError {
    return notReadable(this.path, `no "key": {record} line at byte ${at}`);
  }
}
