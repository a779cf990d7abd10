/** EtcdStore against etcd with TLS (client certificates) and with users, roles and permissions. */
import { rmSync } from 'node:fs';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import { EtcdStore } from '../../src/store/etcd/store.js';
import { GrpcChannel } from '../../src/store/etcd/channel.js';
import { resolveEtcdOptions, type EtcdFlags } from '../../src/store/etcd/options.js';
import { startEtcd, type EtcdCluster } from '../harness/etcd.js';
import { makeTlsFiles, type TlsFiles } from '../harness/etcd-tls.js';
import { sharedEtcdEndpoint } from '../harness/etcd-shared.js';

async function pagesOfRange(store: EtcdStore, prefix: string) {
  const kvs = [];
  for await (const page of store.range(prefix)) kvs.push(...page);
  return kvs;
}

const connect = (flags: EtcdFlags): Promise<EtcdStore> =>
  EtcdStore.connect(resolveEtcdOptions({ dialTimeout: '1s', ...flags }, {}));

/** The one-line StoreError a connection and a few calls end in, and how long it took. */
async function failure(flags: EtcdFlags, run: (s: EtcdStore) => Promise<unknown> = async () => undefined) {
  const started = Date.now();
  const error = await connect(flags)
    .then(
      (store) => run(store).finally(() => store.close()),
      (e: unknown) => Promise.reject(e),
    )
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(StoreError);
  expect((error as Error).message).not.toContain('\n');
  return { message: (error as Error).message, ms: Date.now() - started, error };
}

describe('EtcdStore over TLS with client certificates', () => {
  let tls: TlsFiles;
  let cluster: EtcdCluster;
  let endpoint: string;
  beforeAll(async () => {
    tls = makeTlsFiles();
    cluster = await startEtcd({ tls });
    endpoint = cluster.endpoints[0] as string;
  });
  afterAll(async () => {
    await cluster.stop();
    rmSync(tls.dir, { recursive: true, force: true });
  });

  it('works with --cacert, --cert and --key', async () => {
    const store = await connect({
      endpoints: endpoint,
      cacert: tls.ca,
      cert: tls.clientCert,
      key: tls.clientKey,
    });
    const { revision } = await store.txn([], [{ type: 'put', key: '/tls/a', value: 'secret' }]);
    expect(await store.get('/tls/a')).toMatchObject({ value: 'secret', modRevision: revision });
    expect(store.description).toBe(`etcd ${endpoint}`);
    await store.close();
  });

  it('fails at once, saying why, when the server certificate cannot be verified', async () => {
    const { message, ms } = await failure({ endpoints: endpoint, cert: tls.clientCert, key: tls.clientKey });
    expect(message).toBe(
      `TLS handshake with etcd at ${endpoint} failed: unable to verify the first certificate (is --cacert the CA that signed the server certificate?)`,
    );
    expect(ms).toBeLessThan(900);
  });

  it('fails at once when the server wants a client certificate and gets none', async () => {
    const { message } = await failure({ endpoints: endpoint, cacert: tls.ca });
    expect(message).toMatch(
      new RegExp(
        `^TLS handshake with etcd at ${endpoint} failed: .*certificate.* \\(the server wants a client certificate: --cert and --key\\)$`,
      ),
    );
  });

  it('explains a plain connection to a TLS port after the dial timeout', async () => {
    const plain = endpoint.replace('https://', '');
    const { message, ms } = await failure({ endpoints: plain });
    expect(message).toBe(
      `etcd at ${plain} unreachable after 1s (dial timeout): connection closed before an answer (if etcd serves TLS, use https:// endpoints and --cacert)`,
    );
    expect(ms).toBeLessThan(1_600);
  });

  it('explains TLS to a plain port', async () => {
    const { message } = await failure({ endpoints: `https://${sharedEtcdEndpoint()}`, cacert: tls.ca });
    expect(message).toMatch(
      /^TLS handshake with etcd at https:\/\/127\.0\.0\.1:\d+ failed: .* \(does the endpoint speak TLS\? if not, use http:\/\/ or host:port\)$/,
    );
  });

  it('names an unreadable certificate file as bad input', async () => {
    await expect(connect({ endpoints: endpoint, cacert: `${tls.dir}/missing.pem` })).rejects.toThrow(
      `--cacert ${tls.dir}/missing.pem: cannot read it (ENOENT)`,
    );
  });

  // Last: it turns authentication on for this cluster.
  it('reads and writes over TLS as an authenticated user, and fails in one line without the password', async () => {
    for (const args of [
      ['user', 'add', 'root:tls-rootpw'],
      ['user', 'grant-role', 'root', 'root'],
      ['auth', 'enable'],
    ])
      await cluster.etcdctl(args);
    const files = { endpoints: endpoint, cacert: tls.ca, cert: tls.clientCert, key: tls.clientKey };
    const store = await connect({ ...files, user: 'root', password: 'tls-rootpw' });
    const { revision } = await store.txn([], [{ type: 'put', key: '/tls/auth', value: 'yes' }]);
    expect(await store.get('/tls/auth')).toMatchObject({ value: 'yes', modRevision: revision });
    expect((await pagesOfRange(store, '/tls/')).map((kv) => kv.key)).toEqual(['/tls/a', '/tls/auth']);
    expect(await store.revision()).toBeGreaterThanOrEqual(revision);
    await store.close();
    const { message, error } = await failure({ ...files, user: 'root:wrong-tls-pw' });
    expect(message).toBe(`etcd at ${endpoint} rejected user 'root': wrong user name or password`);
    expect(inspect(error, { depth: 10 })).not.toContain('wrong-tls-pw');
  });
});

