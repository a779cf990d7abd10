import fc from 'fast-check';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KeyValue, Op } from '../../src/store/contract.js';
import { FileStore } from '../../src/store/file/store.js';
import { Snapshot } from '../../src/store/file/snapshot.js';
import { MemoryStore } from '../../src/store/memory.js';
import { pagesOf } from '../contract/suite.js';

// Reads of a file as we wrote it search its bytes in place (Snapshot, binary search over the key
// lines); these check it answers exactly as a memory store holding the same keys does.

const scratch = await mkdtemp(join(tmpdir(), 'otlpctl-file-snapshot-'));
let n = 0;
const freshPath = () => join(scratch, `store-${n++}.json`);
afterAll(() => rm(scratch, { recursive: true, force: true }));

const list = async (
  s: { range: FileStore['range'] },
  prefix: string,
  pageSize?: number,
): Promise<KeyValue[]> => (await pagesOf(s.range(prefix, { pageSize }))).flat();
/** Whether the file is read in place (else it is read whole and laid out as ours in memory first). */
const inPlace = async (path: string) => Snapshot.read(path, await readFile(path)) !== undefined;

async function both(ops: Op[]): Promise<{ path: string; file: FileStore; model: MemoryStore }> {
  const path = freshPath();
  const writer = new FileStore(path);
  const model = new MemoryStore();
  for (let i = 0; i < ops.length; i += 500) {
    await writer.txn([], ops.slice(i, i + 500));
    await model.txn([], ops.slice(i, i + 500));
  }
  await writer.close();
  return { path, file: new FileStore(path), model };
}

describe('a file store read in place', () => {
  it('finds every key, its neighbours and every prefix of a 3,000-key file with long lines', async () => {
    const ops: Op[] = [];
    for (let i = 0; i < 3000; i++) {
      const key = `/otlp/partitions/partition_${498000 + (i >> 8)}_${String(i & 255).padStart(4, '0')}`;
      // Mostly short values, some past the 1 kB first read and one past the 64 kB block.
      const size = i === 1234 ? 200_000 : i % 97 === 0 ? 5_000 : 40;
      ops.push({ type: 'put', key, value: JSON.stringify({ i, pad: 'x'.repeat(size) }) });
    }
    ops.push({ type: 'put', key: '/otlp/config', value: '{"a":"\\u00e9\\n\\"q\\""}' });
    ops.push({ type: 'put', key: '/otlp/nodes/n\u00e9-"1"\\', value: 'é' });
    ops.push({ type: 'put', key: '/otlp/nodes/\u{1f600}', value: 'emoji' });
    const { path, file, model } = await both(ops);
    expect(await file.revision()).toBe(await model.revision());
    expect(await inPlace(path)).toBe(true);
    for (const op of ops) {
      expect(await file.get(op.key)).toEqual(await model.get(op.key));
      for (const near of [`${op.key}0`, op.key.slice(0, -1), `${op.key.slice(0, -1)}~`])
        expect(await file.get(near)).toEqual(await model.get(near));
    }
    for (const prefix of [
      '',
      '/',
      '/otlp/',
      '/otlp/nodes/',
      '/otlp/partitions/partition_498005_',
      '/otlp/q',
      '~',
    ])
      expect(await list(file, prefix, 7)).toEqual(await list(model, prefix, 7));
  });

  it('answers as a memory store for any keys and values (fast-check)', async () => {
    const key = fc.oneof(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.constantFrom('/a', '/a/b', '/b', 'a'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(key, fc.string({ maxLength: 3000 })), {
          selector: ([k]) => k,
          maxLength: 60,
        }),
        fc.array(key, { maxLength: 8 }),
        async (entries, probes) => {
          const { file, model } = await both(entries.map(([k, v]) => ({ type: 'put', key: k, value: v })));
          for (const k of [...entries.map(([k]) => k), ...probes]) {
            expect(await file.get(k)).toEqual(await model.get(k));
            expect(await list(file, k.slice(0, 2), 3)).toEqual(await list(model, k.slice(0, 2), 3));
          }
          expect(await list(file, '')).toEqual(await list(model, ''));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('reads a file edited by hand in place once a pass over its lines finds them in our layout', async () => {
    const { path, model } = await both([
      { type: 'put', key: '/a', value: '1' },
      { type: 'put', key: '/b', value: '2' },
    ]);
    await writeFile(path, (await readFile(path, 'utf8')).replace('"value":"2"', '"value": "22"'));
    const file = new FileStore(path);
    expect((await file.get('/b'))?.value).toBe('22');
    expect(await inPlace(path)).toBe(true);
    expect((await file.get('/a'))?.value).toBe((await model.get('/a'))?.value);
  });

  it('sees leases: a key whose lease lapsed is gone', async () => {
    const path = freshPath();
    let now = 1_000_000;
    const writer = new FileStore(path, { clock: () => now });
    const lease = await writer.grantLease(10);
    await writer.txn(
      [],
      [
        { type: 'put', key: '/held', value: 'x', lease: lease.id },
        { type: 'put', key: '/kept', value: 'y' },
      ],
    );
    await writer.close(); // stops renewing
    const reader = new FileStore(path, { clock: () => now });
    expect((await reader.get('/held'))?.lease).toBe(lease.id);
    expect(await inPlace(path)).toBe(true);
    now += 11_000;
    expect(await reader.get('/held')).toBeUndefined();
    expect((await list(reader, '/')).map((kv) => kv.key)).toEqual(['/kept']);
    expect(await reader.leaseTimeToLive(lease.id)).toBeUndefined();
  });

  it('a write after in-place reads is logged after the snapshot, and readers see it', async () => {
    const { path, file } = await both([{ type: 'put', key: '/a', value: '1' }]);
    expect((await file.get('/a'))?.value).toBe('1');
    await file.txn([{ key: '/a', target: 'value', value: '1' }], [{ type: 'put', key: '/b', value: '2' }]);
    const again = new FileStore(path);
    expect((await list(again, '/')).map((kv) => [kv.key, kv.value])).toEqual([
      ['/a', '1'],
      ['/b', '2'],
    ]);
    await file.close();
  });
});
