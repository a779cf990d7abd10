import type { KvRecord } from './memory.js';
import type { OrderedKeys } from './file-state.js';
import { checkRecord, isRecord, notReadable } from './file-format.js';

/**
 * Lines parsed together once reads go through the file in order, as a listing does; a batch's text
 * stays small enough for the young generation (a larger one costs more in fresh memory than it saves).
 */
const MAX_BATCH_LINES = 1024;
const MAX_BATCH_BYTES = 64 * 1024;

/**
 * The key lines of a file as `readLines` found them: keys decoded, records parsed on first use.
 * Reading lines in file order parses them in growing batches, one JSON.parse each, so a full listing
 * costs about what parsing the whole file at open did, and reading one key costs one small parse.
 */
export class LoadedFile implements OrderedKeys {
  private readonly records: (LineRecord | undefined)[];
  /** Read-ahead: the line after the last batch parsed, and that batch's size. */
  private next = 0;
  private batch = 1;

  constructor(
    readonly path: string,
    readonly bytes: Buffer,
    /** In file order, which `readLines` checked is etcd order if this is a KvState's source. */
    readonly keys: readonly string[],
    /** Per line: its start, its record's `{`, the end of its record (file offsets). */
    readonly offsets: Float64Array,
  ) {
    this.records = new Array<LineRecord | undefined>(keys.length);
  }

  record(index: number): LineRecord {
    return (this.records[index] ??= new LineRecord(this, index));
  }

  /** The record of line `index`, with the lines after it if the reads so far went in file order. */
  parse(index: number): KvRecord {
    this.batch = index === this.next ? Math.min(this.batch * 2, MAX_BATCH_LINES) : 1;
    if (this.batch > 1) this.parseBatch(index, index + this.batch);
    else this.next = index + 1;
    const rec = this.record(index);
    return rec.parsed ?? (rec.parsed = this.parseAlone(index));
  }

  /** A corrupt line fails here, on first use, with the same kind of error the full parse gives at open. */
  private parseAlone(index: number): KvRecord {
    const key = this.keys[index]!;
    let v: unknown;
    try {
      v = JSON.parse(this.bytes.toString('utf8', this.offsets[3 * index + 1], this.offsets[3 * index + 2]));
    } catch (e) {
      throw notReadable(this.path, `key '${key}' is not JSON (${(e as Error).message})`);
    }
    return checkRecord(this.path, key, v);
  }

  /**
   * Lines `from`…`to` (up to one already parsed) as one JSON object; a line that does not parse or
   * check is left for `parseAlone`, so its error names it and only a read of it fails.
   */
  private parseBatch(from: number, to: number): void {
    const { offsets, records } = this;
    const start = offsets[3 * from]!;
    let last = from;
    while (last + 1 < Math.min(to, records.length) && records[last + 1]?.parsed === undefined) {
      if (offsets[3 * (last + 1) + 2]! - start > MAX_BATCH_BYTES) break;
      last++;
    }
    this.next = last + 1;
    let batch: Record<string, unknown>;
    try {
      batch = JSON.parse(`{${this.bytes.toString('utf8', start, offsets[3 * last + 2])}}`);
    } catch {
      return;
    }
    for (let i = from; i <= last; i++) {
      const v = batch[this.keys[i]!]; // a key twice in the file: a KvState holds its last line, as JSON.parse
      if (isRecord(v)) this.record(i).parsed = v;
    }
  }
}

/** A key's line in a loaded file; its record JSON is parsed (and checked) on first use. */
export class LineRecord implements KvRecord {
  /** Set on first use, or by a batch that parsed this line with others. */
  parsed: KvRecord | undefined;

  constructor(
    readonly file: LoadedFile,
    readonly index: number,
  ) {}

  get value(): string {
    return (this.parsed ?? this.file.parse(this.index)).value;
  }
  get create_revision(): number {
    return (this.parsed ?? this.file.parse(this.index)).create_revision;
  }
  get mod_revision(): number {
    return (this.parsed ?? this.file.parse(this.index)).mod_revision;
  }
  get version(): number {
    return (this.parsed ?? this.file.parse(this.index)).version;
  }
  get lease(): string | undefined {
    return (this.parsed ?? this.file.parse(this.index)).lease;
  }
  toJSON(): KvRecord {
    return this.parsed ?? this.file.parse(this.index);
  }

  /** The line in the file (without its separator): what a rewrite copies if the key is unchanged. */
  get start(): number {
    return this.file.offsets[3 * this.index]!;
  }
  get end(): number {
    return this.file.offsets[3 * this.index + 2]!;
  }
}
