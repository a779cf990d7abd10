import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import type { MetadataStore } from '../../src/store/contract.js';
import { FileStore } from '../../src/store/file/store.js';
import { describeStoreContract } from './suite.js';

const scratch = await mkdtemp(join(tmpdir(), 'otlpctl-file-store-'));
let n = 0;
const freshPath = async () => {
  const dir = join(scratch, String(n++));
  await mkdir(dir);
  return join(dir, 'store.json');
};
afterAll(() => rm(scratch, { recursive: true, force: true }));

describeStoreContract('file', async () => {
  const store = new FileStore(await freshPath());
  return { store, prefix: '/contract/', cleanup: () => store.close(), isolated: true };
});

/**
 * Each call on a store of its own, closed after it, as one command after another would: nothing a
 * store remembers between calls (its view, its own writes) can stand in for what is in the file.
 */
function reopening(path: string): MetadataStore {
  const once = async <T>(f: (s: FileStore) => Promise<T>): Promise<T> => {
    const s = new FileStore(path);
    try {
      return await f(s);
    } finally {
      await s.close();
    }
  };
  return {
    description: `file ${path}, reopened for every call`,
    get: (key) => once((s) => s.get(key)),
    range: (prefix, options) => ({
      async *[Symbol.asyncIterator]() {
        const s = new FileStore(path);
        try {
          yield* s.range(prefix, options);
        } finally {
          await s.close();
        }
      },
    }),
    revision: () => once((s) => s.revision()),
    txn: (compares, success, failure) => once((s) => s.txn(compares, success, failure)),
    grantLease: (ttl) => once((s) => s.grantLease(ttl)), // a lease outlives its store: renewal stops, it expires after ttl
    leaseTimeToLive: (id) => once((s) => s.leaseTimeToLive(id)),
    close: async () => undefined,
  };
}

describeStoreContract('file, reopened for every call', async () => {
  const store = reopening(await freshPath());
  return { store, prefix: '/contract/', cleanup: () => store.close(), isolated: true };
});

/**
 * Other processes run the store as built JavaScript. Transpiling just file.ts and what it imports
 * keeps these tests independent of the rest of the tree building.
 */
async function buildForChildren(outRoot: string): Promise<void> {
  const todo = [resolve('src/store/file/store.ts')];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    const source = await readFile(file, 'utf8');
    const options = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 };
    const out = join(outRoot, relative(resolve('src'), file).replace(/\.ts$/, '.js'));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, ts.transpileModule(source, { compilerOptions: options }).outputText);
    for (const [, dep] of source.matchAll(/from '(\.\.?\/[^']+)\.js'/g))
      todo.push(resolve(dirname(file), `${dep}.ts`));
  }
  await writeFile(join(outRoot, 'package.json'), '{"type": "module"}');
  for (const [name, body] of Object.entries(CHILDREN)) await writeFile(join(outRoot, name), body);
}

const CHILDREN = {
  'increment.mjs': `import { FileStore } from './store/file/store.js';
    const [path, key, times] = process.argv.slice(2);
    const store = new FileStore(path);
    for (let i = 0; i < Number(times); i++) {
      for (;;) {
        const kv = await store.get(key);
        const next = { type: 'put', key, value: String(Number(kv?.value ?? 0) + 1) };
        if ((await store.txn([{ key, target: 'mod', modRevision: kv?.modRevision ?? 0 }], [next])).succeeded) break;
      }
    }`,
  // Dies (SIGKILL: no cleanup at all) at the moment it would rename its new snapshot into place,
  // compacting on close the write it logged.
  'crash-before-rename.mjs': `import fs from 'node:fs';
    import { syncBuiltinESMExports } from 'node:module';
    fs.promises.rename = async () => process.kill(process.pid, 'SIGKILL');
    syncBuiltinESMExports();
    const { FileStore } = await import('./store/file/store.js');
    const store = new FileStore(process.argv[2]);
    await store.txn([], [{ type: 'put', key: '/k', value: 'new' }]);
    await store.close();`,
  // Dies halfway through writing its log line: the first half is on disk, the rest never will be.
  'crash-mid-append.mjs': `import fs from 'node:fs';
    import { syncBuiltinESMExports } from 'node:module';
    const write = fs.writeSync;
    fs.writeSync = (fd, buf, off, len, pos) => {
      write(fd, buf, off, len >> 1, pos);
      process.kill(process.pid, 'SIGKILL');
    };
    syncBuiltinESMExports();
    const { FileStore } = await import('./store/file/store.js');
    await new FileStore(process.argv[2]).txn([], [{ type: 'put', key: '/k', value: 'new' }]);`,
  // Writes two keys in each transaction, as fast as it can, until it is killed from outside.
  'write-pairs.mjs': `import { FileStore } from './store/file/store.js';
    const store = new FileStore(process.argv[2]);
    const pad = 'x'.repeat(4000); // so the log outgrows its first limit and compactions happen too
    for (let i = Number((await store.get('/a'))?.value.split(' ')[0] ?? 0) + 1; ; i++)
      await store.txn([], [{ type: 'put', key: '/a', value: i + ' ' + pad }, { type: 'put', key: '/b', value: String(i) }]);`,
  // Holds a 2 s lease for a while, then exits without revoking it, as a killed command would.
  'hold-lease.mjs': `import { FileStore } from './store/file/store.js';
    const store = new FileStore(process.argv[2]);
    const lease = await store.grantLease(2);
    await store.txn([], [{ type: 'put', key: '/held', value: 'mine', lease: lease.id }]);
    console.log(lease.id);
    setTimeout(() => process.exit(0), Number(process.argv[3]));`,
};

