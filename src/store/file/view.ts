import type { KeyValue, RangeOptions } from '../contract.js';
import { compareKeys, sortKeys } from '../key-order.js';
import {
  checkPinned,
  lowerBound,
  toKeyValue,
  toPages,
  visibleAt,
  type KvRecord,
  type LeaseRecord,
  type TxnSource,
} from '../kv-engine.js';
import { encodeSnapshot, parseDocument, parseLogEntry, recordLine, type LogEntry } from './format.js';
import { Snapshot, type Line } from './snapshot.js';

const NEWLINE = 0x0a;

/**
 * The one way the file store reads: a file's snapshot in place, with the writes logged after it
 * applied on top (`overlay`). A store keeps one view and applies its own writes to it, so it sees
 * them without reading the file again; another writer's change makes it read the file anew.
 */
export class FileView implements TxnSource {
  revision: number;
  readonly leases: Map<string, LeaseRecord>;
  /** Keys written since the snapshot: their record, or null if deleted. */
  readonly overlay = new Map<string, KvRecord | null>();
  private overlayKeys: readonly string[] | undefined;
  /** Where the next write is logged: the end of the last whole log line. */
  logEnd: number;

  private constructor(
    readonly snapshot: Snapshot,
    /** False for a file in another layout: the first write rewrites it as ours. */
    readonly appendable: boolean,
  ) {
    this.revision = snapshot.revision;
    this.leases = new Map(snapshot.leases);
    this.logEnd = snapshot.length;
  }

  /** A file's bytes (or none: a missing file is an empty store at revision 1, as a new etcd). */
  static read(path: string, bytes: Buffer | undefined): FileView {
    const data = bytes ?? Buffer.concat(encodeSnapshot(1, [], new Map()));
    const ours = Snapshot.read(path, data);
    const view = new FileView(ours ?? normalised(path, data), ours !== undefined);
    if (!ours) return view; // a whole JSON document has no log
    // The log: whole lines after the snapshot; a last one without its newline never finished.
    for (let at = ours.length, nl; (nl = data.indexOf(NEWLINE, at)) >= 0; at = nl + 1) {
      view.apply(parseLogEntry(path, at, data.toString('utf8', at, nl)));
      view.logEnd = nl + 1;
    }
    return view;
  }

  /** Bytes of log since the snapshot: what a compaction would fold in. */
  get logBytes(): number {
    return this.logEnd - this.snapshot.length;
  }

  apply(entry: LogEntry): void {
    for (const [key, rec] of entry.kvs) this.overlay.set(key, rec);
    for (const [id, lease] of entry.leases) {
      if (lease) this.leases.set(id, lease);
      else this.leases.delete(id);
    }
    if (entry.kvs.size > 0) this.overlayKeys = undefined;
    this.revision = entry.revision;
  }

  /** The stored record of `key`, whatever its lease. */
  private stored(key: string): KvRecord | undefined {
    if (this.overlay.has(key)) return this.overlay.get(key) ?? undefined;
    const line = this.snapshot.find(key);
    return line && this.snapshot.record(line);
  }

  /** For a writer, after lapsed leases were revoked: a key whose lease is gone is gone. */
  record(key: string): KvRecord | undefined {
    const rec = this.stored(key);
    return rec && (rec.lease === undefined || this.leases.has(rec.lease)) ? rec : undefined;
  }

  hasLease(id: string): boolean {
    return this.leases.has(id);
  }

  get(key: string, now: number): KeyValue | undefined {
    const rec = this.stored(key);
    return rec && visibleAt(this.leases, rec, now) ? toKeyValue(key, rec) : undefined;
  }

  /**
   * Pages of the keys under `prefix`. What the overlay and leases held is taken at the first
   * `next()`; the snapshot's bytes never change, so later pages read from it whatever is written.
   */
  *pages(prefix: string, options: RangeOptions, now: number): Generator<KeyValue[]> {
    checkPinned(options.revision, this.revision);
    const leases = new Map(this.leases);
    yield* toPages(this.entries(prefix), options.pageSize, (rec) => visibleAt(leases, rec, now));
  }

  /** Every key under `prefix` in key order: the snapshot's lines merged with the overlay. */
  private *entries(prefix: string): Generator<[string, KvRecord]> {
    for (const [key, rec, line] of this.merged(prefix)) {
      if (rec) yield [key, rec];
      else if (rec === undefined) yield [key, this.snapshot.record(line!)];
    }
  }

  /**
   * [key, record (null: deleted; undefined: unchanged, read it from `line`), snapshot line] in key
   * order. The overlay under `prefix` is copied on the first call, so a write meanwhile is not seen.
   */
  private *merged(prefix: string): Generator<[string, KvRecord | null | undefined, Line | undefined]> {
    const all = (this.overlayKeys ??= sortKeys([...this.overlay.keys()]));
    const over: [string, KvRecord | null][] = [];
    for (let i = lowerBound(all, prefix); i < all.length && all[i]!.startsWith(prefix); i++)
      over.push([all[i]!, this.overlay.get(all[i]!)!]);
    let j = 0;
    for (const line of this.snapshot.lines(prefix)) {
      for (; j < over.length && compareKeys(over[j]![0], line.key) < 0; j++) yield [...over[j]!, undefined];
      if (j < over.length && over[j]![0] === line.key) yield [line.key, over[j++]![1], line];
      else yield [line.key, undefined, line];
    }
    for (; j < over.length; j++) yield [...over[j]!, undefined];
  }

  /** Keys held by lease `id` (its keys in the snapshot not rewritten since, and those in the overlay). */
  keysWithLease(id: string): string[] {
    const keys = this.snapshot.keysWithLease(id).filter((k) => !this.overlay.has(k));
    for (const [k, rec] of this.overlay) if (rec?.lease === id) keys.push(k);
    return keys;
  }

  /**
   * The whole state as a new snapshot: unchanged lines are copied from this one's bytes, runs of
   * adjacent ones as one slice; deleted keys and keys of leases that are gone are left out.
   */
  compacted(): Buffer[] {
    const { bytes } = this.snapshot;
    const lines: Buffer[] = [];
    let run: { start: number; end: number } | undefined;
    const flush = () => {
      if (run) lines.push(bytes.subarray(run.start, run.end));
      run = undefined;
    };
    for (const [key, rec, line] of this.merged('')) {
      const live = rec === undefined ? this.snapshot.record(line!) : rec;
      if (!live || (live.lease !== undefined && !this.leases.has(live.lease))) {
        flush();
      } else if (rec === undefined) {
        if (run && line!.start === run.end + 2)
          run.end = line!.recEnd; // the next line, after `,\n`
        else {
          flush();
          run = { start: line!.start, end: line!.recEnd };
        }
      } else {
        flush();
        lines.push(recordLine(key, live));
      }
    }
    flush();
    return encodeSnapshot(this.revision, lines, this.leases);
  }
}

/** A file in another layout of the same JSON (hand-edited, or older): read whole, laid out as ours. */
function normalised(path: string, bytes: Buffer): Snapshot {
  const doc = parseDocument(path, bytes.toString('utf8'));
  const data = Buffer.concat(
    encodeSnapshot(
      doc.revision,
      doc.kvs.map(([k, r]) => recordLine(k, r)),
      doc.leases,
    ),
  );
  return Snapshot.read(path, data)!;
}
