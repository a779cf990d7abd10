/**
 * A CLI run must end when its work is done: after close() (or a failed connect) no keep-alive
 * timer, gRPC channel or socket may keep Node alive. Checked in real child processes.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdCluster } from '../harness/etcd.js';
import { sharedEtcdEndpoint } from '../harness/etcd-shared.js';

// Inside node_modules so that the children resolve @bufbuild/protobuf from the project.
const out = join('node_modules', '.cache');
let bin: string;

/** Transpiles etcd/store.ts and what it imports, so children run the store as built JavaScript. */
async function build(): Promise<void> {
  await mkdir(out, { recursive: true });
  bin = await mkdtemp(join(out, 'otlpctl-etcd-exit-'));
  const todo = [resolve('src/store/etcd/store.ts'), resolve('src/store/etcd/options.ts')];
  const seen = new Set<string>();
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (seen.has(file)) continue; // modules may import each other
    seen.add(file);
    const source = await readFile(file, 'utf8');
    const options = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 };
    const target = join(bin, relative(resolve('src'), file).replace(/\.ts$/, '.js'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, ts.transpileModule(source, { compilerOptions: options }).outputText);
    for (const [, dep] of source.matchAll(/(?:from |import\()'(\.\.?\/[^']+)\.js'/g))
      todo.push(resolve(dirname(file), `${dep}.ts`));
  }
  await writeFile(join(bin, 'package.json'), '{"type": "module"}');
  await writeFile(join(bin, 'child.mjs'), CHILD);
}

// Does some work (or fails to connect), prints "done", and then should simply end.
// No run loads grpc-js or etcd3 (gone from the dependencies): the child says so ("light").
const CHILD = `import { createRequire } from 'node:module';
import { EtcdStore } from './store/etcd/store.js';
import { resolveEtcdOptions } from './store/etcd/options.js';
const [flags, work] = [JSON.parse(process.argv[2]), process.argv[3]];
const loaded = () =>
  Object.keys(createRequire(import.meta.url).cache).some((f) => /node_modules.(etcd3|@grpc)/.test(f)) ? 'grpc' : 'light';
try {
  const store = await EtcdStore.connect(resolveEtcdOptions(flags, {}));
  if (work === 'all') {
    const lease = await store.grantLease(5);
    await store.txn([], [{ type: 'put', key: '/exit/a', value: 'x', lease: lease.id }]);
  }
  if (work === 'all' || work === 'read') {
    await store.get('/exit/a');
    for await (const _ of store.range('/exit/')) {}
    await store.revision();
    await store.leaseTimeToLive('7');
  }
  await store.close();
  console.log('done', loaded());
} catch (err) {
  console.log('done', err.message);
}`;

/** Runs the child; resolves to what it printed and how long it lived after printing it. */
function run(flags: object, work = 'all'): Promise<{ stdout: string; lingeredMs: number }> {
  return new Promise((done, fail) => {
    const child = spawn('node', [join(bin, 'child.mjs'), JSON.stringify(flags), work]);
    let stdout = '';
    let printedAt = 0;
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      printedAt ||= Date.now();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', fail);
    child.on('exit', () => {
      clearTimeout(killer);
      done({ stdout, lingeredMs: printedAt ? Date.now() - printedAt : Infinity });
    });
  });
}

describe('EtcdStore lets the process exit', () => {
  let blackhole: net.Server;
  let silent: string;
  let secured: EtcdCluster;
  beforeAll(async () => {
    [, secured] = await Promise.all([build(), startEtcd()]);
    for (const args of [
      ['user', 'add', 'root:rootpw'],
      ['user', 'grant-role', 'root', 'root'],
      ['auth', 'enable'],
    ]) {
      await secured.etcdctl(args);
    }
    blackhole = net.createServer(() => undefined);
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    silent = `127.0.0.1:${(blackhole.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    blackhole.close();
    await secured.stop();
    await rm(bin, { recursive: true, force: true });
  });

  it.each([
    ['after work with a kept-alive lease', { endpoints: () => sharedEtcdEndpoint() }, /^done light\n$/],
    [
      'after work as an authenticated user',
      { endpoints: () => secured.endpoints[0] as string, user: 'root:rootpw' },
      /^done light\n$/,
    ],
    ['after reads alone', { endpoints: () => sharedEtcdEndpoint(), work: 'read' }, /^done light\n$/],
    [
      'after reads as an authenticated user',
      { endpoints: () => secured.endpoints[0] as string, user: 'root:rootpw', work: 'read' },
      /^done light\n$/,
    ],
    [
      'after a refused connection',
      { endpoints: () => '127.0.0.1:1', dialTimeout: '500ms' },
      /^done etcd at 127\.0\.0\.1:1 unreachable/,
    ],
    [
      'after a silent endpoint',
      { endpoints: () => silent, dialTimeout: '500ms' },
      /unreachable after 500ms \(dial timeout\): no answer/,
    ],
    [
      'after a silent endpoint, with a user',
      { endpoints: () => silent, dialTimeout: '500ms', user: 'u:p' },
      /unreachable after 500ms/,
    ],
  ])('%s', async (_, { endpoints, work, ...flags }: { endpoints: () => string; work?: string }, printed) => {
    const { stdout, lingeredMs } = await run({ endpoints: endpoints(), ...flags }, work);
    expect(stdout).toMatch(printed);
    expect(lingeredMs).toBeLessThan(500);
  });
});
