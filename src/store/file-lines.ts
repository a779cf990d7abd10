import { compareKeys } from './keys.js';
import { KvState, type KvRecord, type LeaseRecord } from './memory.js';
import { addLeases, FORMAT, HEADER, isObject } from './file-format.js';
import { LineRecord, LoadedFile } from './file-record.js';
import { FileKvState } from './file-state.js';

/**
 * The file store's line layout: `serialize` writes a header line, then one `"key": {record}` line
 * per key in key order, then the leases; `readLines` reads exactly that layout back without parsing
 * the records, so opening a file costs one pass over the keys and a command pays JSON.parse only for
 * the keys it reads. Any other layout of the same JSON is left to the full parse (`parseStore`).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const COLON = 0x3a;
const SPACE = 0x20;
const OPEN = 0x7b;
const CLOSE = 0x7d;
/** An escape, or a control character JSON does not allow raw. */
// eslint-disable-next-line no-control-regex -- raw control characters are what it looks for
const UNPLAIN = /[\\\x00-\x1f]/;

/** The store in `bytes` if they are laid out as `serialize` writes them, else undefined. */
export function readLines(path: string, bytes: Buffer): KvState | undefined {
  // A Uint8Array's indexOf, not Buffer's JS wrapper around it: this loop runs once per process,
  // mostly before the JIT has compiled it, so every call in it counts.
  const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  let end = u8.indexOf(NEWLINE);
  const header = end > 0 && end < 100 ? HEADER.exec(bytes.toString('latin1', 0, end)) : null;
  const revision = Number(header?.[1]);
  if (!Number.isSafeInteger(revision) || !isLine(bytes, end + 1, '"kvs": {')) return undefined;
  let pos = end + 1 + '"kvs": {\n'.length;
  end = u8.indexOf(NEWLINE, pos);

  const keys: string[] = [];
  let offsets: Float64Array = new Float64Array(3 * Math.max(64, bytes.length >> 8)); // a line per 256 bytes
  let sorted = true;
  let prevAscii = true;
  for (let more = end > pos; more;) {
    // `"key": {record}` and a comma unless it is the last; the key is not unescaped unless it has to be.
    if (end < 0 || u8[pos] !== QUOTE) return undefined;
    let quote = u8.indexOf(QUOTE, pos + 1);
    if (quote < 0) return undefined;
    let key = bytes.toString('utf8', pos + 1, quote);
    if (UNPLAIN.test(key)) {
      quote = closingQuote(u8, pos, end);
      try {
        key = JSON.parse(bytes.toString('utf8', pos, quote + 1)) as string;
      } catch {
        return undefined; // not JSON: the full parse says so
      }
    }
    const recordStart = quote + 3;
    more = u8[end - 1] === COMMA;
    const recordEnd = more ? end - 1 : end;
    if (u8[quote + 1] !== COLON || u8[quote + 2] !== SPACE || u8[recordStart] !== OPEN) return undefined;
    if (u8[recordEnd - 1] !== CLOSE || recordEnd - 1 <= recordStart) return undefined;

    // One UTF-16 unit per byte: no surrogates, so native `<` is etcd's byte order (else compareKeys).
    const ascii = key.length === quote - pos - 1;
    const prev = keys[keys.length - 1];
    if (sorted && prev !== undefined) sorted = ascii && prevAscii ? prev < key : compareKeys(prev, key) < 0;
    prevAscii = ascii;
    const at = 3 * keys.length;
    if (at === offsets.length) offsets = grown(offsets);
    offsets[at] = pos;
    offsets[at + 1] = recordStart;
    offsets[at + 2] = recordEnd;
    keys.push(key);
    pos = end + 1;
    end = u8.indexOf(NEWLINE, pos);
  }
  if (keys.length === 0) pos = end + 1; // the blank line of an empty kvs
  if (!isLine(bytes, pos, '},') || !isLine(bytes, pos + 3, '"leases": {')) return undefined;

  // The leases (few): the text between `"leases": {` and the final `}}` must be one JSON object's members.
  pos += '},\n"leases": {\n'.length;
  const last = bytes.length - '\n}}\n'.length;
  if (last < pos - 1 || bytes.toString('latin1', last) !== '\n}}\n') return undefined;
  let leases: unknown;
  try {
    leases = JSON.parse(`{${bytes.toString('utf8', pos, Math.max(pos, last))}}`);
  } catch {
    return undefined;
  }
  const leaseRecords = new Map<string, LeaseRecord>();
  if (!isObject(leases) || addLeases(leaseRecords, leases) !== undefined) return undefined;

  const file = new LoadedFile(path, bytes, keys, offsets);
  if (sorted) return new FileKvState(revision, file, leaseRecords); // no Map of every key, no sort
  const kvs = new Map<string, KvRecord>(); // hand-edited out of order; a key's last line wins, as in JSON.parse
  keys.forEach((key, i) => kvs.set(key, file.record(i)));
  return new KvState(revision, kvs, leaseRecords);
}

