/**
 * vitest globalSetup: one single-member etcd for the whole run, shared by every etcd test (each
 * in its own key prefix). When etcd cannot be had, only the etcd tests fail, with the reason.
 */
import type { TestProject } from 'vitest/node';
import { startEtcd } from './etcd.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `127.0.0.1:PORT` of the shared etcd, or '' when it could not be started. */
    etcdEndpoint: string;
    /** Why the shared etcd is missing, when it is. */
    etcdError: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const cluster = await startEtcd();
    project.provide('etcdEndpoint', cluster.endpoints[0] as string);
    project.provide('etcdError', '');
    return () => cluster.stop();
  } catch (err) {
    project.provide('etcdEndpoint', '');
    project.provide('etcdError', err instanceof Error ? err.message : String(err));
    return async () => undefined;
  }
}
