/** The run's shared etcd (started by etcd-global.ts) and a fresh key prefix per test. */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { EtcdStore } from '../../src/store/etcd/store.js';
import { resolveEtcdOptions, type EtcdFlags } from '../../src/store/etcd/options.js';

export function sharedEtcdEndpoint(): string {
  const endpoint = inject('etcdEndpoint');
  if (!endpoint)
    throw new Error(
      `the shared test etcd is not running: ${inject('etcdError') || 'is test/harness/etcd-global.ts a globalSetup in vitest.config.ts?'}`,
    );
  return endpoint;
}

export const uniquePrefix = (): string => `/t/${randomBytes(6).toString('hex')}/`;

/** An EtcdStore on the shared etcd (or the given endpoints), configured as the CLI would. */
export function connectEtcd(flags: EtcdFlags = {}): Promise<EtcdStore> {
  return EtcdStore.connect(resolveEtcdOptions({ endpoints: sharedEtcdEndpoint(), ...flags }, {}));
}
