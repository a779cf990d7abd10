import fc from 'fast-check';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import type { KeyValue, Op } from '../../src/store/contract.js';
import { FileStore } from '../../src/store/file/store.js';
import { parseDocument } from '../../src/store/file/format.js';
import { Snapshot } from '../../src/store/file/snapshot.js';
import { toKeyValue, visibleAt } from '../../src/store/kv-engine.js';
import { sortKeys } from '../../src/store/key-order.js';
import { MemoryStore } from '../../src/store/memory.js';
import { pagesOf } from '../contract/suite.js';

const scratch = await mkdtemp(join(tmpdir(), 'otlpctl-file-store-'));
let n = 0;
const freshPath = async () => {
  const dir = join(scratch, String(n++));
  await mkdir(dir);
  return join(dir, 'store.json');
};
afterAll(() => rm(scratch, { recursive: true, force: true }));

const put = (key: string, value: string, lease?: string): Op =>
  lease === undefined ? { type: 'put', key, value } : { type: 'put', key, value, lease };
const listAll = async (store: { range: FileStore['range'] }): Promise<KeyValue[]> =>
  (await pagesOf(store.range(''))).flat();

/** What a full JSON.parse of a file at rest (no log) holds, as a listing: the reference the in-place reader must match. */
async function parsedInFull(path: string): Promise<KeyValue[]> {
  const text = await readFile(path, 'utf8').catch(() => undefined); // not written yet
  if (text === undefined) return [];
  const doc = parseDocument(path, text);
  return doc.kvs
    .filter(([, rec]) => visibleAt(doc.leases, rec, Date.now()))
    .map(([k, rec]) => toKeyValue(k, rec));
}

/** A file the store wrote with `entries`: the first in one write, the others in a second. */
async function storeWith(entries: [string, string][]): Promise<string> {
  const path = await freshPath();
  const store = new FileStore(path);
  for (const batch of [entries.slice(0, 1), entries.slice(1)])
    await store.txn(
      [],
      batch.map(([k, v]) => put(k, v)),
    );
  await store.close();
  return path;
}

/** Rewrites the `"key": {record}` lines of a file the store wrote (given and returned without their commas). */
function editLines(text: string, edit: (lines: string[]) => string[]): string {
  const lines = text.split('\n');
  const first = 2;
  const last = lines.indexOf('},');
  const kvs = edit(lines.slice(first, last).map((l) => l.replace(/,$/, '')));
  return [...lines.slice(0, first), kvs.join(',\n'), ...lines.slice(last)].join('\n');
}

const ESCAPED_KEYS = [
  '/quote"d',
  '/back\\slash',
  '/tab\tand\nnewline',
  '/ünï/cödé',
  '/emoji/😀',
  '/private/\ue000', // after every surrogate pair in etcd's byte order, before them in UTF-16
  '/lone/\ud800',
  '__proto__',
  'constructor',
  '/": {"value": "x"}',
];

