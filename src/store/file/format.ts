import { StoreError } from '../../core/errors.js';
import { sortKeys } from '../key-order.js';
import type { KvRecord, LeaseRecord } from '../kv-engine.js';

/**
 * The file store's bytes. A file is a snapshot, one JSON document written whole:
 *
 *   {"format": "otlpctl-file-store", "version": 1, "revision": R, "bytes": N,
 *   "kvs": {
 *   "<key>": {record},          one line per key, in etcd's key order
 *   …
 *   },
 *   "leases": {
 *   "<id>": {"ttl": S, "expires_at_ms": T}
 *   }}
 *
 * where N is the snapshot's own length. Writes since the snapshot follow it as log lines, one per
 * write, each ending in a newline: {"revision": R, "kvs": {key: record|null}, "leases": {id: lease|null}}.
 * A line without its newline is a write that never finished (its writer died) and is not part of the
 * state. A writer compacts the log into a new snapshot (renamed over the file) once it grows, and when
 * it closes, so a file at rest is plain JSON again.
 */

export const FORMAT = 'otlpctl-file-store';
/** The first line of a snapshot; `"bytes"` is absent in files of earlier versions. */
export const HEADER =
  /^\{"format": "otlpctl-file-store", "version": 1, "revision": (0|[1-9][0-9]*)(?:, "bytes": ([1-9][0-9]*))?,$/;
export const KVS_OPEN = '"kvs": {\n';
export const LEASES_OPEN = '\n},\n"leases": {\n';
export const END = '\n}}\n';
const EXPECTED = `expected a JSON object {"format": "${FORMAT}", "version": 1, "revision", "kvs", "leases"}`;

export function notReadable(path: string, what: string): StoreError {
  return new StoreError(`file store ${path} is not readable: ${what}; ${EXPECTED}`);
}

/** The parsed record itself, checked (it is used as is). */
export function checkRecord(path: string, key: string, v: unknown): KvRecord {
  if (isRecord(v)) return v;
  throw notReadable(
    path,
    `key '${key}' needs a string value, create_revision, mod_revision, version and maybe a lease id`,
  );
}

function isRecord(v: unknown): v is KvRecord {
  return (
    isObject(v) &&
    typeof v.value === 'string' &&
    (v.lease === undefined || typeof v.lease === 'string') &&
    isCount(v.create_revision) &&
    isCount(v.mod_revision) &&
    isCount(v.version)
  );
}

export function checkLease(path: string, id: string, l: unknown): LeaseRecord {
  if (!isObject(l) || !isCount(l.ttl) || typeof l.expires_at_ms !== 'number')
    throw notReadable(path, `lease ${id} needs a ttl and expires_at_ms`);
  return { ttlSeconds: l.ttl, expiresAtMs: l.expires_at_ms };
}

/** A whole document in any JSON layout (hand-edited, or written by an earlier otlpctl). */
export interface Document {
  revision: number;
  /** In etcd's key order. */
  kvs: [string, KvRecord][];
  leases: Map<string, LeaseRecord>;
}

export function parseDocument(path: string, text: string): Document {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw notReadable(path, `not JSON (${(e as Error).message})`);
  }
  if (!isObject(doc) || doc.format !== FORMAT) throw notReadable(path, `no "format": "${FORMAT}"`);
  if (doc.version !== 1)
    throw notReadable(path, `format version ${String(doc.version)} (a newer otlpctl wrote it?)`);
  const { revision, kvs, leases } = doc;
  if (!isCount(revision) || !isObject(kvs) || !isObject(leases))
    throw notReadable(path, 'missing revision, kvs or leases');
  const keys = sortKeys(Object.keys(kvs));
  return {
    revision,
    kvs: keys.map((key) => [key, checkRecord(path, key, kvs[key])]),
    leases: new Map(Object.entries(leases).map(([id, l]) => [id, checkLease(path, id, l)])),
  };
}

/** `"key": {record}`; built by hand so that any key (even `__proto__`) is kept. */
export const recordLine = (key: string, rec: KvRecord): Buffer =>
  Buffer.from(`${JSON.stringify(key)}: ${JSON.stringify(rec)}`);

const leaseJson = (l: LeaseRecord) => JSON.stringify({ ttl: l.ttlSeconds, expires_at_ms: l.expiresAtMs });
const NEXT = Buffer.from(',\n');

/** A snapshot from its key lines (already in key order), ready for one gathered write. */
export function encodeSnapshot(
  revision: number,
  lines: Iterable<Buffer>,
  leases: ReadonlyMap<string, LeaseRecord>,
): Buffer[] {
  const parts: Buffer[] = [Buffer.alloc(0)]; // the header, made last: it holds the length
  for (const line of lines) {
    if (parts.length > 1) parts.push(NEXT);
    parts.push(line);
  }
  const leaseLines = [...leases].map(([id, l]) => `${JSON.stringify(id)}: ${leaseJson(l)}`);
  parts.push(Buffer.from(`${LEASES_OPEN}${leaseLines.join(',\n')}${END}`));
  const rest = parts.reduce((n, b) => n + b.length, 0);
  const header = (bytes: number) =>
    `{"format": "${FORMAT}", "version": 1, "revision": ${revision}, "bytes": ${bytes},\n${KVS_OPEN}`;
  let total = rest;
  while (rest + header(total).length !== total) total = rest + header(total).length; // settles in ≤ 3 steps
  parts[0] = Buffer.from(header(total));
  return parts;
}

/** One write since the snapshot: what it set (null: deleted) and the revision after it. */
export interface LogEntry {
  revision: number;
  kvs: Map<string, KvRecord | null>;
  leases: Map<string, LeaseRecord | null>;
}

export function encodeLogEntry(e: LogEntry): Buffer {
  const kvs = [...e.kvs].map(([k, r]) => `${JSON.stringify(k)}:${JSON.stringify(r)}`);
  const leases = [...e.leases].map(([id, l]) => `${JSON.stringify(id)}:${l ? leaseJson(l) : 'null'}`);
  return Buffer.from(`{"revision":${e.revision},"kvs":{${kvs.join(',')}},"leases":{${leases.join(',')}}}\n`);
}

export function parseLogEntry(path: string, at: number, text: string): LogEntry {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw notReadable(path, `the write logged at byte ${at} is not JSON (${(e as Error).message})`);
  }
  if (!isObject(v) || !isCount(v.revision) || !isObject(v.kvs) || !isObject(v.leases))
    throw notReadable(path, `the write logged at byte ${at} needs a revision, kvs and leases`);
  const { kvs, leases } = v;
  return {
    revision: v.revision,
    kvs: new Map(Object.keys(kvs).map((k) => [k, kvs[k] === null ? null : checkRecord(path, k, kvs[k])])),
    leases: new Map(
      Object.keys(leases).map((id) => [id, leases[id] === null ? null : checkLease(path, id, leases[id])]),
    ),
  };
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