describe('FileStore across processes', () => {
  const bin = join(scratch, 'bin');
  beforeAll(() => buildForChildren(bin));
  const run = (script: string, ...args: string[]) =>
    promisify(execFile)('node', [join(bin, script), ...args]);

  it('loses no update when two processes increment one key by compare-and-swap', async () => {
    const path = await freshPath();
    await Promise.all([run('increment.mjs', path, '/n', '40'), run('increment.mjs', path, '/n', '40')]);
    expect(await new FileStore(path).get('/n')).toMatchObject({ value: '80', version: 80 });
  });

  it('keeps what a writer logged when it dies before renaming its compaction, and breaks the lock it left', async () => {
    const path = await freshPath();
    await new FileStore(path).txn([], [{ type: 'put', key: '/k', value: 'old' }]);
    const crashed = await run('crash-before-rename.mjs', path).catch((e: { signal?: string }) => e);
    expect(crashed).toMatchObject({ signal: 'SIGKILL' });
    const left = (await readdir(dirname(path))).sort();
    expect(left).toEqual(expect.arrayContaining(['store.json', 'store.json.lock']));
    expect(left.some((f) => f.startsWith('store.json.tmp-'))).toBe(true); // it got as far as the tmp file
    const store = new FileStore(path, { lockTimeoutMs: 1_000 });
    expect((await store.get('/k'))?.value).toBe('new'); // acknowledged by its fsynced log line
    await store.txn([], [{ type: 'put', key: '/k', value: 'after' }]); // the dead pid's lock is broken
    await store.close();
    expect((await new FileStore(path).get('/k'))?.value).toBe('after');
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ revision: 4 }); // compacted: JSON again
  });

  it('leaves the old state when a writer dies halfway through its log line; the next write replaces the torn end', async () => {
    const path = await freshPath();
    await new FileStore(path).txn([], [{ type: 'put', key: '/k', value: 'old' }]);
    const before = await readFile(path);
    const crashed = await run('crash-mid-append.mjs', path).catch((e: { signal?: string }) => e);
    expect(crashed).toMatchObject({ signal: 'SIGKILL' });
    expect((await readFile(path)).length).toBeGreaterThan(before.length); // half a line is on disk
    const store = new FileStore(path, { lockTimeoutMs: 1_000 });
    expect(await store.get('/k')).toMatchObject({ value: 'old', version: 1 });
    expect(await store.revision()).toBe(2);
    await store.txn([], [{ type: 'put', key: '/j', value: 'next' }]);
    const other = new FileStore(path);
    expect((await other.get('/k'))?.value).toBe('old');
    expect(await other.get('/j')).toMatchObject({ value: 'next', modRevision: 3 });
  });

  it('never shows a torn state after SIGKILLs at random moments of a writer logging and compacting', async () => {
    const path = await freshPath();
    let last = 0;
    for (let round = 0; round < 6; round++) {
      const child = spawn('node', [join(bin, 'write-pairs.mjs'), path]);
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 500));
      const exited = new Promise((done) => child.on('exit', (_, signal) => done(signal)));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const store = new FileStore(path, { lockTimeoutMs: 2_000 });
      const [a, b] = [await store.get('/a'), await store.get('/b')];
      const n = Number(b?.value ?? 0);
      expect(a?.value.split(' ')[0] ?? '0').toBe(String(n)); // both keys of one transaction, or neither
      expect(n).toBeGreaterThanOrEqual(last); // nothing acknowledged is lost
      if (b) expect(b.version).toBe(n);
      last = n;
    }
    expect(last).toBeGreaterThan(0);
  });

  it('expires the leases of a process that died, and keeps them while it lives', async () => {
    const path = await freshPath();
    const child = spawn('node', [join(bin, 'hold-lease.mjs'), path, '4000']);
    const exited = new Promise((done) => child.on('exit', done));
    const leaseId = await new Promise<string>((done) =>
      child.stdout.once('data', (b: Buffer) => done(b.toString().trim())),
    );
    const store = new FileStore(path);
    await new Promise((r) => setTimeout(r, 3_000)); // 1.5 ttl: only renewal keeps it
    expect((await store.get('/held'))?.value).toBe('mine');
    await exited;
    const deadline = Date.now() + 5_000;
    while ((await store.get('/held')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await store.get('/held')).toBeUndefined();
    expect(await store.leaseTimeToLive(leaseId)).toBeUndefined();
    await store.txn([], [{ type: 'put', key: '/other', value: 'x' }]); // the next write drops them for good
    await store.close(); // and compacts: nothing of them is left in the file
    expect(await readFile(path, 'utf8')).not.toMatch(/held|expires_at_ms/);
  });
});

