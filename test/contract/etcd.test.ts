import { describeStoreContract } from './suite.js';
import { connectEtcd, uniquePrefix } from '../harness/etcd-shared.js';

// Shares one etcd with other test files, so exact revision arithmetic is not checked (isolated: false).
describeStoreContract('etcd', async () => {
  const store = await connectEtcd();
  const prefix = uniquePrefix();
  return { store, prefix, cleanup: () => store.close() };
});
