import { compareKeys } from '../key-order.js';
import type { KvRecord, LeaseRecord } from '../kv-engine.js';
import {
  checkLease,
  checkRecord,
  END,
  HEADER,
  isObject,
  KVS_OPEN,
  LEASES_OPEN,
  notReadable,
} from './format.js';

/**
 * A snapshot read in place: the file's bytes as read, never changed, searched by binary search over
 * its key lines, so a command parses only the records it reads (a `locate` touches a few of the
 * demo's 6,000 lines instead of parsing 2.3 MB).
 */

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const LEASE_FIELD = Buffer.from('"lease":"');

/** One key line: `"key": {record}` and a comma unless it is the last. */
export interface Line {
  key: string;
  start: number;
  recStart: number;
  recEnd: number;
  /** The next line's start (or past the end of the keys). */
  next: number;
}

export class Snapshot {
  private constructor(
    readonly path: string,
    readonly bytes: Buffer,
    readonly revision: number,
    readonly leases: ReadonlyMap<string, LeaseRecord>,
    /** The first key line, the end of the last one, and the end of the snapshot (the log follows). */
    readonly start: number,
    readonly end: number,
    readonly length: number,
  ) {}

  /**
   * The snapshot at the start of `bytes` if it is laid out as `encodeSnapshot` writes it, else
   * undefined. One whose `"bytes"` is not its length (edited by hand, or older) is trusted only as
   * the whole file, with no log, after a pass over its lines checks their layout and key order.
   */
  static read(path: string, bytes: Buffer): Snapshot | undefined {
    const eol = bytes.indexOf(NEWLINE);
    const m = eol > 0 && eol < 200 ? HEADER.exec(bytes.toString('latin1', 0, eol)) : null;
    if (!m || bytes.toString('latin1', eol + 1, eol + 1 + KVS_OPEN.length) !== KVS_OPEN) return undefined;
    const stated = Number(m[2]);
    const trusted = stated <= bytes.length && bytes.toString('latin1', stated - END.length, stated) === END;
    const snapshot = Snapshot.at(
      path,
      bytes,
      Number(m[1]),
      eol + 1 + KVS_OPEN.length,
      trusted ? stated : bytes.length,
    );
    return snapshot && (trusted || snapshot.inOrder()) ? snapshot : undefined;
  }

  private static at(path: string, bytes: Buffer, revision: number, start: number, length: number) {
    if (bytes.toString('latin1', length - END.length, length) !== END) return undefined;
    const leasesAt = bytes.lastIndexOf(LEASES_OPEN, length - END.length);
    if (leasesAt < 0) return undefined;
    let leases: unknown;
    try {
      leases = JSON.parse(`{${bytes.toString('utf8', leasesAt + LEASES_OPEN.length, length - END.length)}}`);
    } catch {
      return undefined;
    }
    if (!isObject(leases)) return undefined;
    const records = new Map(Object.keys(leases).map((id) => [id, checkLease(path, id, leases[id])]));
    const end = Math.max(start, leasesAt); // an empty kvs has no line at all
    return new Snapshot(path, bytes, revision, records, start, end, length);
  }

  /** Every line is `"key": {…}` with a comma but the last, keys strictly in etcd's order. */
  private inOrder(): boolean {
    try {
      let prev: string | undefined;
      for (let at = this.start; at < this.end;) {
        const line = this.line(at);
        const last = line.next > this.end;
        if (last !== (this.bytes[line.recEnd] !== COMMA) || this.bytes[line.recEnd - 1] !== 0x7d)
          return false;
        if (prev !== undefined && compareKeys(prev, line.key) >= 0) return false;
        prev = line.key;
        at = line.next;
      }
      return true;
    } catch {
      return false;
    }
  }

  /** The first line whose key is ≥ `target` (or `end`). */
  lowerBound(target: string): number {
    let lo = this.start; // a line start; every line before it is < target
    let hi = this.end; // `end`, or a line start whose key is ≥ target
    while (hi - lo > 2048) {
      const nl = this.bytes.indexOf(NEWLINE, lo + ((hi - lo) >> 1));
      const s = nl < 0 ? hi : nl + 1;
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

  line(at: number): Line {
    const { bytes } = this;
    let nl = bytes.indexOf(NEWLINE, at);
    if (nl < 0 || nl > this.end) nl = this.end;
    if (bytes[at] !== QUOTE) throw this.broken(at);
    let q = at + 1;
    let escaped = false;
    while (q < nl && bytes[q] !== QUOTE) {
      if (bytes[q] === BACKSLASH) {
        escaped = true;
        q++;
      }
      q++;
    }
    if (q >= nl || bytes.toString('latin1', q, q + 4) !== '": {') throw this.broken(at);
    let key: string;
    try {
      key = escaped
        ? (JSON.parse(bytes.toString('utf8', at, q + 1)) as string)
        : bytes.toString('utf8', at + 1, q);
    } catch {
      throw this.broken(at);
    }
    const comma = bytes[nl - 1] === COMMA;
    return { key, start: at, recStart: q + 3, recEnd: nl - (comma ? 1 : 0), next: nl + 1 };
  }

  /** A corrupt record fails the read of it, naming its key; other keys still read. */
  record(line: Line): KvRecord {
    let v: unknown;
    try {
      v = JSON.parse(this.bytes.toString('utf8', line.recStart, line.recEnd));
    } catch (e) {
      throw notReadable(this.path, `key '${line.key}' is not JSON (${(e as Error).message})`);
    }
    return checkRecord(this.path, line.key, v);
  }

  /** The line of `key`, if it has one. */
  find(key: string): Line | undefined {
    const at = this.lowerBound(key);
    if (at >= this.end) return undefined;
    const line = this.line(at);
    return line.key === key ? line : undefined;
  }

  /** Every line whose key starts with `prefix`, in key order. */
  *lines(prefix: string): Generator<Line> {
    for (let at = this.lowerBound(prefix); at < this.end;) {
      const line = this.line(at);
      if (!line.key.startsWith(prefix)) return;
      yield line;
      at = line.next;
    }
  }

  /**
   * Keys put with lease `id`: its field is found by a byte search (keys and values are JSON-escaped
   * inside a line, so an unescaped `"lease":"` is only ever the field), then checked by parsing.
   */
  keysWithLease(id: string): string[] {
    const keys: string[] = [];
    const needle = Buffer.concat([LEASE_FIELD, Buffer.from(`${JSON.stringify(id).slice(1)}`)]);
    for (let hit = this.bytes.indexOf(needle, this.start); hit >= 0 && hit < this.end;) {
      const at = this.bytes.lastIndexOf(NEWLINE, hit) + 1;
      const line = this.line(Math.max(at, this.start));
      if (this.record(line).lease === id) keys.push(line.key);
      hit = this.bytes.indexOf(needle, line.next);
    }
    return keys;
  }

  private broken(at: number) {
    return notReadable(this.path, `no "key": {record} line at byte ${at}`);
  }
}