describe('file store snapshot reader', () => {
  it('reads a file it wrote line by line, with the keys, values and revisions a full parse gives', async () => {
    const path = await storeWith([
      ['/otlp/config', '{"granularity_hours":1}'],
      ['/otlp/nodes/b', 'two'],
      ['/otlp/nodes/a', 'one'],
    ]);
    const store = new FileStore(path);
    await store.txn([], [put('/otlp/nodes/a', 'one again'), { type: 'delete', key: '/otlp/nodes/b' }]);
    await store.close();
    const bytes = await readFile(path);
    expect(Snapshot.read(path, bytes)).toBeDefined(); // the fast path, not the fallback
    const listed = await listAll(new FileStore(path));
    expect(listed).toEqual(await parsedInFull(path));
    expect(listed.map((kv) => [kv.key, kv.value, kv.createRevision, kv.modRevision, kv.version])).toEqual([
      ['/otlp/config', '{"granularity_hours":1}', 2, 2, 1],
      ['/otlp/nodes/a', 'one again', 3, 4, 2],
    ]);
    expect(await new FileStore(path).revision()).toBe(4);
  });

  it('round-trips keys that need JSON escapes, non-ASCII, and object property names', async () => {
    const path = await storeWith(ESCAPED_KEYS.map((k, i) => [k, `v${i} "quoted" \\ ${k}`]));
    expect(Snapshot.read(path, await readFile(path))).toBeDefined();
    const store = new FileStore(path);
    const listed = await listAll(store);
    expect(listed.map((kv) => kv.key)).toEqual(sortKeys([...ESCAPED_KEYS]));
    expect(listed).toEqual(await parsedInFull(path));
    for (const [i, key] of ESCAPED_KEYS.entries())
      expect((await store.get(key))?.value).toBe(`v${i} "quoted" \\ ${key}`);
    expect(await store.get('/quote')).toBeUndefined();
  });

  it('loads any other layout of the same JSON through the full parse, as before', async () => {
    const path = await storeWith([
      ['/a', '1'],
      ['/b', '2'],
    ]);
    const expected = await listAll(new FileStore(path));
    const doc = JSON.parse(await readFile(path, 'utf8')) as { kvs: Record<string, object> };
    const reordered = Object.fromEntries(
      Object.entries(doc.kvs).map(([k, r]) => [k, Object.fromEntries(Object.entries(r).reverse())]),
    );
    const layouts = [
      JSON.stringify(doc, null, 2),
      JSON.stringify(doc),
      JSON.stringify({ leases: {}, kvs: reordered, revision: 3, version: 1, format: 'otlpctl-file-store' }),
      (await readFile(path, 'utf8')).replaceAll('\n', '\r\n'),
      (await readFile(path, 'utf8')).replace('"/a": ', '"/a":'),
    ];
    for (const text of layouts) {
      await writeFile(path, text);
      expect(Snapshot.read(path, Buffer.from(text))).toBeUndefined();
      expect(await listAll(new FileStore(path))).toEqual(expected);
    }
  });

  it('reads our layout with records hand-edited in place: other field order and spacing, keys out of order', async () => {
    const path = await storeWith([
      ['/a', '1'],
      ['/b', '2'],
      ['/c', '3'],
    ]);
    const edited = editLines(await readFile(path, 'utf8'), ([a, b, c]) => [
      c!,
      b!.replace(
        /\{.*\}/,
        '{ "version": 1, "mod_revision": 3, "create_revision": 3, "value": "two", "note": "kept" }',
      ),
      a!,
    ]);
    await writeFile(path, edited);
    expect(Snapshot.read(path, Buffer.from(edited))).toBeUndefined(); // out of order: read whole
    const store = new FileStore(path);
    expect((await listAll(store)).map((kv) => [kv.key, kv.value])).toEqual([
      ['/a', '1'],
      ['/b', 'two'],
      ['/c', '3'],
    ]);
    expect(await listAll(store)).toEqual(await parsedInFull(path));
    // A write rewrites it in key order, keeping the unknown field.
    await store.txn([], [put('/d', '4')]);
    const rewritten = await readFile(path, 'utf8');
    expect(Snapshot.read(path, Buffer.from(rewritten))).toBeDefined();
    expect(rewritten).toContain('"note":"kept"');
    expect(rewritten.indexOf('"/a"')).toBeLessThan(rewritten.indexOf('"/b"'));
    expect((await listAll(new FileStore(path))).map((kv) => kv.value)).toEqual(['1', 'two', '3', '4']);
  });

  it('keeps the last of a key written twice, as JSON.parse does', async () => {
    const path = await storeWith([
      ['/a', '1'],
      ['/b', '2'],
    ]);
    const twice = editLines(await readFile(path, 'utf8'), (lines) => [
      ...lines,
      lines[1]!.replace('"value":"2"', '"value":"2 again"'),
    ]);
    await writeFile(path, twice);
    expect(Snapshot.read(path, Buffer.from(twice))).toBeUndefined(); // not in order: read whole
    expect(await listAll(new FileStore(path))).toEqual(await parsedInFull(path));
    expect((await new FileStore(path).get('/b'))?.value).toBe('2 again');
  });

  it('fails a read of a corrupt record with a StoreError naming the file and key; other keys still read', async () => {
    const path = await storeWith([
      ['/a', '1'],
      ['/b', '2'],
      ['/c', '3'],
    ]);
    const text = await readFile(path, 'utf8');
    const cases: [string, RegExp][] = [
      [text.replace('{"value":"2",', '{"value":"2'), /key '\/b' is not JSON/],
      [text.replace('{"value":"2",', '{"value":2,'), /key '\/b' needs a string value/],
      [
        text.replace('"value":"2","create_revision":3', '"value":"2","create_revision":-3'),
        /key '\/b' needs/,
      ],
    ];
    for (const [corrupt, why] of cases) {
      await writeFile(path, corrupt);
      const store = new FileStore(path);
      expect((await store.get('/a'))?.value).toBe('1');
      expect((await store.get('/c'))?.value).toBe('3');
      for (const read of [
        () => store.get('/b'),
        () => listAll(store),
        () => store.txn([], [put('/b', 'x')]),
      ]) {
        const error = await read().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreError);
        expect((error as Error).message).toContain(`file store ${path} is not readable: `);
        expect((error as Error).message).toMatch(why);
      }
      expect(await readFile(path, 'utf8')).toBe(corrupt); // the failed write left it alone
    }
  });

  it('parses a large listing in batches, and fails it only for the corrupt record it meets', async () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `/p/${String(i).padStart(4, '0')}`);
    const path = await storeWith(keys.map((k, i) => [k, `{"n":${i}}`]));
    const listed = await listAll(new FileStore(path));
    expect(listed).toEqual(await parsedInFull(path));
    expect(listed.map((kv) => kv.value)).toEqual(keys.map((_, i) => `{"n":${i}}`));
    await writeFile(path, (await readFile(path, 'utf8')).replace('{"value":"{\\"n\\":2500}",', '{"value":,'));
    const store = new FileStore(path);
    expect((await pagesOf(store.range('/p/1'))).flat()).toHaveLength(1000);
    expect((await store.get('/p/2499'))?.value).toBe('{"n":2499}');
    expect((await store.get('/p/2501'))?.value).toBe('{"n":2501}');
    await expect(listAll(store)).rejects.toThrow(/key '\/p\/2500' is not JSON/);
  });

  it('reads an empty key space and the leases section', async () => {
    const path = await freshPath();
    const store = new FileStore(path);
    const lease = await store.grantLease(60);
    await store.txn([], [put('/held', 'x', lease.id), put('/free', 'y')]);
    expect(Snapshot.read(path, await readFile(path))).toBeDefined();
    const other = new FileStore(path);
    expect((await other.get('/held'))?.lease).toBe(lease.id);
    expect(await other.leaseTimeToLive(lease.id)).toBeGreaterThan(55);
    await lease.revoke();
    await store.txn([], [{ type: 'delete', key: '/free' }]);
    await store.close();
    const empty = Snapshot.read(path, await readFile(path));
    expect(empty && empty.end - empty.start).toBe(0); // not one key line
    expect(await listAll(new FileStore(path))).toEqual([]);
    expect(await new FileStore(path).revision()).toBe(4);
  });

  it('lists in key order after a write that deletes one key and adds another, on the same store', async () => {
    for (const store of [new FileStore(await freshPath()), new MemoryStore()]) {
      await store.txn([], [put('/b', '1'), put('/d', '2')]);
      expect((await listAll(store)).map((kv) => kv.key)).toEqual(['/b', '/d']); // caches the order
      await store.txn([], [{ type: 'delete', key: '/d' }, put('/a', '3')]);
      expect((await listAll(store)).map((kv) => kv.key)).toEqual(['/a', '/b']);
      await store.txn([], [put('/b', '4')]);
      expect((await listAll(store)).map((kv) => [kv.key, kv.value])).toEqual([
        ['/a', '3'],
        ['/b', '4'],
      ]);
    }
  });

  it('round-trips any keys and values, through writes and reopening, as a memory store holds them', async () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ maxLength: 8 }));
    // Mostly keys from a small pool, so writes replace and delete keys that are in the file.
    const key = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('/a', '/b', '/b/c', ...ESCAPED_KEYS) },
      { weight: 1, arbitrary: text.filter((k) => k !== '') },
    );
    const op = fc.oneof(
      fc.record({ type: fc.constant('put' as const), key, value: text }),
      fc.record({ type: fc.constant('delete' as const), key }),
    );
    const batches = fc.array(fc.array(op, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(batches, fc.boolean(), async (writes, reopen) => {
        const path = await freshPath();
        const model = new MemoryStore();
        const kept = new FileStore(path); // writes on what it read and wrote before, or reads the file anew
        for (const batch of writes) {
          const ops: Op[] = [...new Map(batch.map((o) => [o.key, o])).values()]; // one op per key
          const writer = reopen ? new FileStore(path) : kept;
          await writer.txn([], ops);
          if (reopen) await writer.close(); // as a command ends: what it logged is compacted
          await model.txn([], ops);
          const bytes = await readFile(path).catch(() => undefined);
          if (bytes) expect(Snapshot.read(path, bytes)).toBeDefined();
          const expected = await listAll(model);
          expect(await listAll(kept)).toEqual(expected);
          expect(await listAll(new FileStore(path))).toEqual(expected);
        }
        await kept.close(); // compacts what it logged: the file is one JSON document again
        expect(await parsedInFull(path)).toEqual(await listAll(model));
      }),
      { numRuns: 60 },
    );
  });
});
