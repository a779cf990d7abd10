import { execFileSync } from 'node:child_process';
import { sharedEtcdEndpoint } from '../harness/etcd-shared.js';
import { etcdTarget, fileTarget, type Target } from './targets.js';

/**
 * The two stores, with a writer that is not otlpctl: on etcd, etcdctl itself (byte for byte, as the
 * seed's service or an operator at a shell writes); on the file store, a raw put.
 */
export interface SeedTarget extends Pick<Target, 'args' | 'prefix' | 'close' | 'store'> {
  put(key: string, value: string): Promise<void>;
  get(key: string): Promise<string | undefined>;
}

export async function fileSeedTarget(): Promise<SeedTarget> {
  const t = await fileTarget();
  return {
    ...t,
    put: async (k, v) => void (await t.store.txn([], [{ type: 'put', key: k, value: v }])),
    get: async (k) => (await t.store.get(k))?.value,
  };
}

export async function etcdSeedTarget(): Promise<SeedTarget> {
  const t = await etcdTarget();
  return {
    ...t,
    put: async (k, v) =>
      void execFileSync('etcdctl', ['--endpoints', sharedEtcdEndpoint(), 'put', k, v], {
        env: { ...process.env, ETCDCTL_API: '3' },
      }),
    get: async (k) => (await t.store.get(k))?.value,
  };
}

export const SEED_TARGETS = [
  ['file store', fileSeedTarget],
  ['etcd', etcdSeedTarget],
] as const;