function grown(offsets: Float64Array): Float64Array {
  const more = new Float64Array(2 * offsets.length);
  more.set(offsets);
  return more;
}

/** The key's closing quote, past any escaped ones; `end` if there is none. */
function closingQuote(u8: Uint8Array, pos: number, end: number): number {
  let i = pos + 1;
  while (i < end && u8[i] !== QUOTE) i += u8[i] === BACKSLASH ? 2 : 1;
  return Math.min(i, end);
}

function isLine(bytes: Buffer, pos: number, text: string): boolean {
  const end = pos + text.length;
  return bytes[end] === NEWLINE && bytes.toString('latin1', pos, end) === text;
}

/** `"key": {record}` as UTF-8, kept per record: later writes of a command encode only what they changed. */
const lines = new WeakMap<KvRecord, Buffer>();
const NEXT = Buffer.from(',\n');

/** One key per line, in key order, so the file diffs and greps well; built by hand to keep any key (even `__proto__`). */
export function serialize(state: KvState): Buffer[] {
  const parts: Buffer[] = [Buffer.alloc(0)]; // the header, made last: it holds the file's length
  const add = (line: Buffer) => {
    if (parts.length > 1) parts.push(NEXT);
    parts.push(line);
  };
  // Unchanged keys whose lines were adjacent in the loaded file are copied as one slice of it.
  let run: LineRecord | undefined;
  let runEnd = 0;
  for (const [key, rec] of state.entries()) {
    if (rec instanceof LineRecord && rec.file === run?.file && rec.start === runEnd + NEXT.length) {
      runEnd = rec.end;
      continue;
    }
    if (run) add(run.file.bytes.subarray(run.start, runEnd));
    run = undefined;
    if (rec instanceof LineRecord) {
      run = rec;
      runEnd = rec.end;
      continue;
    }
    let line = lines.get(rec);
    if (line === undefined)
      lines.set(rec, (line = Buffer.from(`${JSON.stringify(key)}: ${JSON.stringify(rec)}`)));
    add(line);
  }
  if (run) add(run.file.bytes.subarray(run.start, runEnd));
  const leases = [...state.leases].map(
    ([id, l]) =>
      `${JSON.stringify(id)}: ${JSON.stringify({ ttl: l.ttlSeconds, expires_at_ms: l.expiresAtMs })}`,
  );
  parts.push(Buffer.from(`\n},\n"leases": {\n${leases.join(',\n')}\n}}\n`));
  const rest = parts.reduce((n, b) => n + b.length, 0);
  const header = (bytes: number) =>
    `{"format": "${FORMAT}", "version": 1, "revision": ${state.revision}, "bytes": ${bytes},\n"kvs": {\n`;
  let total = rest;
  while (rest + header(total).length !== total) total = rest + header(total).length; // settles in ≤ 3 steps
  parts[0] = Buffer.from(header(total));
  return parts;
}
