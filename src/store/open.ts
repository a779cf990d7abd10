import { UsageError } from '../core/errors.js';
import type { MetadataStore } from './contract.js';
import type { EtcdFlags } from './etcd/options.js';

/** Store flags and environment as etcdctl users expect them (PRODUCT.md §3.1). */
export interface StoreFlags extends EtcdFlags {
  file?: string;
}

type Env = Record<string, string | undefined>;

/**
 * The file store or etcd, from flags first and then the environment (`createsFile`: the command
 * makes a new store, `init` or `demo`). The etcd client (and the protobuf runtime behind it) is
 * loaded only here and only when etcd is configured.
 */
export async function openStore(
  flags: StoreFlags,
  env: Env,
  { createsFile = false }: { createsFile?: boolean } = {},
): Promise<MetadataStore> {
  if (flags.file !== undefined && flags.endpoints !== undefined) {
    throw new UsageError('give either --file (the embedded store) or --endpoints (etcd), not both');
  }
  const file = flags.file ?? (flags.endpoints === undefined ? env.OTLPCTL_FILE : undefined);
  if (file !== undefined && file !== '') {
    const { FileStore } = await import('./file/store.js');
    // Only the commands that make a store may start from no file; for any other a missing file is a
    // mistyped path, not an empty cluster.
    return new FileStore(file, { missing: createsFile ? 'empty' : 'error' });
  }
  const endpoints = flags.endpoints ?? env.OTLPCTL_ENDPOINTS ?? env.ETCDCTL_ENDPOINTS;
  if (endpoints !== undefined && endpoints !== '') {
    const [{ EtcdStore }, { resolveEtcdOptions }] = await Promise.all([
      import('./etcd/store.js'),
      import('./etcd/options.js'),
    ]);
    return EtcdStore.connect(resolveEtcdOptions(flags, env));
  }
  throw new UsageError(
    'no metadata store configured: use --file PATH (or OTLPCTL_FILE) for the embedded store, ' +
      'or --endpoints host:2379 (or OTLPCTL_ENDPOINTS / ETCDCTL_ENDPOINTS) for etcd; try `otlpctl demo --file demo.json`',
  );
}