describe('EtcdStore with etcd authentication', () => {
  let cluster: EtcdCluster;
  let endpoint: string;
  beforeAll(async () => {
    cluster = await startEtcd();
    endpoint = cluster.endpoints[0] as string;
    for (const args of [
      ['user', 'add', 'root:rootpw'],
      ['user', 'grant-role', 'root', 'root'],
      ['role', 'add', 'otlp-rw'],
      ['role', 'grant-permission', 'otlp-rw', '--prefix=true', 'readwrite', '/otlp/'],
      ['user', 'add', 'otlp:s3cret-pw'],
      ['user', 'grant-role', 'otlp', 'otlp-rw'],
      ['auth', 'enable'],
    ]) {
      await cluster.etcdctl(args);
    }
  });
  afterAll(() => cluster.stop());

  it('works within the prefix the user may read and write', async () => {
    const store = await connect({ endpoints: endpoint, user: 'otlp:s3cret-pw' });
    const lease = await store.grantLease(10);
    const { revision } = await store.txn(
      [],
      [{ type: 'put', key: '/otlp/config', value: '{}', lease: lease.id }],
    );
    expect(await store.get('/otlp/config')).toMatchObject({
      value: '{}',
      modRevision: revision,
      lease: lease.id,
    });
    expect(await store.revision()).toBeGreaterThanOrEqual(revision);
    const pages = [];
    for await (const page of store.range('/otlp/')) pages.push(page);
    expect(pages.flat().map((kv) => kv.key)).toEqual(['/otlp/config']);
    await lease.revoke();
    await store.close();
  });

  it('refuses a read outside it with a clear error', async () => {
    const { message } = await failure({ endpoints: endpoint, user: 'otlp', password: 's3cret-pw' }, (s) =>
      s.get('/other/x'),
    );
    expect(message).toBe(`etcd at ${endpoint} denied user 'otlp' permission to get /other/x`);
    const listing = await failure({ endpoints: endpoint, user: 'otlp:s3cret-pw' }, async (s) => {
      for await (const _ of s.range('/')) break;
    });
    expect(listing.message).toBe(`etcd at ${endpoint} denied user 'otlp' permission to list /`);
  });

  it('rejects a wrong password without echoing it', async () => {
    const { message, error, ms } = await failure({ endpoints: endpoint, user: 'otlp:hunter2-wrong' });
    expect(message).toBe(`etcd at ${endpoint} rejected user 'otlp': wrong user name or password`);
    expect(inspect(error, { depth: 10 })).not.toContain('hunter2');
    expect(ms).toBeLessThan(1_000);
  });

  it('never puts the password in a failed read’s error', async () => {
    const { message, error } = await failure({ endpoints: endpoint, user: 'otlp:s3cret-pw' }, (s) =>
      s.get('/root-only/x'),
    );
    expect(message).toBe(`etcd at ${endpoint} denied user 'otlp' permission to get /root-only/x`);
    expect(inspect(error, { depth: 10 })).not.toContain('s3cret-pw');
  });

  it('signs in again when etcd no longer knows its token', async () => {
    const unary = vi.spyOn(GrpcChannel.prototype, 'unary');
    const signIns = () => unary.mock.calls.filter(([method]) => method.endsWith('/Authenticate')).length;
    const store = await connect({ endpoints: endpoint, user: 'otlp:s3cret-pw' });
    await store.txn([], [{ type: 'put', key: '/otlp/renew', value: '1' }]);
    expect((await store.get('/otlp/renew'))?.value).toBe('1');
    // Turning authentication off and on drops every token etcd has handed out.
    await cluster.etcdctl(['--user=root:rootpw', 'auth', 'disable']);
    await cluster.etcdctl(['--user=root:rootpw', 'auth', 'enable']);
    expect((await store.get('/otlp/renew'))?.value).toBe('1');
    expect((await pagesOfRange(store, '/otlp/renew')).map((kv) => kv.value)).toEqual(['1']);
    expect(signIns()).toBe(2);
    await store.close();
    unary.mockRestore();
  });

  it('says a user is needed when none is given', async () => {
    const { message } = await failure({ endpoints: endpoint }, (s) => s.get('/otlp/config'));
    expect(message).toBe(
      `etcd at ${endpoint} requires authentication: pass --user NAME:PASSWORD (or OTLPCTL_USER)`,
    );
  });
});