describe('FileStore', () => {
  const lockFile = (pid: number, at: Date) => JSON.stringify({ pid, host: hostname(), at: at.toISOString() });
  const put = (key: string, value: string) => ({ type: 'put' as const, key, value });

  it('reads a missing file as an empty store at revision 1; the first write creates it', async () => {
    const path = await freshPath();
    const store = new FileStore(path);
    expect(await store.revision()).toBe(1);
    expect(await store.get('/a')).toBeUndefined();
    expect((await store.txn([], [put('/a', '1')])).revision).toBe(2);
    const text = await readFile(path, 'utf8');
    expect(JSON.parse(text)).toEqual({
      format: 'otlpctl-file-store',
      version: 1,
      revision: 2,
      bytes: Buffer.byteLength(text), // its own length: lets readers trust the layout (file/snapshot.ts)
      kvs: { '/a': { value: '1', create_revision: 2, mod_revision: 2, version: 1 } },
      leases: {},
    });
  });

  it('sees what another writer wrote, even a value of the same size', async () => {
    const path = await freshPath();
    const [reader, writer] = [new FileStore(path), new FileStore(path)];
    await writer.txn([], [put('/a', '1')]);
    expect((await reader.get('/a'))?.value).toBe('1');
    await writer.txn([], [put('/a', '2')]);
    expect((await reader.get('/a'))?.value).toBe('2');
  });

  it('names the file and what was expected when it cannot read it', async () => {
    const path = await freshPath();
    const cases: [string, RegExp][] = [
      ['{"format": "otlpctl-file-store", "version": 1, "kvs": {', /not JSON/],
      ['{"partitions": []}', /no "format": "otlpctl-file-store"/],
      ['{"format": "otlpctl-file-store", "version": 2}', /format version 2/],
      [
        '{"format": "otlpctl-file-store", "version": 1, "revision": 2, "kvs": {"/a": 1}, "leases": {}}',
        /key '\/a'/,
      ],
    ];
    for (const [text, why] of cases) {
      await writeFile(path, text);
      const error = await new FileStore(path).get('/a').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toContain(`file store ${path} is not readable`);
      expect((error as Error).message).toMatch(why);
    }
  });

  it('says which path it cannot write to', async () => {
    const path = join(await freshPath(), 'no-such-dir', 'store.json');
    await expect(new FileStore(path).txn([], [put('/a', '1')])).rejects.toThrow(
      new RegExp(`lock file ${path}.lock`),
    );
  });

  it('breaks a lock left by a dead process or older than 30 s, and waits for a live one', async () => {
    const path = await freshPath();
    const dead = spawn('node', ['-e', '0']);
    await new Promise((done) => dead.on('exit', done));
    await writeFile(`${path}.lock`, lockFile(dead.pid!, new Date()));
    await new FileStore(path, { lockTimeoutMs: 500 }).txn([], [put('/a', '1')]);
    await writeFile(`${path}.lock`, lockFile(process.pid, new Date(Date.now() - 31_000)));
    await new FileStore(path, { lockTimeoutMs: 500 }).txn([], [put('/a', '2')]);
    await writeFile(`${path}.lock`, lockFile(process.pid, new Date()));
    await expect(new FileStore(path, { lockTimeoutMs: 200 }).txn([], [put('/a', '3')])).rejects.toThrow(
      new StoreError(
        `file store lock ${path}.lock is held by pid ${process.pid} on ${hostname()}; if no otlpctl is running, remove it`,
      ),
    );
    expect((await new FileStore(path).get('/a'))?.value).toBe('2');
  });

  it('drops the keys of a lease nobody renews, by the injected clock', async () => {
    const path = await freshPath();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const holder = new FileStore(path, { clock: () => now });
    const lease = await holder.grantLease(5);
    await holder.txn([], [{ ...put('/leased', 'v'), lease: lease.id }]);
    await holder.close(); // stops renewing
    const other = new FileStore(path, { clock: () => now });
    now += 4_000;
    expect(await other.leaseTimeToLive(lease.id)).toBe(1);
    expect(await other.get('/leased')).toBeDefined();
    now += 1_000;
    expect(await other.get('/leased')).toBeUndefined();
    const { revision } = await other.txn([], [put('/b', 'x')]);
    expect(revision).toBe(4); // the lease's expiry is its own revision, then the put
  });
});
