/**
 * The two stores the end-to-end tests run on, as the CLI reaches them: a file store in a fresh
 * temporary directory, or a fresh key prefix on the shared test etcd (or on given endpoints).
 */
import type { MetadataStore } from '../../src/store/contract.js';
import { FileStore } from '../../src/store/file/store.js';
import { connectEtcd, sharedEtcdEndpoint, uniquePrefix } from '../harness/etcd-shared.js';
import { tempDir } from './cli.js';

export interface Target {
  /** Store flags for the CLI. */
  args: string[];
  prefix: string;
  /** A client of the same store, for setting up and checking. */
  store: MetadataStore;
  /** Another, independent client (a second process's view). */
  open(): Promise<MetadataStore>;
  /** A scratch directory (plan files and the like). */
  dir: string;
  close(): Promise<void>;
}

export async function fileTarget(): Promise<Target> {
  const t = tempDir();
  const store = new FileStore(t.file);
  return {
    args: ['--file', t.file],
    prefix: '/otlp',
    store,
    open: async () => new FileStore(t.file),
    dir: t.dir,
    close: async () => {
      await store.close();
      t.cleanup();
    },
  };
}

export async function etcdTarget(endpoints?: string[]): Promise<Target> {
  const t = tempDir();
  const prefix = uniquePrefix().replace(/\/$/, '');
  const flags = endpoints ? { endpoints: endpoints.join(',') } : {};
  const store = await connectEtcd(flags);
  return {
    args: ['--endpoints', endpoints ? endpoints.join(',') : sharedEtcdEndpoint(), '--prefix', prefix],
    prefix,
    store,
    open: () => connectEtcd(flags),
    dir: t.dir,
    close: async () => {
      await store.close();
      t.cleanup();
    },
  };
}
