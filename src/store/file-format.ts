import { StoreError } from '../core/errors.js';
import { KvState, type KvRecord, type LeaseRecord } from './memory.js';

/**
 * The file store's JSON document and its checks, shared by the fast line reader (`file-lines.ts`)
 * and the full parse here, which reads any valid JSON layout of the same document.
 */

export const FORMAT = 'otlpctl-file-store';
/**
 * The first line `serialize` writes: the revision, and the file's own length (`"bytes"`, absent in
 * files of earlier versions), which lets a reader trust the layout (file-index.ts).
 */
export const HEADER =
  /^\{"format": "otlpctl-file-store", "version": 1, "revision": (0|[1-9][0-9]*)(?:, "bytes": ([1-9][0-9]*))?,$/;
const EXPECTED = `expected a JSON object {"format": "${FORMAT}", "version": 1, "revision", "kvs", "leases"}`;

export function notReadable(path: string, what: string): StoreError {
  return new StoreError(`file store ${path} is not readable: ${what}; ${EXPECTED}`);
}

/** The parsed record itself, checked (it is used as is: no copy of 200k objects). */
export function checkRecord(path: string, key: string, v: unknown): KvRecord {
  if (isRecord(v)) return v;
  throw notReadable(
    path,
    `key '${key}' needs a string value, create_revision, mod_revision, version and maybe a lease id`,
  );
}

export function isRecord(v: unknown): v is KvRecord {
  return (
    isObject(v) &&
    typeof v.value === 'string' &&
    (v.lease === undefined || typeof v.lease === 'string') &&
    isCount(v.create_revision) &&
    isCount(v.mod_revision) &&
    isCount(v.version)
  );
}

/** Copies `leases` (parsed JSON) into `into`; returns the id of a malformed one, if any. */
export function addLeases(
  into: Map<string, LeaseRecord>,
  leases: Record<string, unknown>,
): string | undefined {
  for (const [id, l] of Object.entries(leases)) {
    if (!isObject(l) || !isCount(l.ttl) || typeof l.expires_at_ms !== 'number') return id;
    into.set(id, { ttlSeconds: l.ttl, expiresAtMs: l.expires_at_ms });
  }
  return undefined;
}

/** The whole document in one JSON.parse: for files laid out otherwise than `serialize` writes them. */
export function parseStore(path: string, text: string): KvState {
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
  const state = new KvState(revision);
  for (const key in kvs) state.kvs.set(key, checkRecord(path, key, kvs[key]));
  const bad = addLeases(state.leases, leases);
  if (bad !== undefined) throw notReadable(path, `lease ${bad} has no ttl`);
  return state;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
